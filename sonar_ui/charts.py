"""SVG charts drawn on the server with pygal (no JavaScript, nothing fetched by the browser)."""

from __future__ import annotations

import pygal
from pygal.style import CleanStyle

from sonar_ui.models import PPM, Campaign


def accuracy_chart(campaign: Campaign) -> str:
    """Accuracy of each model version against the target, as inline SVG."""
    versions = list(campaign.versions.order_by("number").values_list("number", "accuracy_ppm"))
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
    chart.add("target", [round(100 * campaign.target_accuracy_ppm / PPM, 2)] * len(versions))
    return chart.render(is_unicode=True)
