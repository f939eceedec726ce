"""Featurization: shapes, one-hot categories, and text hashing that is stable across runs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from adapters import Schema, SchemaError, text_hash

ROOT = Path(__file__).resolve().parents[2]

SCHEMA = Schema.from_json(
    [
        {"name": "age", "type": "int"},
        {"name": "smoker", "type": "bool"},
        {"name": "region", "type": "category", "categories": ["north", "south", "east"]},
        {"name": "notes", "type": "text", "hash_features": 8},
    ]
)


def test_featurize_gives_one_row_per_record_and_width_columns():
    rows = [
        {"age": 31, "smoker": True, "region": "south", "notes": "feels fine"},
        {"age": 45, "smoker": False, "region": "east", "notes": ""},
    ]
    matrix = SCHEMA.featurize(rows)
    assert matrix.shape == (2, SCHEMA.width) == (2, 13)
    assert matrix.dtype == np.float64
    assert matrix[:, 0].tolist() == [31.0, 45.0]
    assert matrix[:, 1].tolist() == [1.0, 0.0]


def test_categories_are_one_hot_in_schema_order():
    rows = [{"age": 1, "smoker": False, "region": region, "notes": ""} for region in
            ("north", "south", "east")]  # fmt: skip
    one_hot = SCHEMA.featurize(rows)[:, 2:5]
    assert one_hot.tolist() == np.eye(3).tolist()


def test_an_empty_text_hashes_to_zeros_and_a_text_to_unit_length():
    assert text_hash("", 8).tolist() == [0.0] * 8
    vector = text_hash("the cat sat on the mat", 8)
    assert np.linalg.norm(vector) == pytest.approx(1.0)


def test_text_hashing_ignores_case_and_punctuation():
    assert text_hash("Great product!!", 32).tolist() == text_hash("great, PRODUCT", 32).tolist()


def test_text_hashing_is_the_same_in_another_process_with_another_hash_seed():
    # Python's own hash() changes with PYTHONHASHSEED; features must not.
    code = "import json; from adapters import text_hash; print(json.dumps(text_hash('Hello sonar world, hello', 16).tolist()))"  # noqa: E501
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(other.stdout) == text_hash("Hello sonar world, hello", 16).tolist()


def test_text_hashing_matches_the_recorded_vector():
    # Pinned: a change here would silently break every model trained on earlier features.
    half = 0.5**0.5
    expected = [0.0, 0.0, -half, 0.0, 0.0, 0.0, half, 0.0]
    assert text_hash("hello world", 8).tolist() == pytest.approx(expected)


def test_featurize_names_the_row_with_a_value_of_the_wrong_type():
    rows = [
        {"age": 1, "smoker": True, "region": "north", "notes": ""},
        {"age": "x", "smoker": True, "region": "north", "notes": ""},
    ]
    with pytest.raises(
        SchemaError, match=re.escape("Row 2, field 'age': expected a number, got 'x'.")
    ):
        SCHEMA.featurize(rows)


def test_featurize_names_a_missing_field():
    with pytest.raises(SchemaError, match=re.escape("Row 1 has no value for field 'notes'.")):
        SCHEMA.featurize([{"age": 1, "smoker": True, "region": "north"}])
