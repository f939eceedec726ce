"""Schemas the adapter tests read files against."""

from __future__ import annotations

import pytest

from adapters import Schema


@pytest.fixture
def patients() -> Schema:
    """Input schema with one field of each non-text type."""
    return Schema.from_json(
        [
            {"name": "age", "type": "int"},
            {"name": "bmi", "type": "float"},
            {"name": "smoker", "type": "bool"},
            {"name": "region", "type": "category", "categories": ["north", "south"]},
        ]
    )


@pytest.fixture
def diabetic() -> Schema:
    """Binary output schema."""
    return Schema.from_json([{"name": "diabetic", "type": "bool"}])
