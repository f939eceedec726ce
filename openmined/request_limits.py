"""Request bodies are bounded per endpoint before anything parses them.

Django and DRF parse a body on first touch (CSRF reads request.POST, DRF reads request.data),
and parsing JSON or a form costs many times the body's size in memory. So the size is checked
first, from Content-Length, and a body sent without one (chunked) is read only up to its cap.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from openmined.api_errors import json_error

# (path pattern, name of the setting holding its cap); the first match wins.
_LIMITS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^/api/auth/token/$"), "AUTH_BODY_MAX_BYTES"),
    (re.compile(r"^/accounts/(login|signup|password)/$"), "AUTH_BODY_MAX_BYTES"),
    (re.compile(r"^/admin/login/$"), "AUTH_BODY_MAX_BYTES"),
    (re.compile(r"^/api/campaigns/\d+/gradients/$"), "GRADIENT_BODY_MAX_BYTES"),
    (re.compile(r"^/api/campaigns/\d+/validation-data/$"), "VALIDATION_BODY_MAX_BYTES"),
    (re.compile(r"^/sonar/campaigns/new/$"), "VALIDATION_BODY_MAX_BYTES"),
)


def body_limit_for(path: str) -> int:
    """The largest body, in bytes, a request to `path` may carry."""
    for pattern, setting in _LIMITS:
        if pattern.match(path):
            return getattr(settings, setting)
    return settings.REQUEST_BODY_MAX_BYTES


def _too_large(request: HttpRequest, limit: int) -> HttpResponse:
    detail = (
        f"The request body is larger than the {limit:,} bytes this address accepts. "
        "Send a smaller body (for a file, a smaller file)."
    )
    if request.path.startswith("/api/"):
        return json_error("payload_too_large", detail, 413)
    page = render_to_string("413.html", {"detail": detail})
    return HttpResponse(page, status=413)


class RequestBodyLimitMiddleware:
    """Answer 413 before parsing when a body is over its endpoint's cap."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = body_limit_for(request.path)
        declared = request.META.get("CONTENT_LENGTH") or ""
        if declared:
            try:
                length = int(declared)
            except ValueError:
                return _bad_length(request)
            if length < 0:
                return _bad_length(request)
            if length > limit:
                return _too_large(request, limit)
        elif "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            # No length announced: read at most one byte past the cap, and only then let
            # Django see the body, as if its length had been declared.
            body = _read_at_most(request.META.get("wsgi.input"), limit + 1)
            if len(body) > limit:
                return _too_large(request, limit)
            request.META["CONTENT_LENGTH"] = str(len(body))
            request._stream = LimitedStream(io.BytesIO(body), len(body))
        return self.get_response(request)


def _read_at_most(stream, size: int) -> bytes:
    """Read until the end of the stream or `size` bytes, whichever comes first."""
    if stream is None:
        return b""
    parts, total = [], 0
    while total < size:
        part = stream.read(min(64 * 1024, size - total))
        if not part:
            break
        parts.append(part)
        total += len(part)
    return b"".join(parts)


def _bad_length(request: HttpRequest) -> HttpResponse:
    detail = "The Content-Length header is not a whole number of bytes; send a valid one."
    if request.path.startswith("/api/"):
        return json_error("invalid_content_length", detail, 400)
    return HttpResponse(detail, status=400, content_type="text/plain; charset=utf-8")
