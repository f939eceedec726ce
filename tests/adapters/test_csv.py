"""The CSV adapter: good files, and each kind of bad file with its message."""

from __future__ import annotations

import pytest

from adapters import AdapterError, Schema, read_table

GOOD = b"age,bmi,smoker,region,diabetic\n31,22.5,yes,north,false\n45,30.1,no,south,true\n"


def fails(data: bytes, schema: Schema, output: Schema | None = None) -> AdapterError:
    with pytest.raises(AdapterError) as caught:
        read_table(data, adapter="csv", schema=schema, output=output)
    return caught.value


def test_a_good_csv_gives_typed_rows_features_and_targets(patients, diabetic):
    table = read_table(GOOD, adapter="csv", schema=patients, output=diabetic)
    assert table.n_rows == 2
    assert table.rows[0] == {
        "age": 31, "bmi": 22.5, "smoker": True, "region": "north", "diabetic": False,
    }  # fmt: skip
    assert table.features().tolist() == [
        [31.0, 22.5, 1.0, 1.0, 0.0],
        [45.0, 30.1, 0.0, 0.0, 1.0],
    ]
    assert table.target().tolist() == [0, 1]


def test_columns_may_come_in_any_order_with_crlf_a_bom_and_blank_lines(patients):
    data = b"\xef\xbb\xbfregion,smoker,bmi,age\r\n\r\nsouth,1,19,20\r\nnorth,FALSE,21.5,3.0\r\n\r\n"
    table = read_table(data, adapter="csv", schema=patients)
    assert table.rows == [
        {"age": 20, "bmi": 19.0, "smoker": True, "region": "south"},
        {"age": 3, "bmi": 21.5, "smoker": False, "region": "north"},
    ]


def test_a_quoted_value_may_span_lines_and_later_errors_name_the_right_line():
    schema = Schema.from_json([{"name": "id", "type": "int"}, {"name": "note", "type": "text"}])
    data = b'id,note\n1,"first line\nsecond line"\nx,ok\n'
    error = fails(data, schema)
    assert str(error) == "Line 4, field 'id': expected an integer, got 'x'."


def test_without_an_output_schema_the_rows_have_no_target(patients):
    data = b"age,bmi,smoker,region\n31,22.5,yes,north\n"
    table = read_table(data, adapter="csv", schema=patients)
    assert "diabetic" not in table.rows[0]
    with pytest.raises(ValueError, match="no output schema"):
        table.target()


def test_a_missing_column_is_named(patients, diabetic):
    error = fails(b"age,bmi,smoker,diabetic\n31,22.5,yes,false\n", patients, diabetic)
    assert str(error) == (
        "Line 1: column 'region' is missing from the header; the schema expects the columns "
        "age, bmi, smoker, region, diabetic."
    )
    assert (error.line, error.field) == (1, "region")


def test_a_missing_target_column_is_named(patients, diabetic):
    error = fails(b"age,bmi,smoker,region\n31,22.5,yes,north\n", patients, diabetic)
    assert error.field == "diabetic"
    assert "column 'diabetic' is missing from the header" in str(error)


def test_an_extra_unknown_column_is_an_error(patients):
    error = fails(b"age,bmi,smoker,region,zip\n31,22.5,yes,north,12345\n", patients)
    assert str(error).startswith(
        "Line 1: column 'zip' is not in the schema; remove the column or add the field to the "
        "schema"
    )
    assert error.field == "zip"


def test_a_value_of_the_wrong_type_names_line_field_and_expectation(patients):
    data = b"age,bmi,smoker,region\n" + b"31,22.5,yes,north\n" * 15 + b"abc,22.5,yes,north\n"
    error = fails(data, patients)
    assert str(error) == "Line 17, field 'age': expected an integer, got 'abc'."
    assert (error.line, error.field, error.expected) == (17, "age", "an integer")


@pytest.mark.parametrize(
    ("cell_line", "message"),
    [
        (b"3.5,22.5,yes,north", "Line 2, field 'age': expected an integer, got '3.5'."),
        (b"3,fat,yes,north", "Line 2, field 'bmi': expected a number, got 'fat'."),
        (b"3,1e999,yes,north", "Line 2, field 'bmi': expected a finite number, got '1e999'."),
        (b"3,,yes,north", "Line 2, field 'bmi': expected a number, got an empty value."),
        (b"3,22,maybe,north",
         "Line 2, field 'smoker': expected true or false (or yes/no, 1/0), got 'maybe'."),
        (b"3,22,yes,west", "Line 2, field 'region': expected one of north, south, got 'west'."),
    ],
)  # fmt: skip
def test_each_type_explains_what_it_expected(patients, cell_line, message):
    error = fails(b"age,bmi,smoker,region\n" + cell_line + b"\n", patients)
    assert str(error) == message


def test_a_category_value_not_in_the_list_is_refused(patients):
    error = fails(b"age,bmi,smoker,region\n31,22.5,yes,North\n", patients)
    assert error.field == "region"
    assert error.expected == "one of north, south"


def test_an_empty_file_is_refused(patients):
    error = fails(b"", patients)
    assert str(error) == (
        "The file is empty; a CSV file starts with a header line naming the columns "
        "(age, bmi, smoker, region)."
    )


def test_a_header_only_file_is_refused(patients):
    error = fails(b"age,bmi,smoker,region\n\n", patients)
    assert str(error) == "The file has a header on line 1 but no data rows; add rows below it."


def test_a_ragged_row_is_refused(patients):
    error = fails(b"age,bmi,smoker,region\n31,22.5,yes,north\n31,22.5\n", patients)
    assert str(error) == "Line 3 has 2 values but the header on line 1 names 4 columns."
    assert error.line == 3


def test_a_row_with_too_many_values_is_refused(patients):
    error = fails(b"age,bmi,smoker,region\n31,22.5,yes,north,extra\n", patients)
    assert str(error) == "Line 2 has 5 values but the header on line 1 names 4 columns."


def test_a_header_naming_a_column_twice_is_refused(patients):
    error = fails(b"age,age,bmi,smoker,region\n1,1,1,1,north\n", patients)
    assert str(error) == "Line 1: the header names column 'age' more than once."


def test_an_unclosed_quote_is_reported_as_bad_csv():
    schema = Schema.from_json([{"name": "id", "type": "int"}, {"name": "note", "type": "text"}])
    error = fails(b'id,note\n1,"never closed\n', schema)
    assert str(error).startswith("Line 2 is not valid CSV")


def test_an_output_field_named_like_an_input_is_refused(patients):
    with pytest.raises(ValueError, match="has the same name as an input field"):
        read_table(GOOD, adapter="csv", schema=patients,
                   output=Schema.from_json([{"name": "age", "type": "int"}]))  # fmt: skip
