"""Filters the Mine pages use to show money and schemas."""

from __future__ import annotations

from django import template

from mine_ui.policy import money as money_text

register = template.Library()


@register.filter
def money(amount_minor: int | None) -> str:
    """Minor units as '1,234.56'."""
    return money_text(int(amount_minor or 0))


@register.filter
def field_summary(field: dict) -> str:
    """'age: int', 'region: category (3)', 'post: text (64 hashed)'."""
    kind = field.get("type", "?")
    if kind == "category":
        return f"{field.get('name')}: category ({len(field.get('categories', []))})"
    if kind == "text":
        return f"{field.get('name')}: text ({field.get('hash_features')} hashed)"
    return f"{field.get('name')}: {kind}"
