"""Page links that keep the filters and sort already in the address."""

from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def querystring_page(context, param: str | None, number: int) -> str:
    """The current query with `param` (default "page") set to `number`, URL-encoded."""
    query = context["request"].GET.copy()
    query[param or "page"] = str(number)
    return query.urlencode()
