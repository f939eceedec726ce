"""{% operator_summary %}: the admin index's summary block."""

from __future__ import annotations

from django import template

from stats.operator import operator_summary as summary_now

register = template.Library()


@register.inclusion_tag("admin/operator_summary.html")
def operator_summary() -> dict:
    return {"summary": summary_now()}
