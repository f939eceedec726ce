"""pysonar has a method for every operation of the REST API's OpenAPI schema."""

from __future__ import annotations

import io
import re
from pathlib import Path

import yaml
from django.core.management import call_command

PYSONAR = Path(__file__).resolve().parents[2] / "pysonar"
# The schema and its docs page are for people and tools, not for a client library.
NOT_CLIENT_OPERATIONS = {"/api/schema/", "/api/docs/"}


def _sources() -> str:
    return "\n".join(path.read_text() for path in sorted(PYSONAR.glob("*.py")))


def _called(path: str, method: str, source: str) -> bool:
    """True when pysonar sends METHOD to this path (any expression in place of {param})."""
    relative = path.removeprefix("/")
    pattern = re.escape(relative)
    pattern = re.sub(r"\\\{[^}]*\\\}", r"\\{[^}]+\\}", pattern)
    for match in re.finditer(pattern, source):
        line_start = source.rfind("\n", 0, match.start())
        context = source[max(0, line_start - 200) : match.end() + 200]
        if method == "get" and (
            "_get(" in context or "_paginate(" in context or '"GET"' in context
        ):
            return True
        if method == "post" and ("_post(" in context or '"POST"' in context):
            return True
        if method.upper() in {"PATCH", "DELETE", "PUT"} and f'"{method.upper()}"' in context:
            return True
    return False


def test_every_api_operation_has_a_pysonar_method(db):
    out = io.StringIO()
    call_command("spectacular", stdout=out)
    schema = yaml.safe_load(out.getvalue())
    source = _sources()
    missing = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        if path not in NOT_CLIENT_OPERATIONS
        for method in operations
        if method in {"get", "post", "patch", "put", "delete"} and not _called(path, method, source)
    ]
    assert missing == []


def test_the_coverage_check_notices_a_missing_method():
    assert not _called("/api/nowhere/{id}/", "get", _sources())
    assert _called("/api/campaigns/{campaign_id}/events/", "get", _sources())
