"""Errors of accounts, each a sentence for the person who caused it."""

from __future__ import annotations

from openmined.errors import DomainError


class TokenError(DomainError):
    code = "invalid_token_request"


class TokenNotFoundError(DomainError):
    code = "not_found"
    status_code = 404


class RoleError(DomainError):
    code = "unknown_role"
