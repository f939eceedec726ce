"""SVG charts drawn on the server with pygal (no JavaScript, nothing fetched by the browser).

The Content-Security-Policy allows no inline script or style, so the SVG goes out without the
<script> and <style> pygal embeds: its stylesheet is static/charts.css (made by
chart_stylesheet(); a test keeps the two equal), scoped to the chart's fixed id.
"""

from __future__ import annotations

import html
import re

import pygal
from pygal.style import CleanStyle

from sonar_ui.models import PPM, Campaign

CHART_ID = "sonar-accuracy"
_CHART_UUID = re.compile(r'id="chart-([0-9a-f-]+)"')
_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)
_SCRIPT = re.compile(r"<script[^>]*>.*?</script>", re.S)
# pygal hides its (JavaScript-driven) tooltip with an inline style; charts.css does it instead.
_TOOLTIP_RULE = f"#chart-{CHART_ID} .tooltip{{opacity:0}}"


def _line_chart(versions: list[tuple[int, int]], target_ppm: int) -> pygal.Line:
    chart = pygal.Line(
        style=CleanStyle,
        height=260,
        width=720,
        show_dots=True,
        range=(0, 100),
        js=[],  # pygal links tooltip JavaScript from the internet by default
        x_title="model version",
        y_title="accuracy (%)",
        legend_at_bottom=True,
        disable_xml_declaration=True,
    )
    chart.x_labels = [f"v{number}" for number, _ in versions]
    chart.add("accuracy", [round(100 * ppm / PPM, 2) for _, ppm in versions])
    chart.add("target", [round(100 * target_ppm / PPM, 2)] * len(versions))
    return chart


def _render_with_fixed_id(chart: pygal.Line) -> str:
    svg = chart.render(is_unicode=True)
    match = _CHART_UUID.search(svg)
    return svg.replace(match.group(1), CHART_ID) if match else svg


def accuracy_chart(campaign: Campaign) -> str:
    """Accuracy of each model version against the target, as inline SVG with no script or style."""
    versions = list(campaign.versions.order_by("number").values_list("number", "accuracy_ppm"))
    svg = _render_with_fixed_id(_line_chart(versions, campaign.target_accuracy_ppm))
    svg = _SCRIPT.sub("", _STYLE.sub("", svg))
    return svg.replace(' style="opacity: 0"', "")


def chart_stylesheet() -> str:
    """The CSS pygal would have embedded in the chart: the content of static/charts.css."""
    svg = _render_with_fixed_id(_line_chart([(0, 500_000)], 900_000))
    # The SVG is XML: its CSS arrives with > written as &gt;, which a .css file must not have.
    return "\n".join([*map(html.unescape, _STYLE.findall(svg)), _TOOLTIP_RULE]) + "\n"
