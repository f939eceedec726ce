"""What the client raises: one class for every answer the API refused, one for no answer."""

from __future__ import annotations

from typing import Any


class SonarError(Exception):
    """Sonar answered with an error: HTTP status, the API's error code and its sentence."""

    def __init__(
        self, status: int, code: str, detail: str, *, fields: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{detail} ({code}, HTTP {status})" if status else f"{detail} ({code})")
        self.status = status
        self.code = code
        self.detail = detail
        self.fields = fields or {}

    @classmethod
    def from_response_body(cls, status: int, body: Any, fallback_text: str = "") -> SonarError:
        """Build the error from the API's {"error": code, "detail": text} shape, or its absence."""
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            fields = body.get("fields")
            return cls(
                status,
                body["error"],
                str(body.get("detail") or body["error"]),
                fields=fields if isinstance(fields, dict) else None,
            )
        # A proxy or a non-API page answered; keep a short excerpt so the cause is visible.
        excerpt = " ".join(fallback_text.split())[:200]
        return cls(status, "http_error", f"HTTP {status} without an API error body: {excerpt!r}")


class SonarUnavailable(SonarError):
    """Sonar could not be reached, or answered 5xx/429, after every retry allowed."""

    def __init__(self, detail: str, *, status: int = 0, code: str = "unavailable") -> None:
        super().__init__(status, code, detail)


class MalformedResponse(SonarError):
    """Sonar answered 2xx with a body the client cannot use (not JSON, or an invalid model)."""

    def __init__(self, detail: str, *, status: int = 200) -> None:
        super().__init__(status, "malformed_response", detail)
