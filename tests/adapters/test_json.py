"""The json (array of objects) and jsonl (one object per line) adapters."""

from __future__ import annotations

import json

import pytest

import adapters.readers
from adapters import AdapterError, Schema, read_table

ROWS = [
    {"age": 31, "bmi": 22.5, "smoker": True, "region": "north", "diabetic": False},
    {"age": 45, "bmi": 30, "smoker": False, "region": "south", "diabetic": True},
]


def fails(data: bytes, adapter: str, schema: Schema, output: Schema | None = None) -> AdapterError:
    with pytest.raises(AdapterError) as caught:
        read_table(data, adapter=adapter, schema=schema, output=output)
    return caught.value


# --- json ---------------------------------------------------------------------------------------


def test_a_json_array_of_objects_reads_like_a_table(patients, diabetic):
    table = read_table(json.dumps(ROWS, indent=2).encode(), adapter="json", schema=patients,
                       output=diabetic)  # fmt: skip
    assert table.n_rows == 2
    assert table.rows[1] == {**ROWS[1], "bmi": 30.0}
    assert table.target().tolist() == [0, 1]


def test_a_json_array_is_streamed_in_small_chunks_with_objects_across_chunk_edges(
    patients, diabetic, monkeypatch
):
    monkeypatch.setattr(adapters.readers, "_CHUNK_BYTES", 7)
    data = json.dumps(ROWS * 50, indent=1).encode()
    table = read_table(data, adapter="json", schema=patients, output=diabetic)
    assert table.n_rows == 100
    broken = data.replace(b'"age": 45', b'"age": "old"', 1)
    error = fails(broken, "json", patients, diabetic)
    assert error.field == "age"
    object_start = broken.rfind(b"{", 0, broken.index(b'"old"'))
    assert error.line == broken[:object_start].count(b"\n") + 1
    assert str(error).startswith(f"Line {error.line}, object 2, field 'age'")


def test_a_wrong_type_in_a_json_object_names_line_object_and_field(patients):
    data = b'[\n{"age": 31, "bmi": 22.5, "smoker": true, "region": "north"},\n' \
           b'{"age": "31", "bmi": 22.5, "smoker": true, "region": "north"}\n]'  # fmt: skip
    error = fails(data, "json", patients)
    assert str(error) == "Line 3, object 2, field 'age': expected an integer, got '31'."


def test_json_values_must_have_json_types(patients):
    data = b'[{"age": 31, "bmi": 22.5, "smoker": "yes", "region": "north"}]'
    error = fails(data, "json", patients)
    assert str(error) == "Line 1, object 1, field 'smoker': expected true or false, got 'yes'."
    data = b'[{"age": 31, "bmi": null, "smoker": true, "region": "north"}]'
    assert str(fails(data, "json", patients)).endswith("expected a number, got null.")


def test_a_json_object_missing_a_field_or_with_an_extra_one_is_refused(patients):
    missing = b'[{"age": 31, "bmi": 22.5, "smoker": true}]'
    assert str(fails(missing, "json", patients)) == (
        "Line 1, object 1: field 'region' is missing; every object needs age, bmi, smoker, region."
    )
    extra = b'[{"age": 31, "bmi": 22.5, "smoker": true, "region": "north", "zip": 1}]'
    error = fails(extra, "json", patients)
    assert str(error) == (
        "Line 1, object 1: field 'zip' is not in the schema; remove it or add it to the schema."
    )
    assert error.field == "zip"


def test_a_json_category_outside_the_list_is_refused(patients):
    data = b'[{"age": 31, "bmi": 22.5, "smoker": true, "region": "west"}]'
    assert str(fails(data, "json", patients)).endswith(
        "field 'region': expected one of north, south, got 'west'."
    )


def test_a_single_json_object_is_not_an_array(patients):
    error = fails(b'{"age": 31}', "json", patients)
    assert str(error) == (
        "Line 1: the file holds one JSON object, not an array of objects; wrap the objects in "
        "[ ... ] (or use the jsonl adapter for one object per line)."
    )


