"""Readers that map external files onto a schema: CSV, a JSON array, JSON Lines, and plain text.

Every reader streams its input (one line, or one JSON object, at a time; never the whole file
twice) and is all or nothing. A row that does not fit (a bad value, a missing field, a line that
is not JSON) does not stop the reading: every bad row is collected, and the file is refused with
AdapterRowsError listing the first BAD_ROWS_KEPT of them and how many there were, so a person
fixes the whole file in one round. A problem with the file itself (its header, its encoding, a
broken JSON array) stops at once with AdapterError. docs/adapters.md describes each format.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
from tqdm import tqdm

from adapters.schema import (
    MAX_SAFE_INTEGER,
    Field,
    Schema,
    SchemaError,
    category_list,
    output_task,
    target_encode,
)

Source = bytes | bytearray | str | os.PathLike | BinaryIO
# A record is a typed row, or the list of what is wrong with it (see BadRow).
Records = Iterator[tuple[int, "dict[str, object] | list[BadRow]"]]

DEFAULT_MAX_LINE_BYTES = 1_000_000
_CHUNK_BYTES = 1 << 16

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0"})
_INTEGER = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")

# Files people upload by mistake: say what they are instead of "invalid UTF-8 on line 1".
_SIGNATURES = (
    (b"\x1f\x8b", "a gzip-compressed file; decompress it first"),
    (b"PK\x03\x04", "a ZIP archive (an .xlsx workbook is one); unpack it or export it as CSV"),
    (b"%PDF-", "a PDF document; export the data as CSV, JSON or JSONL"),
    (b"\xd0\xcf\x11\xe0", "an old Excel/Office file; export it as CSV"),
    (b"SQLite format 3\x00", "an SQLite database; export the table as CSV"),
    (b"PAR1", "a Parquet file; export it as CSV or JSONL"),
    (b"\xff\xfe", "UTF-16 text; save it as UTF-8"),
    (b"\xfe\xff", "UTF-16 text; save it as UTF-8"),
)


class AdapterError(ValueError):
    """A file does not fit its adapter or schema; `line`, `field`, `expected` say where and why."""

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        field: str | None = None,
        expected: str | None = None,
    ) -> None:
        super().__init__(message)
        self.line = line
        self.field = field
        self.expected = expected


@dataclass(frozen=True)
class BadRow:
    """One problem in one row: its line, the column (when one is to blame), the value and why."""

    line: int | None
    column: str
    value: str
    reason: str
    expected: str = ""


BAD_ROWS_KEPT = 100


class AdapterRowsError(AdapterError):
    """Rows of the file do not fit: the first BAD_ROWS_KEPT problems and how many there are."""

    def __init__(self, bad_rows: list[BadRow], *, total: int, lines: int) -> None:
        first = bad_rows[0]
        more = total - 1
        message = first.reason
        if more:
            message += (
                f" And {more:,} more problem{'s' if more != 1 else ''}, "
                f"{total:,} in all on {lines:,} line{'s' if lines != 1 else ''}."
            )
        super().__init__(
            message, line=first.line, field=first.column or None, expected=first.expected or None
        )
        self.bad_rows = bad_rows
        self.total = total
        self.lines = lines


def bad_rows_collect(records: Records, *, keep: int = BAD_ROWS_KEPT) -> list[dict]:
    """Every good row of `records`, or AdapterRowsError naming every bad one (the first `keep`).

    The one place bad rows are gathered: the Mine page's import, `mine_import` and every other
    reader of a table report them alike.
    """
    rows: list[dict] = []
    kept: list[BadRow] = []
    total = 0
    lines = 0
    for _line, row in records:
        if isinstance(row, list):
            total += len(row)
            lines += 1
            kept.extend(row[: max(keep - len(kept), 0)])
            rows.clear()  # the file is refused: good rows after a bad one need not be kept
        elif not lines:
            rows.append(row)
    if total:
        raise AdapterRowsError(kept, total=total, lines=lines)
    return rows


class _BadValue(Exception):
    """One value does not fit its field; the reader adds the line and the field name."""

    def __init__(self, expected: str, got: str) -> None:
        super().__init__(expected)
        self.expected = expected
        self.got = got


@dataclass
class Table:
    """Typed rows read from a file: input fields plus the target field when there is one."""

    rows: list[dict]
    n_rows: int
    schema: Schema | None = None
    output: Schema | None = None
    adapter: str = ""

    def features(self, schema: Schema | None = None) -> np.ndarray:
        """The (n, width) feature matrix."""
        schema = schema or self.schema
        if schema is None:
            raise SchemaError("Pass the input schema to featurize this table.")
        return schema.featurize(self.rows)

    def target(self, output: Schema | None = None) -> np.ndarray:
        """Encoded targets: floats for regression, class labels for classification."""
        output = output or self.output
        if output is None:
            raise SchemaError("This table has no output schema, so it has no targets.")
        name = output.fields[0].name
        if self.rows and name not in self.rows[0]:
            raise SchemaError(
                f"This table has no values for output field '{name}'; it was read without "
                "an output schema (unlabeled data can't train)."
            )
        return target_encode(output, [row[name] for row in self.rows])


@dataclass(frozen=True)
class Adapter:
    """A named file format and the function that streams its records."""

    name: str
    summary: str
    records: Callable[[_Input, Schema, Schema | None], Records] = field(repr=False)


# --- Opening a source and reading it line by line -----------------------------------------------


@dataclass
class _Input:
    """An open binary stream with its progress bar and line limit."""

    stream: BinaryIO
    bar: tqdm
    max_line_bytes: int

    def lines(self) -> Iterator[tuple[int, str]]:
        """(line number, decoded line with its terminator); checks size, binary and UTF-8."""
        number = 0
        while True:
            # One byte over the limit (plus CRLF) tells a long line from one that just fits.
            raw = self.stream.readline(self.max_line_bytes + 2)
            if not raw:
                return
            number += 1
            self.bar.update(len(raw))
            if number == 1:
                _refuse_binary_signature(raw)
                raw = raw.removeprefix(codecs.BOM_UTF8)
            body = raw.rstrip(b"\n").rstrip(b"\r") if raw.endswith(b"\n") else raw.rstrip(b"\r")
            if len(body) > self.max_line_bytes:
                raise AdapterError(
                    f"Line {number} is longer than {self.max_line_bytes:,} bytes; split it or "
                    "raise the line limit (is this really a line-based text file?).",
                    line=number,
                    expected=f"at most {self.max_line_bytes:,} bytes per line",
                )
            yield number, _decode_line(raw, number)

    def chunks(self) -> Iterator[bytes]:
        """The raw bytes in pieces, for formats that are not line based."""
        first = True
        while True:
            chunk = self.stream.read(_CHUNK_BYTES)
            if not chunk:
                return
            self.bar.update(len(chunk))
            if first:
                _refuse_binary_signature(chunk)
                chunk = chunk.removeprefix(codecs.BOM_UTF8)
                first = False
            yield chunk


def _refuse_binary_signature(start: bytes) -> None:
    for signature, what in _SIGNATURES:
        if start.startswith(signature):
            raise AdapterError(f"This file looks like {what}.", line=1, expected="UTF-8 text")


def _decode_line(raw: bytes, number: int) -> str:
    if b"\x00" in raw:
        raise AdapterError(
            f"Line {number} contains a NUL byte: this looks like a binary file, not text. "
            "Export the data as CSV, JSON or JSONL.",
            line=number,
            expected="UTF-8 text",
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AdapterError(
            f"Line {number} is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column "
            f"{exc.start + 1}); save the file as UTF-8 and try again.",
            line=number,
            expected="UTF-8 text",
        ) from None


def _source_size(source: Source, stream: BinaryIO) -> int | None:
    if isinstance(source, bytes | bytearray):
        return len(source)
    try:
        return os.fstat(stream.fileno()).st_size - stream.tell()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None


@contextmanager
def _open(source: Source, progress: bool, max_line_bytes: int, label: str) -> Iterator[_Input]:
    """Open bytes, a path (str or Path) or a binary stream; close only what we opened."""
    if isinstance(source, bytes | bytearray | memoryview):
        stream: BinaryIO = io.BytesIO(bytes(source))
        owned = True
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            stream = path.open("rb")
        except OSError as exc:
            raise AdapterError(f"Cannot open {path}: {exc.strerror}.") from None
        owned = True
        label = path.name
    elif hasattr(source, "read"):
        if isinstance(source, io.TextIOBase):
            raise TypeError("Open the file in binary mode ('rb'); readers decode UTF-8 themselves.")
        stream = source
        owned = False
    else:
        raise TypeError(
            f"Cannot read from a {type(source).__name__}; pass bytes, a path or a file."
        )
    bar = tqdm(
        total=_source_size(source, stream),
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        desc=f"Reading {label}",
        file=sys.stderr,
        disable=not progress,
    )
    try:
        yield _Input(stream=stream, bar=bar, max_line_bytes=max_line_bytes)
    finally:
        bar.close()
        if owned:
            stream.close()


# --- Values ---------------------------------------------------------------------------------


def _shown(text: str) -> str:
    if text == "":
        return "an empty value"
    return f"'{text[:57]}...'" if len(text) > 60 else f"'{text}'"


def _integer(number: int, got: str) -> int:
    if abs(number) > MAX_SAFE_INTEGER:
        raise _BadValue("an integer between -2^53 and 2^53", got)
    return number


def value_from_text(item: Field, text: str) -> object:
    """Parse a value written as text (a CSV cell, a label) for `item`, or raise _BadValue."""
    if item.type == "text":
        return text
    stripped = text.strip()
    got = _shown(stripped)
    if item.type == "int":
        if _INTEGER.fullmatch(stripped):
            return _integer(int(stripped), got)
        # Spreadsheets write whole numbers as "3.0": accept them, refuse "3.5".
        if _FLOAT.fullmatch(stripped) and float(stripped).is_integer():
            return _integer(int(float(stripped)), got)
        raise _BadValue("an integer", got)
    if item.type == "float":
        if not _FLOAT.fullmatch(stripped):
            raise _BadValue("a number", got)
        number = float(stripped)
        if not math.isfinite(number):
            raise _BadValue("a finite number", got)
        return number
    if item.type == "bool":
        word = stripped.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise _BadValue("true or false (or yes/no, 1/0)", got)
    if stripped in item.categories:
        return stripped
    raise _BadValue(f"one of {category_list(item.categories)}", got)


def _json_shown(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _shown(value)
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return repr(value)


def value_from_json(item: Field, value: object) -> object:
    """Check a decoded JSON value for `item` (JSON is typed: "3" is not a number), or raise."""
    got = _json_shown(value)
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if item.type == "int":
        if is_number and isinstance(value, int):
            return _integer(value, got)
        if is_number and math.isfinite(value) and float(value).is_integer():
            return _integer(int(value), got)
        raise _BadValue("an integer", got)
    if item.type == "float":
        if not is_number:
            raise _BadValue("a number", got)
        if not math.isfinite(value):
            raise _BadValue("a finite number", got)
        return float(value)
    if item.type == "bool":
        if isinstance(value, bool):
            return value
        raise _BadValue("true or false", got)
    if item.type == "category":
        if isinstance(value, str) and value in item.categories:
            return value
        raise _BadValue(f"one of {category_list(item.categories)}", got)
    if isinstance(value, str):
        return value
    raise _BadValue("text", got)


def _bad(line: int, where: str, item: Field, problem: _BadValue, value: object) -> BadRow:
    return BadRow(
        line=line,
        column=item.name,
        value=_cell(value),
        reason=f"{where}, field '{item.name}': expected {problem.expected}, got {problem.got}.",
        expected=problem.expected,
    )


def _cell(value: object) -> str:
    """A value as a bad-row table shows it: the text as written, cut at 80 characters."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def _row_problem(exc: AdapterError, value: object = "") -> list[BadRow]:
    return [
        BadRow(
            line=exc.line,
            column=exc.field or "",
            value=_cell(value),
            reason=str(exc),
            expected=exc.expected or "",
        )
    ]


