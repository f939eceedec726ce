"""The campaign schema: typed fields, their JSON form, fingerprint and featurization.

A schema lists named, typed fields. Featurization turns typed values into the numeric matrix a
linear model trains on: one column per float/int/bool field, one column per category (one-hot),
and `hash_features` columns per text field (signed feature hashing of lower-cased words).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

FIELD_TYPES = ("float", "int", "bool", "category", "text")
OUTPUT_TYPES = ("float", "int", "bool", "category")

DEFAULT_HASH_FEATURES = 64
MAX_HASH_FEATURES = 4096
MAX_FIELDS = 1000
MAX_CATEGORIES = 1000
MAX_NAME_LENGTH = 100
MAX_CATEGORY_LENGTH = 200
# Every column becomes a Paillier ciphertext (and G = XᵀX has width² entries): keep it bounded.
MAX_WIDTH = 10_000
# Integers beyond 2⁵³ would lose precision as float64 features.
MAX_SAFE_INTEGER = 2**53

_FIELD_KEYS = {"name", "type", "categories", "hash_features"}
_TOKEN = re.compile(r"\w+", re.UNICODE)


class SchemaError(ValueError):
    """A schema (or a value checked against it) is not valid; the message says how to fix it."""


def _quote(text: object) -> str:
    """Show a user's value in a message, shortened so one bad value cannot flood it."""
    shown = str(text)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"'{shown}'"


def _check_field(
    name: object, type_: object, categories: object, hash_features: object, label: str
) -> tuple[str, str, tuple[str, ...], int]:
    """Validate one field's parts and return them normalized; `label` names it in messages."""
    if not isinstance(name, str) or not name.strip():
        raise SchemaError(f"{label} has no name; give every field a non-empty name.")
    if name != name.strip() or any(not ch.isprintable() for ch in name):
        raise SchemaError(
            f"{label} has a name with surrounding spaces or control characters; "
            "use plain printable text."
        )
    if len(name) > MAX_NAME_LENGTH:
        raise SchemaError(f"{label} has a name longer than {MAX_NAME_LENGTH} characters.")
    if type_ not in FIELD_TYPES:
        raise SchemaError(
            f"{label} has unknown type {_quote(type_)}; use one of {', '.join(FIELD_TYPES)}."
        )
    if type_ == "category":
        if isinstance(categories, str) or not isinstance(categories, Sequence):
            raise SchemaError(
                f"{label} is a category but has no list of categories; "
                'add e.g. "categories": ["red", "green"].'
            )
        cats = tuple(categories)
        if len(cats) < 2:
            raise SchemaError(
                f"{label} is a category with {len(cats)} categor{'y' if len(cats) == 1 else 'ies'}"
                "; a category needs at least 2."
            )
        if len(cats) > MAX_CATEGORIES:
            raise SchemaError(
                f"{label} has {len(cats)} categories; at most {MAX_CATEGORIES} are allowed "
                "(use a text field for open-ended values)."
            )
        for cat in cats:
            if not isinstance(cat, str) or not cat.strip():
                raise SchemaError(f"{label} has an empty or non-text category; use non-empty text.")
            if len(cat) > MAX_CATEGORY_LENGTH:
                raise SchemaError(
                    f"{label} has a category longer than {MAX_CATEGORY_LENGTH} characters."
                )
        duplicates = sorted({cat for cat in cats if cats.count(cat) > 1})
        if duplicates:
            raise SchemaError(f"{label} lists category {_quote(duplicates[0])} more than once.")
    elif categories:
        raise SchemaError(
            f"{label} has type {type_} but lists categories; only category fields have them."
        )
    else:
        cats = ()
    if type_ == "text":
        if hash_features in (0, None):
            hash_features = DEFAULT_HASH_FEATURES
        if (
            isinstance(hash_features, bool)
            or not isinstance(hash_features, int)
            or not 1 <= hash_features <= MAX_HASH_FEATURES
        ):
            raise SchemaError(
                f"{label} has hash_features {_quote(hash_features)}; use a whole number from 1 "
                f"to {MAX_HASH_FEATURES} (default {DEFAULT_HASH_FEATURES})."
            )
    elif hash_features not in (0, None):
        raise SchemaError(
            f"{label} has type {type_} but sets hash_features; only text fields are hashed."
        )
    else:
        hash_features = 0
    return name, type_, cats, hash_features


