"""The Mine page's chart, drawn on the server with pygal (no JavaScript, nothing fetched)."""

from __future__ import annotations

import re
from datetime import date

import pygal
from pygal.style import CleanStyle

_VALUE = re.compile(r'<desc class="value">([^<]*)</desc>')


def earnings_chart(series: list[tuple[date, int, int]], currency: str) -> str:
    """Cumulative earnings by day, paid and promised apart, as inline SVG (hover: <title>)."""
    chart = pygal.StackedBar(
        style=CleanStyle,
        height=260,
        width=720,
        js=[],  # pygal links tooltip JavaScript from the internet by default
        x_title="day",
        y_title=f"earned so far ({currency})",
        legend_at_bottom=True,
        disable_xml_declaration=True,
        print_values=False,
        value_formatter=lambda value: f"{value:,.2f}",
        x_label_rotation=30 if len(series) > 6 else 0,
    )
    chart.x_labels = [day.isoformat() for day, _, _ in series]
    chart.add("settled (paid)", [settled / 100 for _, settled, _ in series])
    chart.add("unsettled (promised)", [unsettled / 100 for _, _, unsettled in series])
    svg = chart.render(is_unicode=True)
    # Hover values without script: an SVG <title> beside each bar's value.
    return _VALUE.sub(lambda m: f"<title>{m.group(1)} {currency}</title>{m.group(0)}", svg)