def _expected_fields(schema: Schema, output: Schema | None) -> list[Field]:
    return list(schema.fields) + (list(output.fields) if output else [])


# --- CSV ------------------------------------------------------------------------------------


class _LineCounter:
    """Feeds csv.reader and remembers the last line number, so records know their line."""

    def __init__(self, lines: Iterator[tuple[int, str]]) -> None:
        self._lines = lines
        self.last = 0

    def __iter__(self) -> _LineCounter:
        return self

    def __next__(self) -> str:
        self.last, text = next(self._lines)
        return text


def _csv_records(source: _Input, schema: Schema, output: Schema | None) -> Records:
    counter = _LineCounter(source.lines())
    reader = csv.reader(counter, strict=True)

    def next_record() -> tuple[int, list[str]] | None:
        while True:
            start = counter.last + 1
            try:
                record = next(reader)
            except StopIteration:
                return None
            except csv.Error as exc:
                raise AdapterError(
                    f"Line {start} is not valid CSV ({exc}); check the quotes on this line.",
                    line=start,
                    expected="CSV",
                ) from None
            if record:  # csv.reader yields [] for a blank line; blank lines carry no row
                return start, record

    first = next_record()
    if first is None:
        raise AdapterError(
            "The file is empty; a CSV file starts with a header line naming the columns "
            f"({', '.join(item.name for item in _expected_fields(schema, output))}).",
            line=None,
            expected="a header line",
        )
    header_line, header = first
    header = [name.strip() for name in header]
    expected = _expected_fields(schema, output)
    expected_names = [item.name for item in expected]
    for position, name in enumerate(header, start=1):
        if not name:
            raise AdapterError(
                f"Line {header_line}: column {position} of the header has no name.",
                line=header_line,
                expected="a column name",
            )
        if header.count(name) > 1:
            raise AdapterError(
                f"Line {header_line}: the header names column '{name}' more than once.",
                line=header_line,
                field=name,
            )
    missing = [name for name in expected_names if name not in header]
    if missing:
        listed = ", ".join(f"'{name}'" for name in missing)
        raise AdapterError(
            f"Line {header_line}: column{'s' if len(missing) > 1 else ''} {listed} "
            f"{'are' if len(missing) > 1 else 'is'} missing from the header; the schema "
            f"expects the columns {', '.join(expected_names)}.",
            line=header_line,
            field=missing[0],
            expected=f"a column named '{missing[0]}'",
        )
    extra = [name for name in header if name not in expected_names]
    if extra:
        raise AdapterError(
            f"Line {header_line}: column '{extra[0]}' is not in the schema; remove the column "
            f"or add the field to the schema (expected columns: {', '.join(expected_names)}).",
            line=header_line,
            field=extra[0],
            expected=f"only the columns {', '.join(expected_names)}",
        )
    positions = [(item, header.index(item.name)) for item in expected]

    seen_row = False
    while (found := next_record()) is not None:
        line, record = found
        seen_row = True
        if len(record) != len(header):
            yield (
                line,
                [
                    BadRow(
                        line=line,
                        column="",
                        value=_cell(",".join(record)),
                        reason=f"Line {line} has {len(record)} value"
                        f"{'s' if len(record) != 1 else ''} but the header on line {header_line} "
                        f"names {len(header)} columns.",
                        expected=f"{len(header)} values",
                    )
                ],
            )
            continue
        row: dict[str, object] = {}
        problems: list[BadRow] = []
        for item, position in positions:
            try:
                row[item.name] = value_from_text(item, record[position])
            except _BadValue as problem:
                problems.append(_bad(line, f"Line {line}", item, problem, record[position]))
        yield line, problems or row
    if not seen_row:
        raise AdapterError(
            f"The file has a header on line {header_line} but no data rows; add rows below it.",
            line=header_line,
            expected="at least one data row",
        )


