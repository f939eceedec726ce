"""Request bodies of gradient uploads: JSON or the binary wire form, either one maybe gzipped.

Bodies are read and inflated with a hard bound, so a gzip bomb costs at most the bound in
memory and answers 413 instead of filling the server's memory.
"""

from __future__ import annotations

import zlib
from typing import IO, Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, JSONParser

from openmined.api_errors import ApiError
from openmined.parsers import JsonTooDeepError, json_loads_bounded

BINARY_GRADIENT_MEDIA_TYPE = "application/vnd.sonar.gradient"
# The decoded body (JSON hex or binary) may be no larger; the JSON form of a gradient is about
# twice its binary form, so this admits binary gradients up to the service's own cap and beyond.
MAX_UPLOAD_BYTES = 32 * 1024 * 1024
_CHUNK = 64 * 1024


def _too_large(what: str) -> ApiError:
    return ApiError(
        f"The {what} is larger than {MAX_UPLOAD_BYTES} bytes; send a smaller gradient.",
        code="payload_too_large",
        status_code=413,
    )


def _read_bounded(stream: IO[bytes] | None, limit: int) -> bytes:
    if stream is None:
        return b""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise _too_large("request body")
    return data


def _gunzip_bounded(data: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits=31)  # gzip header and trailer required
    out = []
    size = 0
    pending = data
    try:
        while pending:
            chunk = inflater.decompress(pending, _CHUNK)
            size += len(chunk)
            if size > limit:
                raise _too_large("decompressed body")
            out.append(chunk)
            pending = inflater.unconsumed_tail
        if not inflater.eof:
            raise ParseError("The gzip body is truncated; send the whole compressed body.")
    except zlib.error as exc:
        raise ParseError(f"The body is not valid gzip ({exc}); compress it with gzip.") from None
    return b"".join(out)


def request_body(stream: IO[bytes] | None, parser_context: dict | None) -> bytes:
    """The decoded body: read with a bound, then inflated with a bound when gzip-encoded."""
    request = (parser_context or {}).get("request")
    headers = request.headers if request is not None else {}
    declared = headers.get("Content-Length") or "0"
    if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        raise _too_large("request body")
    data = _read_bounded(stream, MAX_UPLOAD_BYTES)
    encoding = (headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding == "gzip":
        return _gunzip_bounded(data, MAX_UPLOAD_BYTES)
    if encoding != "identity":
        raise ApiError(
            f"Content-Encoding {encoding!r} is not supported; send gzip or no encoding.",
            code="unsupported_media_type",
            status_code=415,
        )
    return data


class GradientJSONParser(JSONParser):
    """JSON, maybe gzip-encoded."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:  # type: ignore[override]
        body = request_body(stream, parser_context)
        try:
            return json_loads_bounded(body.decode("utf-8"))
        except JsonTooDeepError as exc:
            raise ParseError(str(exc), code="invalid_json") from None
        except (UnicodeDecodeError, ValueError) as exc:
            raise ParseError(
                f"The body is not valid JSON ({exc}); send a JSON document.", code="invalid_json"
            ) from None


class GradientBinaryParser(BaseParser):
    """The binary wire form of an encrypted array (magic, header, ciphertexts, sha256)."""

    media_type = BINARY_GRADIENT_MEDIA_TYPE

    def parse(self, stream, media_type=None, parser_context=None) -> bytes:  # type: ignore[override]
        return request_body(stream, parser_context)
