"""The base of every error a service raises for a user to read."""

from __future__ import annotations


class DomainError(Exception):
    """A sentence saying what was wrong, a machine-readable code and the HTTP status it maps to."""

    code = "invalid"
    status_code = 400

    def __init__(self, detail: str, *, code: str | None = None, status_code: int | None = None):
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code
