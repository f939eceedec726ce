"""Template filters every page uses to show money and accuracies."""

from __future__ import annotations

from django import template

from openmined.money import format_minor, format_ppm

register = template.Library()


@register.filter
def minor(amount_minor: int | None) -> str:
    """12345 -> '123.45'."""
    return "—" if amount_minor is None else format_minor(int(amount_minor))


@register.filter
def ppm(value_ppm: int | None) -> str:
    """812345 -> '81.23%'."""
    return format_ppm(value_ppm)
