"""The browser's import: a file kept on the mine between steps, its columns, a mapping, a preview.

An upload is stored under VAR_DIR/mine-uploads/ (never in the database, never in the session)
until it is imported or replaced; the session holds only its name and the chosen options.
Mapping renames the file's columns to the schema's fields and drops the others, line for line,
so a bad row is reported on the line of the file the person uploaded.
"""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

PREVIEW_ROWS = 10
# The adapter a file's extension names.
SUFFIXES = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".txt": "text"}
_SAFE_NAME = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class Upload:
    """One stored upload: where it is, what it was called, and which adapter reads it."""

    key: str
    filename: str
    adapter: str

    @property
    def path(self) -> Path:
        return upload_dir() / self.key

    def data(self) -> bytes:
        return self.path.read_bytes()


def upload_dir() -> Path:
    return Path(settings.VAR_DIR) / "mine-uploads"


def upload_store(*, file: UploadedFile, adapter: str) -> Upload:
    """Keep the uploaded file on disk under a random name."""
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(16)
    with (folder / key).open("wb") as handle:
        for chunk in file.chunks():
            handle.write(chunk)
    return Upload(key=key, filename=Path(file.name or "upload").name[:200], adapter=adapter)


def upload_find(data: dict | None) -> Upload | None:
    """The upload a session refers to, when its file still exists."""
    if not isinstance(data, dict):
        return None
    key = str(data.get("key") or "")
    if len(key) != 32 or any(char not in _SAFE_NAME for char in key):
        return None
    upload = Upload(key=key, filename=str(data.get("filename")), adapter=str(data.get("adapter")))
    return upload if upload.path.is_file() else None


def upload_delete(upload: Upload) -> None:
    upload.path.unlink(missing_ok=True)


def csv_header(data: bytes) -> list[str]:
    """The column names of a CSV file's first non-blank line ([] when there is none)."""
    text = data[:1_000_000].decode("utf-8-sig", errors="replace")
    for record in csv.reader(io.StringIO(text)):
        if record:
            return [name.strip() for name in record]
    return []


def csv_map_columns(data: bytes, mapping: dict[str, str]) -> bytes:
    """The CSV with column `mapping[field]` renamed to `field` and unmapped columns dropped.

    Each record is written on the line it started on (blank lines fill the gaps, and readers
    skip blank lines), so line numbers in errors are those of the original file.
    """
    lines = _Lines(io.StringIO(data.decode("utf-8-sig")))
    reader = csv.reader(lines)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    written = 0  # lines written so far
    header: list[str] | None = None
    positions: list[int] = []
    while True:
        start = lines.number + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        if not record:
            continue
        out.write("\n" * max(start - 1 - written, 0))
        # A quoted value may span lines; written as read, the record ends on the same line.
        written = lines.number
        if header is None:
            header = [name.strip() for name in record]
            positions = [header.index(column) for column in mapping.values()]
            writer.writerow(list(mapping))
        elif len(record) != len(header):
            writer.writerow(record)  # left as it is: the reader names its count of values
        else:
            writer.writerow([record[i] for i in positions])
    return out.getvalue().encode("utf-8")


class _Lines:
    """Feeds csv.reader line by line and counts the lines read."""

    def __init__(self, stream: io.StringIO) -> None:
        self._stream = stream
        self.number = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._stream.readline()
        if not line:
            raise StopIteration
        self.number += 1
        return line


def csv_preview(data: bytes, *, rows: int = PREVIEW_ROWS) -> tuple[list[str], list[list[str]]]:
    """The header and the first `rows` data rows of a CSV, as text, for people to look at."""
    text = data[:2_000_000].decode("utf-8-sig", errors="replace")
    records = [record for record in csv.reader(io.StringIO(text)) if record]
    if not records:
        return [], []
    return records[0], records[1 : rows + 1]


def lines_preview(data: bytes, *, rows: int = PREVIEW_ROWS) -> list[str]:
    """The first lines of any text file, for formats without columns."""
    text = data[:200_000].decode("utf-8", errors="replace")
    return [line[:200] for line in text.splitlines() if line.strip()][:rows]
