"""The Mine page's chart, drawn on the server with pygal (no JavaScript, nothing fetched).

The Content-Security-Policy allows no inline script or style, so the SVG goes out without the
<script> and <style> pygal embeds: its stylesheet is static/charts.css (made by
chart_stylesheet(); a test keeps the two equal), scoped to the chart's fixed id.
"""

from __future__ import annotations

import html
import re
from datetime import date

import pygal
from pygal.style import CleanStyle

CHART_ID = "sonar-earnings"
_VALUE = re.compile(r'<desc class="value">([^<]*)</desc>')
_CHART_UUID = re.compile(r'id="chart-([0-9a-f-]+)"')
_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)
_SCRIPT = re.compile(r"<script[^>]*>.*?</script>", re.S)
# pygal hides its (JavaScript-driven) tooltip with an inline style; charts.css does it instead.
_TOOLTIP_RULE = f"#chart-{CHART_ID} .tooltip{{opacity:0}}"


def _chart(series: list[tuple[date, int, int]], currency: str) -> pygal.StackedBar:
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
    return chart


def _render_with_fixed_id(chart: pygal.Graph) -> str:
    svg = chart.render(is_unicode=True)
    match = _CHART_UUID.search(svg)
    return svg.replace(match.group(1), CHART_ID) if match else svg


def earnings_chart(series: list[tuple[date, int, int]], currency: str) -> str:
    """Cumulative earnings by day, paid and promised apart, as inline SVG (hover: <title>)."""
    svg = _render_with_fixed_id(_chart(series, currency))
    svg = _SCRIPT.sub("", _STYLE.sub("", svg)).replace(' style="opacity: 0"', "")
    # Hover values without script: an SVG <title> beside each bar's value.
    return _VALUE.sub(lambda m: f"<title>{m.group(1)} {currency}</title>{m.group(0)}", svg)


def chart_stylesheet() -> str:
    """The CSS pygal would have embedded in the chart: the content of static/charts.css."""
    svg = _render_with_fixed_id(_chart([(date(2026, 1, 1), 100, 50)], "USD"))
    # The SVG is XML: its CSS arrives with > written as &gt;, which a .css file must not have.
    return "\n".join([*map(html.unescape, _STYLE.findall(svg)), _TOOLTIP_RULE]) + "\n"