@dataclass(frozen=True)
class Field:
    """One named, typed field; text fields hash into `hash_features` columns."""

    name: str
    type: str
    categories: tuple[str, ...] = ()
    hash_features: int = 0

    def __post_init__(self) -> None:
        _, _, cats, hashes = _check_field(
            self.name, self.type, self.categories, self.hash_features, f"Field {_quote(self.name)}"
        )
        # Frozen: normalize through object.__setattr__ (lists become tuples, text gets a width).
        object.__setattr__(self, "categories", cats)
        object.__setattr__(self, "hash_features", hashes)

    @property
    def width(self) -> int:
        """How many numeric columns this field becomes."""
        if self.type == "category":
            return len(self.categories)
        if self.type == "text":
            return self.hash_features
        return 1

    def column_names(self) -> list[str]:
        """Names of this field's columns, e.g. 'color=red' or 'post#3'."""
        if self.type == "category":
            return [f"{self.name}={cat}" for cat in self.categories]
        if self.type == "text":
            return [f"{self.name}#{i}" for i in range(self.hash_features)]
        return [self.name]

    def to_json(self) -> dict:
        """The field as a JSON object with only the keys its type uses."""
        data: dict = {"name": self.name, "type": self.type}
        if self.type == "category":
            data["categories"] = list(self.categories)
        if self.type == "text":
            data["hash_features"] = self.hash_features
        return data


