"""What every adapter shares: sources, binary and non-UTF-8 files, huge lines, limits, progress."""

from __future__ import annotations

import io
import os
import re

import pytest

from adapters import ADAPTERS, AdapterError, Schema, read_table

ONE_INT = Schema.from_json([{"name": "n", "type": "int"}])
POSTS = Schema.from_json([{"name": "post", "type": "text"}])


def test_the_four_adapters_are_registered():
    assert sorted(ADAPTERS) == ["csv", "json", "jsonl", "text"]
    assert all(adapter.summary for adapter in ADAPTERS.values())


def test_an_unknown_adapter_is_named():
    with pytest.raises(AdapterError) as caught:
        read_table(b"n\n1\n", adapter="xlsx", schema=ONE_INT)
    assert str(caught.value) == "Unknown adapter 'xlsx'; use one of csv, json, jsonl, text."


def test_bytes_a_path_a_str_path_and_a_binary_stream_read_alike(tmp_path):
    path = tmp_path / "numbers.csv"
    path.write_bytes(b"n\n1\n2\n")
    for source in (b"n\n1\n2\n", path, str(path), io.BytesIO(b"n\n1\n2\n")):
        assert read_table(source, adapter="csv", schema=ONE_INT).rows == [{"n": 1}, {"n": 2}]


def test_a_missing_path_is_reported(tmp_path):
    with pytest.raises(AdapterError, match=r"Cannot open .*nope\.csv: No such file or directory\."):
        read_table(tmp_path / "nope.csv", adapter="csv", schema=ONE_INT)


def test_a_text_mode_stream_is_refused_with_advice():
    with pytest.raises(TypeError, match="binary mode"):
        read_table(io.StringIO("n\n1\n"), adapter="csv", schema=ONE_INT)


@pytest.mark.parametrize("adapter", ["csv", "jsonl", "text"])
def test_binary_garbage_is_refused(adapter):
    garbage = bytes(range(256)) * 4
    schema = POSTS if adapter == "text" else ONE_INT
    with pytest.raises(AdapterError) as caught:
        read_table(garbage, adapter=adapter, schema=schema)
    assert str(caught.value) == (
        "Line 1 contains a NUL byte: this looks like a binary file, not text. Export the data "
        "as CSV, JSON or JSONL."
    )


def test_binary_garbage_is_refused_by_the_json_adapter():
    with pytest.raises(AdapterError, match="Line 1 contains a NUL byte: this looks like a binary"):
        read_table(b"[" + bytes(range(256)), adapter="json", schema=ONE_INT)


@pytest.mark.parametrize(
    ("start", "what"),
    [
        (b"\x1f\x8b\x08\x00", "a gzip-compressed file; decompress it first"),
        (b"PK\x03\x04\x14\x00", "a ZIP archive (an .xlsx workbook is one)"),
        (b"\xff\xfen\x00\n\x00", "UTF-16 text; save it as UTF-8"),
    ],
)
def test_common_wrong_files_are_named(start, what):
    for adapter in ("csv", "json"):
        with pytest.raises(AdapterError, match=re.escape(f"This file looks like {what}")):
            read_table(start + b"rest", adapter=adapter, schema=ONE_INT)


def test_a_non_utf8_file_names_the_line_and_byte():
    latin1 = "n,city\n1,Zürich\n".encode("latin-1")
    schema = Schema.from_json([{"name": "n", "type": "int"}, {"name": "city", "type": "text"}])
    with pytest.raises(AdapterError) as caught:
        read_table(latin1, adapter="csv", schema=schema)
    assert str(caught.value) == (
        "Line 2 is not valid UTF-8 (byte 0xfc at column 4); save the file as UTF-8 and try again."
    )
    assert caught.value.line == 2


def test_a_non_utf8_json_file_names_the_line():
    data = '[\n{"post": "Zürich"}\n]'.encode("latin-1")
    with pytest.raises(AdapterError, match=r"^Line 2 is not valid UTF-8 \(byte 0xfc\)"):
        read_table(data, adapter="json", schema=POSTS)


@pytest.mark.parametrize("adapter", ["csv", "jsonl", "text"])
def test_a_line_over_the_limit_is_refused_without_reading_the_rest(adapter):
    header = b"post\n" if adapter == "csv" else b""
    huge = b'{"post": "' + b"a" * 5000 + b'"}' if adapter == "jsonl" else b"a" * 5000
    stream = io.BytesIO(header + huge + b"\n" + b"more\n" * 1000)
    with pytest.raises(AdapterError) as caught:
        read_table(stream, adapter=adapter, schema=POSTS, max_line_bytes=1000)
    line = 2 if adapter == "csv" else 1
    assert str(caught.value).startswith(f"Line {line} is longer than 1,000 bytes;")
    # Refused after reading about one limit's worth of the line, not the whole file.
    assert stream.tell() < len(header) + 1100


def test_a_line_exactly_at_the_limit_is_accepted():
    line = b"a" * 1000
    table = read_table(line + b"\r\n" + line, adapter="text", schema=POSTS, max_line_bytes=1000)
    assert table.n_rows == 2


def test_more_rows_than_allowed_is_an_error_not_a_truncation():
    with pytest.raises(AdapterError, match="the file has more than 2 rows, the most one import"):
        read_table(b"n\n1\n2\n3\n", adapter="csv", schema=ONE_INT, max_rows=2)
    assert read_table(b"n\n1\n2\n", adapter="csv", schema=ONE_INT, max_rows=2).n_rows == 2


def test_the_progress_bar_goes_to_stderr_only_when_asked(capfd, tmp_path):
    path = tmp_path / "numbers.csv"
    path.write_bytes(b"n\n" + b"1\n" * 1000)
    read_table(path, adapter="csv", schema=ONE_INT)
    assert capfd.readouterr().err == ""
    read_table(path, adapter="csv", schema=ONE_INT, progress=True)
    captured = capfd.readouterr()
    assert "Reading numbers.csv" in captured.err
    assert captured.out == ""


def test_a_stream_is_left_open_for_its_owner(tmp_path):
    path = tmp_path / "numbers.csv"
    path.write_bytes(b"n\n1\n")
    with path.open("rb") as stream:
        read_table(stream, adapter="csv", schema=ONE_INT)
        assert not stream.closed
        assert os.fstat(stream.fileno())
