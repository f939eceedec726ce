"""Errors of mine_ui's API, each a sentence for the person who caused it."""

from __future__ import annotations

from openmined.errors import DomainError


class MineNotFoundError(DomainError):
    code = "not_found"
    status_code = 404
