"""Money is integer minor units; this turns it into text people read."""

from __future__ import annotations


def format_minor(amount_minor: int) -> str:
    """12345 -> '123.45', with thousands separators."""
    sign = "-" if amount_minor < 0 else ""
    whole, cents = divmod(abs(amount_minor), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def format_ppm(value_ppm: int | None) -> str:
    """812345 -> '81.23%'."""
    if value_ppm is None:
        return "—"
    return f"{value_ppm / 10_000:.2f}%"
