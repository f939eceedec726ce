"""The campaign schema: validation messages, JSON round trip, fingerprint, targets."""

from __future__ import annotations

import re

import numpy as np
import pytest

from adapters import Field, Schema, SchemaError, output_task, target_encode

DIABETES = [
    {"name": "age", "type": "int"},
    {"name": "bmi", "type": "float"},
    {"name": "smoker", "type": "bool"},
    {"name": "region", "type": "category", "categories": ["north", "south", "east"]},
    {"name": "notes", "type": "text", "hash_features": 16},
]


def test_a_schema_round_trips_through_json():
    schema = Schema.from_json(DIABETES)
    assert schema.to_json() == DIABETES
    assert Schema.from_json(schema.to_json()) == schema


def test_a_text_field_gets_64_hash_features_by_default():
    schema = Schema.from_json([{"name": "post", "type": "text"}])
    assert schema.fields[0].hash_features == 64
    assert schema.width == 64
    assert Field("post", "text").hash_features == 64


def test_width_counts_one_column_per_number_one_per_category_and_the_hash_width():
    assert Schema.from_json(DIABETES).width == 1 + 1 + 1 + 3 + 16


def test_column_names_follow_the_featurized_columns():
    names = Schema.from_json(DIABETES).column_names()
    assert names[:6] == ["age", "bmi", "smoker", "region=north", "region=south", "region=east"]
    assert names[6:8] == ["notes#0", "notes#1"]
    assert len(names) == Schema.from_json(DIABETES).width


def test_equal_schemas_have_equal_fingerprints_and_any_change_changes_it():
    first = Schema.from_json(DIABETES).fingerprint()
    assert first == Schema.from_json([dict(item) for item in DIABETES]).fingerprint()
    assert len(first) == 64
    renamed = [{**DIABETES[0], "name": "age_years"}, *DIABETES[1:]]
    reordered = [DIABETES[1], DIABETES[0], *DIABETES[2:]]
    recategorized = [*DIABETES[:3], {**DIABETES[3], "categories": ["south", "north", "east"]}]
    for other in (renamed, reordered, recategorized):
        assert Schema.from_json(other).fingerprint() != first


def test_an_explicit_default_hash_width_has_the_same_fingerprint_as_the_implicit_one():
    implicit = Schema.from_json([{"name": "post", "type": "text"}])
    explicit = Schema.from_json([{"name": "post", "type": "text", "hash_features": 64}])
    assert implicit.fingerprint() == explicit.fingerprint()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            [{"name": "a", "type": "int"}, {"name": "b", "type": "int"},
             {"name": "age", "type": "number"}],
            "Field 3 ('age') has unknown type 'number'; use one of float, int, bool, category, "
            "text.",
        ),
        ([], "The schema has no fields; list at least one."),
        ({"name": "age"}, "A schema is a JSON list of fields"),
        (
            [{"name": "age", "type": "int"}, {"name": "age", "type": "float"}],
            "Field 2 ('age') repeats a name; every field needs its own name.",
        ),
        (
            [{"name": "color", "type": "category"}],
            "Field 1 ('color') is a category but has no list of categories",
        ),
        (
            [{"name": "color", "type": "category", "categories": ["red"]}],
            "Field 1 ('color') is a category with 1 category; a category needs at least 2.",
        ),
        (
            [{"name": "color", "type": "category", "categories": ["red", "red"]}],
            "Field 1 ('color') lists category 'red' more than once.",
        ),
        (
            [{"name": "age", "type": "int", "categories": ["a", "b"]}],
            "Field 1 ('age') has type int but lists categories",
        ),
        (
            [{"name": "post", "type": "text", "hash_features": 100000}],
            "Field 1 ('post') has hash_features '100000'; use a whole number from 1 to 4096",
        ),
        (
            [{"name": "age", "type": "int", "hash_features": 8}],
            "Field 1 ('age') has type int but sets hash_features",
        ),
        ([{"name": "", "type": "int"}], "Field 1 has no name"),
        ([{"type": "int"}], "Field 1 has no name"),
        ([{"name": "age"}], "Field 1 ('age') has no type"),
        ([{"name": "age", "type": "int", "unit": "years"}],
         "Field 1 ('age') has unknown key 'unit'"),
        (["age"], "Field 1 is not an object"),
        ([{"name": "x" * 101, "type": "int"}], "has a name longer than 100 characters"),
        (
            [{"name": "c", "type": "category", "categories": [str(i) for i in range(1001)]}],
            "has 1001 categories; at most 1000 are allowed",
        ),
        (
            [{"name": f"t{i}", "type": "text", "hash_features": 4096} for i in range(3)],
            "The schema makes 12288 feature columns; at most 10000 are allowed",
        ),
        ("not json", "The schema is not valid JSON"),
    ],
)  # fmt: skip
def test_invalid_schemas_are_refused_with_a_sentence_naming_the_field(data, message):
    with pytest.raises(SchemaError) as caught:
        Schema.from_json(data)
    assert message in str(caught.value)


def test_a_schema_error_is_a_value_error():
    assert issubclass(SchemaError, ValueError)


def test_fields_built_in_code_are_validated_too():
    with pytest.raises(SchemaError, match="has unknown type 'number'"):
        Field("age", "number")


@pytest.mark.parametrize(
    ("field", "task"),
    [
        ({"name": "y", "type": "float"}, ("regression", None)),
        ({"name": "y", "type": "int"}, ("regression", None)),
        ({"name": "y", "type": "bool"}, ("binary", 2)),
        ({"name": "y", "type": "category", "categories": ["a", "b", "c"]}, ("multiclass", 3)),
    ],
)
def test_the_output_field_type_decides_the_task(field, task):
    assert output_task(Schema.from_json([field])) == task


def test_a_text_output_or_two_output_fields_are_refused():
    with pytest.raises(SchemaError, match="Output field 'y' has type text; an output must be"):
        output_task(Schema.from_json([{"name": "y", "type": "text"}]))
    two = Schema.from_json([{"name": "y", "type": "int"}, {"name": "z", "type": "int"}])
    with pytest.raises(SchemaError, match="exactly one field; this one has 2"):
        output_task(two)


def test_targets_encode_as_floats_or_class_indices():
    regression = Schema.from_json([{"name": "y", "type": "float"}])
    assert target_encode(regression, [1, 2.5]).tolist() == [1.0, 2.5]
    assert target_encode(regression, [1, 2.5]).dtype == np.float64
    binary = Schema.from_json([{"name": "y", "type": "bool"}])
    assert target_encode(binary, [True, False, True]).tolist() == [1, 0, 1]
    multi = Schema.from_json([{"name": "y", "type": "category", "categories": ["a", "b", "c"]}])
    labels = target_encode(multi, ["c", "a", "b"])
    assert labels.tolist() == [2, 0, 1]
    assert labels.dtype == np.int64


def test_a_target_outside_the_categories_names_its_row():
    multi = Schema.from_json([{"name": "y", "type": "category", "categories": ["a", "b"]}])
    with pytest.raises(
        SchemaError, match=re.escape("Row 2, field 'y': expected one of a, b, got 'z'.")
    ):
        target_encode(multi, ["a", "z"])