@dataclass(frozen=True)
class Schema:
    """An ordered tuple of uniquely named fields."""

    fields: tuple[Field, ...]

    def __post_init__(self) -> None:
        fields = tuple(self.fields)
        object.__setattr__(self, "fields", fields)
        if not fields:
            raise SchemaError("The schema has no fields; list at least one.")
        if len(fields) > MAX_FIELDS:
            raise SchemaError(f"The schema has {len(fields)} fields; at most {MAX_FIELDS}.")
        seen: set[str] = set()
        for position, item in enumerate(fields, start=1):
            if not isinstance(item, Field):
                raise SchemaError(f"Field {position} is not a Field.")
            if item.name in seen:
                raise SchemaError(
                    f"Field {position} ({_quote(item.name)}) repeats a name; "
                    "every field needs its own name."
                )
            seen.add(item.name)
        if self.width > MAX_WIDTH:
            raise SchemaError(
                f"The schema makes {self.width} feature columns; at most {MAX_WIDTH} are "
                "allowed (use fewer categories or smaller hash_features)."
            )

    @classmethod
    def from_json(cls, data: object) -> Schema:
        """Build and validate a schema from its JSON form: a list of field objects."""
        if isinstance(data, str | bytes):
            try:
                data = json.loads(data)
            except ValueError as exc:
                raise SchemaError(f"The schema is not valid JSON: {exc}.") from None
        if not isinstance(data, list):
            raise SchemaError(
                "A schema is a JSON list of fields, e.g. "
                '[{"name": "age", "type": "int"}, {"name": "bmi", "type": "float"}].'
            )
        if not data:
            raise SchemaError("The schema has no fields; list at least one.")
        if len(data) > MAX_FIELDS:
            raise SchemaError(f"The schema has {len(data)} fields; at most {MAX_FIELDS}.")
        fields = []
        for position, item in enumerate(data, start=1):
            if not isinstance(item, Mapping):
                raise SchemaError(
                    f'Field {position} is not an object; write it as {{"name": ..., "type": ...}}.'
                )
            name = item.get("name")
            named = isinstance(name, str) and name.strip()
            label = f"Field {position} ({_quote(name)})" if named else f"Field {position}"
            unknown = sorted(set(item) - _FIELD_KEYS)
            if unknown:
                raise SchemaError(
                    f"{label} has unknown key {_quote(unknown[0])}; a field may have "
                    "name, type, categories (category) and hash_features (text)."
                )
            if "type" not in item:
                raise SchemaError(f"{label} has no type; use one of {', '.join(FIELD_TYPES)}.")
            name, type_, cats, hashes = _check_field(
                name, item["type"], item.get("categories"), item.get("hash_features", 0), label
            )
            fields.append(Field(name=name, type=type_, categories=cats, hash_features=hashes))
        return cls(fields=tuple(fields))

    def to_json(self) -> list[dict]:
        """The schema's JSON form (what from_json reads back)."""
        return [item.to_json() for item in self.fields]

    @property
    def width(self) -> int:
        """Numeric columns after featurization."""
        return sum(item.width for item in self.fields)

    @property
    def names(self) -> list[str]:
        """The field names, in order."""
        return [item.name for item in self.fields]

    def field(self, name: str) -> Field:
        """The field called `name`."""
        for item in self.fields:
            if item.name == name:
                return item
        raise SchemaError(f"The schema has no field {_quote(name)}.")

    def fingerprint(self) -> str:
        """sha256 (hex) of the canonical JSON form: equal schemas, equal fingerprints."""
        canonical = json.dumps(
            self.to_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def column_names(self) -> list[str]:
        """Names of the featurized columns, in order."""
        return [name for item in self.fields for name in item.column_names()]

    def featurize(self, rows: Sequence[Mapping[str, object]]) -> np.ndarray:
        """Turn typed rows into an (n, width) float64 matrix."""
        matrix = np.zeros((len(rows), self.width), dtype=np.float64)
        column = 0
        for item in self.fields:
            values = [_row_value(row, item.name, index) for index, row in enumerate(rows)]
            block = matrix[:, column : column + item.width]
            if item.type in ("float", "int"):
                block[:, 0] = _numbers(values, item)
            elif item.type == "bool":
                for index, value in enumerate(values):
                    if not isinstance(value, bool | np.bool_):
                        raise SchemaError(
                            f"Row {index + 1}, field {_quote(item.name)}: expected true or "
                            f"false, got {_quote(value)}."
                        )
                    block[index, 0] = 1.0 if value else 0.0
            elif item.type == "category":
                lookup = {cat: i for i, cat in enumerate(item.categories)}
                for index, value in enumerate(values):
                    block[index, _category_index(lookup, value, item, index)] = 1.0
            else:
                for index, value in enumerate(values):
                    if not isinstance(value, str):
                        raise SchemaError(
                            f"Row {index + 1}, field {_quote(item.name)}: expected text, "
                            f"got {_quote(value)}."
                        )
                block[:, :] = texts_hash(values, item.hash_features)
            column += item.width
        return matrix


def _row_value(row: Mapping[str, object], name: str, index: int) -> object:
    try:
        return row[name]
    except KeyError:
        raise SchemaError(f"Row {index + 1} has no value for field {_quote(name)}.") from None


def _number(value: object, item: Field, index: int) -> float:
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        raise SchemaError(
            f"Row {index + 1}, field {_quote(item.name)}: expected a number, got {_quote(value)}."
        )
    number = float(value)
    if not math.isfinite(number):
        raise SchemaError(
            f"Row {index + 1}, field {_quote(item.name)}: expected a finite number, "
            f"got {_quote(value)}."
        )
    return number


def _numbers(values: Sequence[object], item: Field) -> np.ndarray:
    """A column of finite numbers; the slow path only runs to name the bad row."""
    if all(type(value) in (int, float) for value in values):
        column = np.asarray(values, dtype=np.float64)
        if np.isfinite(column).all():
            return column
    return np.array(
        [_number(value, item, index) for index, value in enumerate(values)], dtype=np.float64
    )


def _category_index(lookup: Mapping[str, int], value: object, item: Field, index: int) -> int:
    try:
        return lookup[value]  # type: ignore[index]
    except (KeyError, TypeError):
        raise SchemaError(
            f"Row {index + 1}, field {_quote(item.name)}: expected one of "
            f"{category_list(item.categories)}, got {_quote(value)}."
        ) from None


def category_list(categories: Sequence[str], limit: int = 10) -> str:
    """'a, b, c' — the first few categories when there are many."""
    shown = ", ".join(categories[:limit])
    if len(categories) > limit:
        shown += f", ... ({len(categories)} in all)"
    return shown


@lru_cache(maxsize=65536)
def _token_slot(token: str, width: int) -> tuple[int, float]:
    """Column and sign of one word: blake2b is stable across runs, unlike Python's hash()."""
    digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8, person=b"sonar-text").digest()
    number = int.from_bytes(digest, "big")
    # The low bit picks the sign, so colliding words tend to cancel instead of piling up.
    return (number >> 1) % width, (1.0 if number & 1 else -1.0)