def test_an_array_of_non_objects_is_refused_naming_each_object(patients):
    error = fails(b"[[1, 2], [3, 4]]", "json", patients)
    assert str(error) == (
        'Line 1, object 1: expected a JSON object like {"age": ...}, got an array. '
        "And 1 more problem, 2 in all on 2 lines."
    )
    assert [bad.reason for bad in error.bad_rows][1] == (
        'Line 1, object 2: expected a JSON object like {"age": ...}, got an array.'
    )


def test_an_empty_json_file_or_array_is_refused(patients):
    assert str(fails(b"  \n", "json", patients)).startswith("The file is empty;")
    assert str(fails(b"[ ]", "json", patients)) == (
        "The JSON array is empty; there are no rows to import."
    )


def test_broken_json_names_its_line_and_column(patients):
    data = b'[\n{"age": 31, "bmi": 22.5, "smoker": true, "region": "north"},\n{"age": 3,,}\n]'
    error = fails(data, "json", patients)
    assert (
        str(error)
        == "Line 3, column 11: invalid JSON (Expecting property name enclosed in double quotes)."
    )


def test_a_truncated_array_or_trailing_text_is_refused(patients):
    row = b'{"age": 31, "bmi": 22.5, "smoker": true, "region": "north"}'
    assert "after object 1, got the end of the file" in str(fails(b"[" + row, "json", patients))
    assert str(fails(b"[" + row + b"]\nmore", "json", patients)) == (
        "Line 2: unexpected text after the closing ']' of the array."
    )
    assert "no trailing comma" in str(fails(b"[" + row + b",]", "json", patients))


def test_an_object_larger_than_the_limit_is_refused(patients):
    data = b'[{"age": 31, "bmi": 22.5, "smoker": true, "region": "' + b"n" * 5000 + b'"}]'
    with pytest.raises(AdapterError, match="object 1 is longer than 1,000 characters"):
        read_table(data, adapter="json", schema=patients, max_line_bytes=1000)


# --- jsonl --------------------------------------------------------------------------------------


def test_json_lines_read_one_object_per_line_and_skip_blank_lines(patients, diabetic):
    data = ("\n".join(json.dumps(row) for row in ROWS) + "\n\n").encode()
    table = read_table(data, adapter="jsonl", schema=patients, output=diabetic)
    assert [row["age"] for row in table.rows] == [31, 45]


def test_a_jsonl_line_that_is_not_an_object_is_refused(patients, diabetic):
    data = (json.dumps(ROWS[0]) + "\n[1, 2]\n").encode()
    error = fails(data, "jsonl", patients, diabetic)
    assert str(error) == 'Line 2: expected a JSON object like {"age": ...}, got an array.'
    assert error.line == 2


def test_a_jsonl_line_that_is_not_json_is_refused(patients):
    data = (
        json.dumps({k: v for k, v in ROWS[0].items() if k != "diabetic"}) + "\nage=3\n"
    ).encode()
    error = fails(data, "jsonl", patients)
    assert str(error) == (
        "Line 2 is not valid JSON (Expecting value at column 1); each line must hold one JSON "
        "object."
    )


def test_a_jsonl_wrong_type_names_the_line(patients):
    good = {k: v for k, v in ROWS[0].items() if k != "diabetic"}
    lines = [json.dumps(good)] * 3 + [json.dumps({**good, "bmi": "heavy"})]
    error = fails("\n".join(lines).encode(), "jsonl", patients)
    assert str(error) == "Line 4, field 'bmi': expected a number, got 'heavy'."


def test_an_empty_jsonl_file_is_refused(patients):
    assert (
        str(fails(b"", "jsonl", patients)) == "The file is empty; write one JSON object per line."
    )
    assert str(fails(b"\n\n", "jsonl", patients)) == (
        "The file has no rows, only blank lines; there is nothing to import."
    )
