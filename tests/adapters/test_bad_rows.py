"""Every bad row of a file is reported at once (line, column, value, reason), not only the first."""

from __future__ import annotations

import json

import pytest

from adapters import BAD_ROWS_KEPT, AdapterError, AdapterRowsError, Schema, read_table

HEADER = b"age,bmi,smoker,region,diabetic\n"


def refused(data: bytes, adapter: str, schema: Schema, output: Schema | None = None):
    with pytest.raises(AdapterRowsError) as caught:
        read_table(data, adapter=adapter, schema=schema, output=output)
    return caught.value


def test_a_csv_with_four_bad_rows_names_all_four_in_one_round(patients, diabetic):
    data = HEADER + (
        b"31,22.5,yes,north,false\n"
        b"forty,30.1,no,south,true\n"  # line 3: age
        b"45,30.1,no,south,true\n"
        b"50,heavy,maybe,south,true\n"  # line 5: bmi and smoker
        b"51,20,no,west,true\n"  # line 6: region
        b"52,20,no\n"  # line 7: too few values
    )
    error = refused(data, "csv", patients, diabetic)
    assert [(bad.line, bad.column, bad.value) for bad in error.bad_rows] == [
        (3, "age", "forty"),
        (5, "bmi", "heavy"),
        (5, "smoker", "maybe"),
        (6, "region", "west"),
        (7, "", "52,20,no"),
    ]
    assert error.total == 5
    assert error.lines == 4
    assert error.bad_rows[0].reason == "Line 3, field 'age': expected an integer, got 'forty'."
    assert error.bad_rows[4].reason == (
        "Line 7 has 3 values but the header on line 1 names 5 columns."
    )
    # Still an AdapterError whose message starts with the first problem, as callers expect.
    assert isinstance(error, AdapterError)
    assert str(error).startswith("Line 3, field 'age': expected an integer, got 'forty'. And 4")
    assert (error.line, error.field) == (3, "age")


def test_only_the_first_hundred_bad_rows_are_kept_but_all_are_counted(patients):
    data = b"age,bmi,smoker,region\n" + b"x,1,yes,north\n" * 250 + b"3,1,yes,north\n"
    error = refused(data, "csv", patients)
    assert len(error.bad_rows) == BAD_ROWS_KEPT == 100
    assert error.total == 250
    assert error.bad_rows[-1].line == 101
    assert "250 in all on 250 lines" in str(error)


def test_jsonl_reports_broken_lines_missing_extra_and_bad_fields_together(patients):
    lines = [
        {"age": 31, "bmi": 22.5, "smoker": True, "region": "north"},
        {"age": 31, "bmi": 22.5, "smoker": True},
        {"age": 31, "bmi": "fat", "smoker": True, "region": "north", "shoe": 42},
    ]
    data = "\n".join(json.dumps(line) for line in lines).encode() + b"\n{not json\n"
    error = refused(data, "jsonl", patients)
    assert [(bad.line, bad.column) for bad in error.bad_rows] == [
        (2, "region"),
        (3, "shoe"),
        (3, "bmi"),
        (4, ""),
    ]
    assert error.bad_rows[1].value == "42"
    assert error.bad_rows[3].value == "{not json"


def test_text_lines_without_a_tab_or_with_a_bad_label_are_all_reported():
    schema = Schema.from_json([{"name": "text", "type": "text"}])
    label = Schema.from_json([{"name": "spam", "type": "bool"}])
    error = refused(b"yes\thello\nno tab here\nperhaps\tbuy now\n", "text", schema, label)
    assert [(bad.line, bad.column, bad.value) for bad in error.bad_rows] == [
        (2, "spam", "no tab here"),
        (3, "spam", "perhaps"),
    ]


def test_a_broken_header_still_stops_at_once_without_a_row_list(patients):
    with pytest.raises(AdapterError) as caught:
        read_table(b"age,bmi\n1,2\n", adapter="csv", schema=patients)
    assert not isinstance(caught.value, AdapterRowsError)
    assert "missing from the header" in str(caught.value)


def test_a_good_file_after_the_change_still_reads_every_row(patients):
    data = b"age,bmi,smoker,region\n" + b"3,1,yes,north\n" * 10
    assert read_table(data, adapter="csv", schema=patients).n_rows == 10
