"""Guessing a schema from a CSV file."""

from __future__ import annotations

import pytest

from adapters import AdapterError, SchemaError, read_table, schema_infer_csv

DATA = (
    b"age,bmi,smoker,region,notes,outcome\n"
    b"31,22.5,yes,north,feels fine today,healthy\n"
    b"45,30,no,south,tired after lunch,diabetic\n"
    b"52,27.25,no,north,,healthy\n"
)


def test_types_are_guessed_from_the_values():
    schema, output = schema_infer_csv(DATA, target="outcome")
    assert schema.to_json() == [
        {"name": "age", "type": "int"},
        {"name": "bmi", "type": "float"},
        {"name": "smoker", "type": "bool"},
        {"name": "region", "type": "category", "categories": ["north", "south"]},
        {"name": "notes", "type": "text", "hash_features": 64},
    ]
    assert output is not None
    assert output.to_json() == [
        {"name": "outcome", "type": "category", "categories": ["diabetic", "healthy"]}
    ]


def test_a_guessed_schema_reads_its_own_file():
    schema, output = schema_infer_csv(DATA, target="outcome")
    table = read_table(DATA, adapter="csv", schema=schema, output=output)
    assert table.n_rows == 3
    assert table.target().tolist() == [1, 0, 1]


def test_without_a_target_every_column_is_an_input():
    schema, output = schema_infer_csv(DATA)
    assert output is None
    assert schema.names == ["age", "bmi", "smoker", "region", "notes", "outcome"]


def test_zero_and_one_read_as_integers_not_booleans():
    schema, _ = schema_infer_csv(b"flag\n0\n1\n1\n")
    assert schema.fields[0].type == "int"


def test_a_target_missing_from_the_header_is_named():
    with pytest.raises(AdapterError, match="The target column 'label' is not in the header"):
        schema_infer_csv(DATA, target="label")


def test_a_free_text_target_is_refused():
    data = b"x,y\n" + b"".join(f"{i},word{i}\n".encode() for i in range(150))
    with pytest.raises(SchemaError, match="does not look like a label"):
        schema_infer_csv(data, target="y")


def test_an_empty_or_header_only_file_cannot_be_guessed():
    with pytest.raises(AdapterError, match="The file is empty"):
        schema_infer_csv(b"")
    with pytest.raises(AdapterError, match="header but no data rows"):
        schema_infer_csv(b"a,b\n")