def text_tokens(text: str) -> list[str]:
    """The words of a text, lower-cased (letters, digits and underscore in any script)."""
    return _TOKEN.findall(text.lower())


def text_hash(text: str, width: int) -> np.ndarray:
    """Signed hashed word counts of `text` in `width` columns, scaled to unit length."""
    return texts_hash([text], width)[0]


def texts_hash(texts: Sequence[str], width: int) -> np.ndarray:
    """text_hash of many texts at once: an (n, width) matrix."""
    rows: list[int] = []
    columns: list[int] = []
    signs: list[float] = []
    for index, text in enumerate(texts):
        for token in text_tokens(text):
            slot, sign = _token_slot(token, width)
            rows.append(index)
            columns.append(slot)
            signs.append(sign)
    matrix = np.zeros((len(texts), width), dtype=np.float64)
    np.add.at(matrix, (np.asarray(rows, dtype=np.intp), np.asarray(columns, dtype=np.intp)), signs)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    # Unit length keeps long and short posts on one scale (and fixed-point encoding bounded).
    np.divide(matrix, norms, out=matrix, where=norms > 0)
    return matrix


def output_task(output: Schema) -> tuple[str, int | None]:
    """What an output schema asks a model to do: regression, binary or multiclass (k)."""
    if len(output.fields) != 1:
        raise SchemaError(
            f"An output schema has exactly one field; this one has {len(output.fields)} "
            f"({', '.join(output.names)})."
        )
    item = output.fields[0]
    if item.type in ("float", "int"):
        return ("regression", None)
    if item.type == "bool":
        return ("binary", 2)
    if item.type == "category":
        return ("multiclass", len(item.categories))
    raise SchemaError(
        f"Output field {_quote(item.name)} has type {item.type}; an output must be "
        f"{', '.join(OUTPUT_TYPES[:-1])} or {OUTPUT_TYPES[-1]}."
    )


def target_encode(output: Schema, values: Sequence[object]) -> np.ndarray:
    """Targets as floats (regression) or class labels 0..k-1 (False=0, True=1; category index)."""
    task, _ = output_task(output)
    item = output.fields[0]
    if task == "regression":
        return _numbers(values, item)
    labels = np.zeros(len(values), dtype=np.int64)
    if task == "binary":
        for index, value in enumerate(values):
            if not isinstance(value, bool | np.bool_):
                raise SchemaError(
                    f"Row {index + 1}, field {_quote(item.name)}: expected true or false, "
                    f"got {_quote(value)}."
                )
            labels[index] = 1 if value else 0
        return labels
    lookup = {cat: i for i, cat in enumerate(item.categories)}
    for index, value in enumerate(values):
        labels[index] = _category_index(lookup, value, item, index)
    return labels
