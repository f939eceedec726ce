"""JSON parsing with a bound on nesting, for the API and for JSON typed into forms.

Python's json module recurses once per level: a body of a thousand brackets raises
RecursionError (a 500) and deep structures make every later recursive walk risky.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class JsonTooDeepError(ValueError):
    """A JSON document nests deeper than settings.JSON_MAX_DEPTH."""


def _depth_within(value: Any, limit: int) -> bool:
    """True when no list or object in `value` is nested more than `limit` levels deep."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return False
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return True


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def json_loads_bounded(text: str | bytes) -> Any:
    """json.loads, refusing NaN/Infinity and documents nested deeper than JSON_MAX_DEPTH."""
    limit = settings.JSON_MAX_DEPTH
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        value = None
        too_deep = True
    else:
        too_deep = not _depth_within(value, limit)
    if too_deep:
        raise JsonTooDeepError(
            f"The JSON nests lists or objects more than {limit} levels deep; flatten it."
        )
    return value


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with bounded nesting and one error code, invalid_json.

    It raises DRF's ParseError, not openmined.api_errors.ApiError: DRF imports this module
    while api_errors is still importing DRF.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
            return json_loads_bounded(text)
        except JsonTooDeepError as exc:
            raise ParseError(str(exc), code="invalid_json") from exc
        except (ValueError, UnicodeDecodeError) as exc:
            detail = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            raise ParseError(
                f"The body is not valid JSON ({detail}); send a JSON document.",
                code="invalid_json",
            ) from exc
