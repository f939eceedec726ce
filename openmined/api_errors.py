"""One JSON error shape for the whole API: {"error": code, "detail": text}."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from openmined.errors import DomainError

logger = logging.getLogger(__name__)


class ApiError(exceptions.APIException):
    """A domain error a service raises with its own code, message and status."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(self, detail: str, *, code: str = "invalid", status_code: int = 400) -> None:
        super().__init__(detail=detail, code=code)
        self.status_code = status_code
        self.error_code = code


def _flatten(detail: Any, prefix: str = "") -> list[str]:
    """Turn DRF's nested error detail into readable sentences naming the field."""
    if isinstance(detail, dict):
        sentences: list[str] = []
        for key, value in detail.items():
            label = "" if key == "non_field_errors" else f"{prefix}{key}"
            sentences.extend(_flatten(value, f"{label}." if label else ""))
        return sentences
    if isinstance(detail, list):
        sentences = []
        for item in detail:
            sentences.extend(_flatten(item, prefix))
        return sentences
    text = str(detail)
    field = prefix.rstrip(".")
    return [f"{field}: {text}" if field else text]


def _code_for(exc: exceptions.APIException) -> str:
    if isinstance(exc, ApiError):
        return exc.error_code
    codes = exc.get_codes()
    if isinstance(codes, str):
        return codes
    if isinstance(exc, exceptions.ValidationError):
        return "invalid"
    return exc.default_code


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Render every API error as {"error", "detail"} (plus "fields" for validation errors)."""
    if isinstance(exc, DomainError):
        exc = ApiError(exc.detail, code=exc.code, status_code=exc.status_code)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        # An unexpected error: log it with its traceback, answer without internals.
        logger.exception("Unhandled error in %s", context.get("view"))
        return Response(
            {"error": "server_error", "detail": "Something went wrong on our side; it was logged."},
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    assert isinstance(exc, exceptions.APIException)
    body: dict[str, Any] = {"error": _code_for(exc), "detail": " ".join(_flatten(exc.detail))}
    if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict):
        body["fields"] = exc.detail
    response.data = body
    return response


def json_error(code: str, detail: str, status_code: int) -> JsonResponse:
    """The same error shape for plain Django views under /api/ (404/500 handlers)."""
    return JsonResponse({"error": code, "detail": detail}, status=status_code)