# --- JSON Lines -----------------------------------------------------------------------------


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool) or value is None:
        return _json_shown(value)
    return "a number"


def _object_row(
    value: object, line: int, where: str, schema: Schema, output: Schema | None
) -> dict[str, object] | list[BadRow]:
    """Check one decoded JSON object against the fields: its typed row, or what is wrong."""
    if not isinstance(value, dict):
        return [
            BadRow(
                line=line,
                column="",
                value=_cell(value),
                reason=f'{where}: expected a JSON object like {{"{schema.fields[0].name}": ...}}, '
                f"got {_json_kind(value)}.",
                expected="a JSON object",
            )
        ]
    expected = _expected_fields(schema, output)
    names = {item.name for item in expected}
    problems = [
        BadRow(
            line=line,
            column=key,
            value=_cell(value[key]),
            reason=f"{where}: field '{key}' is not in the schema; remove it or add it to the "
            "schema.",
            expected=f"only the fields {', '.join(item.name for item in expected)}",
        )
        for key in value
        if key not in names
    ]
    row: dict[str, object] = {}
    for item in expected:
        if item.name not in value:
            problems.append(
                BadRow(
                    line=line,
                    column=item.name,
                    value="",
                    reason=f"{where}: field '{item.name}' is missing; every object needs "
                    f"{', '.join(field.name for field in expected)}.",
                    expected=f"a value for '{item.name}'",
                )
            )
            continue
        try:
            row[item.name] = value_from_json(item, value[item.name])
        except _BadValue as problem:
            problems.append(_bad(line, where, item, problem, value[item.name]))
    return problems or row


