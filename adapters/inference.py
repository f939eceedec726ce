"""Guess a schema from a CSV file's header and values, for imports that come without one.

A guess is a convenience: a mine joins a campaign only when its dataset's schema fingerprint
equals the campaign's, so a miner who knows the campaign should import with its schema instead.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field

from adapters.readers import (
    DEFAULT_MAX_LINE_BYTES,
    FALSE_WORDS,
    TRUE_WORDS,
    AdapterError,
    Source,
    _BadValue,
    _LineCounter,
    _open,
    value_from_text,
)
from adapters.schema import Field, Schema, SchemaError

DEFAULT_MAX_CATEGORIES = 20
# A target with more distinct labels than this is not a classification anyone can pay for.
MAX_TARGET_CLASSES = 100

_INT = Field("probe", "int")
_FLOAT = Field("probe", "float")


@dataclass
class _ColumnStats:
    """What one column's values could be, learned in one pass with bounded memory."""

    limit: int
    could_int: bool = True
    could_float: bool = True
    could_bool: bool = True
    filled: int = 0
    distinct: set[str] = field(default_factory=set)
    overflow: bool = False

    def add(self, raw: str) -> None:
        value = raw.strip()
        if not value:
            return
        self.filled += 1
        if self.could_int:
            self.could_int = _parses(_INT, value)
        if self.could_float:
            self.could_float = _parses(_FLOAT, value)
        if self.could_bool:
            self.could_bool = value.lower() in TRUE_WORDS | FALSE_WORDS
        if not self.overflow:
            self.distinct.add(value)
            self.overflow = len(self.distinct) > self.limit

    def field(self, name: str, max_categories: int) -> Field:
        if self.filled and self.could_int:
            return Field(name, "int")
        if self.filled and self.could_float:
            return Field(name, "float")
        if self.filled and self.could_bool:
            return Field(name, "bool")
        # Repeated values from a short list read as categories; anything else is free text.
        if (
            not self.overflow
            and 2 <= len(self.distinct) <= max_categories
            and len(self.distinct) < self.filled
        ):
            return Field(name, "category", categories=tuple(sorted(self.distinct)))
        return Field(name, "text")


def _parses(probe: Field, value: str) -> bool:
    try:
        value_from_text(probe, value)
    except _BadValue:
        return False
    return True


def schema_infer_csv(
    source: Source,
    *,
    target: str | None = None,
    max_categories: int = DEFAULT_MAX_CATEGORIES,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    progress: bool = False,
) -> tuple[Schema, Schema | None]:
    """Guess (input schema, output schema or None) from a CSV file; `target` names the label."""
    with _open(source, progress, max_line_bytes, label="csv (guessing the schema)") as opened:
        counter = _LineCounter(opened.lines())
        reader = csv.reader(counter)
        try:
            header = next((record for record in reader if record), None)
            if header is None:
                raise AdapterError("The file is empty; a CSV file starts with a header line.")
            header = [name.strip() for name in header]
            for name in header:
                if not name or header.count(name) > 1:
                    raise AdapterError(
                        "Line 1: every column of the header needs its own non-empty name.",
                        line=1,
                    )
            if target is not None and target not in header:
                raise AdapterError(
                    f"The target column '{target}' is not in the header ({', '.join(header)}).",
                    line=1,
                    field=target,
                )
            stats = {
                name: _ColumnStats(limit=MAX_TARGET_CLASSES if name == target else max_categories)
                for name in header
            }
            rows = 0
            for record in reader:
                # Ragged rows are skipped here; reading the file reports them with their line.
                if len(record) != len(header):
                    continue
                rows += 1
                for name, raw in zip(header, record, strict=True):
                    stats[name].add(raw)
        except csv.Error as exc:
            raise AdapterError(
                f"Line {counter.last} is not valid CSV ({exc}).", line=counter.last
            ) from None
    if rows == 0:
        raise AdapterError("The file has a header but no data rows; add rows below it.", line=1)
    inputs = [stats[name].field(name, max_categories) for name in header if name != target]
    if not inputs:
        raise SchemaError("The file has only the target column; there is nothing to learn from.")
    output = None
    if target is not None:
        guessed = stats[target].field(target, MAX_TARGET_CLASSES)
        if guessed.type == "text":
            column = stats[target]
            if column.overflow or len(column.distinct) < 2:
                how_many = f"more than {MAX_TARGET_CLASSES}" if column.overflow else "fewer than 2"
                raise SchemaError(
                    f"The target column '{target}' does not look like a label: it is not "
                    f"numeric or true/false, and has {how_many} distinct values. Pass an "
                    "output schema instead."
                )
            guessed = Field(target, "category", categories=tuple(sorted(column.distinct)))
        output = Schema(fields=(guessed,))
    return Schema(fields=tuple(inputs)), output