def _jsonl_records(source: _Input, schema: Schema, output: Schema | None) -> Records:
    seen_line = False
    for line, text in source.lines():
        seen_line = True
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            yield (
                line,
                [
                    BadRow(
                        line=line,
                        column="",
                        value=_cell(text.rstrip("\r\n")),
                        reason=f"Line {line} is not valid JSON ({exc.msg} at column {exc.colno}); "
                        "each line must hold one JSON object.",
                        expected="a JSON object",
                    )
                ],
            )
            continue
        yield line, _object_row(value, line, f"Line {line}", schema, output)
    if not seen_line:
        raise AdapterError("The file is empty; write one JSON object per line.")


# --- A JSON array ---------------------------------------------------------------------------


class _JsonText:
    """Decoded text of a JSON file, read chunk by chunk, with line numbers of positions."""

    def __init__(self, source: _Input) -> None:
        self._chunks = source.chunks()
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self.limit = source.max_line_bytes
        self.buf = ""
        self.pos = 0
        self.base_line = 1  # the line number of buf[0]
        self.eof = False
        # A cursor remembers the last position counted, so counting lines stays linear.
        self._cursor = 0
        self._cursor_line = 1

    def line_at(self, pos: int) -> int:
        """The line number of buf[pos]."""
        if pos < self._cursor:
            return self._cursor_line - self.buf.count("\n", pos, self._cursor)
        self._cursor_line += self.buf.count("\n", self._cursor, pos)
        self._cursor = pos
        return self._cursor_line

    def more(self) -> bool:
        """Append the next chunk; False at the end of the file."""
        if self.eof:
            return False
        # Drop what is parsed, so memory holds one object at a time, not the whole file.
        self.base_line = self.line_at(self.pos)
        self.buf = self.buf[self.pos :]
        self.pos = 0
        self._cursor, self._cursor_line = 0, self.base_line
        chunk = next(self._chunks, None)
        if chunk is None:
            self.eof = True
            return False
        line = self.line_at(len(self.buf))
        if b"\x00" in chunk:
            at = line + chunk.count(b"\n", 0, chunk.index(b"\x00"))
            raise AdapterError(
                f"Line {at} contains a NUL byte: this looks like a binary file, not JSON.",
                line=at,
                expected="UTF-8 text",
            )
        try:
            self.buf += self._decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            at = line + chunk.count(b"\n", 0, exc.start)
            raise AdapterError(
                f"Line {at} is not valid UTF-8 (byte 0x{chunk[exc.start]:02x}); save the file as "
                "UTF-8 and try again.",
                line=at,
                expected="UTF-8 text",
            ) from None
        return True

    def peek(self) -> str:
        """The next character that is not whitespace ('' at the end of the file)."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.more():
                return ""


def _json_array_records(source: _Input, schema: Schema, output: Schema | None) -> Records:
    text = _JsonText(source)
    decoder = json.JSONDecoder()
    first = text.peek()
    if first == "":
        raise AdapterError(
            "The file is empty; the json adapter reads an array of objects: [{...}, {...}]."
        )
    if first != "[":
        hint = (
            "one JSON object, not an array of objects; wrap the objects in [ ... ] (or use the "
            "jsonl adapter for one object per line)"
            if first == "{"
            else f"'{first}' where a JSON array should start; the json adapter reads "
            "[{...}, {...}]"
        )
        raise AdapterError(
            f"Line {text.line_at(text.pos)}: the file holds {hint}.",
            line=text.line_at(text.pos),
            expected="a JSON array of objects",
        )
    text.pos += 1
    if text.peek() == "]":
        raise AdapterError(
            "The JSON array is empty; there are no rows to import.",
            line=text.line_at(text.pos),
            expected="at least one object",
        )
    number = 0
    while True:
        number += 1
        if text.peek() == "":
            raise AdapterError(
                f"Line {text.line_at(text.pos)}: the file ends inside the array; it is missing "
                "a closing ']' (was it cut short?).",
                line=text.line_at(text.pos),
                expected="']'",
            )
        line = text.line_at(text.pos)
        while True:
            try:
                value, end = decoder.raw_decode(text.buf, text.pos)
            except json.JSONDecodeError as exc:
                # Count before reading more: reading more moves the start of the buffer.
                at = text.line_at(exc.pos)
                if len(text.buf) - text.pos <= text.limit and text.more():
                    continue
                if len(text.buf) - text.pos <= text.limit:
                    raise AdapterError(
                        f"Line {at}, column {exc.colno}: invalid JSON "
                        f"({exc.msg.removesuffix(' at')}).",
                        line=at,
                        expected="JSON",
                    ) from None
                end = len(text.buf)
            if end - text.pos > text.limit:
                raise AdapterError(
                    f"Line {line}: object {number} is longer than {text.limit:,} characters; "
                    "split it or raise the limit.",
                    line=line,
                    expected=f"at most {text.limit:,} characters per object",
                )
            break
        text.pos = end
        yield line, _object_row(value, line, f"Line {line}, object {number}", schema, output)
        after = text.peek()
        if after == ",":
            text.pos += 1
            if text.peek() == "]":
                at = text.line_at(text.pos)
                raise AdapterError(
                    f"Line {at}: a comma before ']' (JSON allows no trailing comma).",
                    line=at,
                    expected="an object",
                )
            continue
        if after == "]":
            text.pos += 1
            break
        at = text.line_at(text.pos)
        raise AdapterError(
            f"Line {at}: expected ',' or ']' after object {number}, got "
            f"{repr(after) if after else 'the end of the file'}.",
            line=at,
            expected="',' or ']'",
        )
    if text.peek() != "":
        at = text.line_at(text.pos)
        raise AdapterError(
            f"Line {at}: unexpected text after the closing ']' of the array.",
            line=at,
            expected="the end of the file",
        )


# --- Plain text: one post per line ----------------------------------------------------------


def _text_records(source: _Input, schema: Schema, output: Schema | None) -> Records:
    if len(schema.fields) != 1 or schema.fields[0].type != "text":
        raise AdapterError(
            "The text adapter reads one text per line, so the input schema must be exactly one "
            f"field of type text; this one has {len(schema.fields)} field"
            f"{'s' if len(schema.fields) != 1 else ''} ({', '.join(schema.names)}).",
            expected="one text field",
        )
    text_field = schema.fields[0]
    label_field = output.fields[0] if output else None
    seen_line = False
    for line, raw in source.lines():
        seen_line = True
        body = raw.rstrip("\r\n")
        if not body.strip():
            continue
        row: dict[str, object] = {}
        if label_field is None:
            row[text_field.name] = body
        else:
            label, tab, post = body.partition("\t")
            if not tab:
                yield (
                    line,
                    [
                        BadRow(
                            line=line,
                            column=label_field.name,
                            value=_cell(body),
                            reason=f"Line {line} has no tab; with an output field each line is the "
                            f"label ('{label_field.name}'), a tab, then the text.",
                            expected="label<TAB>text",
                        )
                    ],
                )
                continue
            row[text_field.name] = post
            try:
                row[label_field.name] = value_from_text(label_field, label)
            except _BadValue as problem:
                yield line, [_bad(line, f"Line {line}", label_field, problem, label)]
                continue
        yield line, row
    if not seen_line:
        raise AdapterError("The file is empty; write one text per line.")


ADAPTERS: dict[str, Adapter] = {
    "csv": Adapter(
        "csv", "Comma-separated values with a header line naming the columns.", _csv_records
    ),
    "json": Adapter("json", "One JSON array of objects, one object per row.", _json_array_records),
    "jsonl": Adapter("jsonl", "JSON Lines: one JSON object per line.", _jsonl_records),
    "text": Adapter(
        "text",
        "One text per line (posts, tweets); with an output field, 'label<TAB>text'.",
        _text_records,
    ),
}


def _row_limit(records: Records, max_rows: int | None) -> Records:
    """The records, stopping the file once it has more than `max_rows` rows, good or bad."""
    for count, (line, row) in enumerate(records, start=1):
        if max_rows is not None and count > max_rows:
            raise AdapterError(
                f"Line {line}: the file has more than {max_rows:,} rows, the most one "
                "import accepts; split the file.",
                line=line,
                expected=f"at most {max_rows:,} rows",
            )
        yield line, row


def read_table(
    source: Source,
    *,
    adapter: str,
    schema: Schema,
    output: Schema | None = None,
    progress: bool = False,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    max_rows: int | None = None,
) -> Table:
    """Read every row of `source` (bytes, a path, or a binary stream) or raise AdapterError.

    Bad rows raise AdapterRowsError (a kind of AdapterError) once the whole file is read.
    """
    if adapter not in ADAPTERS:
        raise AdapterError(f"Unknown adapter '{adapter}'; use one of {', '.join(ADAPTERS)}.")
    if output is not None:
        output_task(output)
        clash = output.fields[0].name
        if clash in schema.names:
            raise SchemaError(
                f"The output field '{clash}' has the same name as an input field; rename one."
            )
    with _open(source, progress, max_line_bytes, label=adapter) as opened:
        rows = bad_rows_collect(
            _row_limit(ADAPTERS[adapter].records(opened, schema, output), max_rows)
        )
    if not rows:
        raise AdapterError("The file has no rows, only blank lines; there is nothing to import.")
    return Table(rows=rows, n_rows=len(rows), schema=schema, output=output, adapter=adapter)
