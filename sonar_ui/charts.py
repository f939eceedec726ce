"""The accuracy chart: geometry computed here, SVG written by a template (no script needed).

The y axis spans the data and the target with a little margin, so a climb from 95% to 96.5%
is visible; each point carries its value in a <title> that browsers show on hover and screen
readers read. The viewBox is narrow enough that its text stays legible on a 390 px phone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.template.loader import render_to_string

from sonar_ui.models import PPM, Campaign

WIDTH, HEIGHT = 480, 240
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 14, 40
MAX_X_LABELS = 8


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    value: str


def _nice_step(span: float) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) giving about five ticks."""
    raw = span / 5
    power = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 5, 10):
        if raw <= multiple * power:
            return multiple * power
    return 10 * power


def y_range(values: list[float]) -> tuple[float, float]:
    """Axis bounds (percent) around the values, at least one point wide, within 0..100."""
    low, high = min(values), max(values)
    margin = max((high - low) * 0.1, 0.5)
    return max(0.0, low - margin), min(100.0, high + margin)


def accuracy_chart(campaign: Campaign) -> str:
    """The accuracy of each model version against the target, as inline SVG markup."""
    versions = list(campaign.versions.order_by("number").values_list("number", "accuracy_ppm"))
    if not versions:
        return ""
    target = 100 * campaign.target_accuracy_ppm / PPM
    values = [100 * ppm / PPM for _, ppm in versions]
    low, high = y_range([*values, target])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y_of(value: float) -> float:
        return round(TOP + plot_h * (high - value) / (high - low), 1)

    def x_of(index: int) -> float:
        if len(versions) == 1:
            return LEFT + plot_w / 2
        return round(LEFT + plot_w * index / (len(versions) - 1), 1)

    points = [
        Point(x_of(i), y_of(v), f"v{number}", f"{v:.2f}%")
        for i, ((number, _), v) in enumerate(zip(versions, values, strict=True))
    ]
    step = _nice_step(high - low)
    decimals = max(0, -math.floor(math.log10(step)))
    ticks = []
    tick = math.ceil(low / step) * step
    while tick <= high + 1e-9:
        ticks.append({"y": y_of(tick), "label": f"{tick:.{decimals}f}"})
        tick += step
    every = max(1, math.ceil(len(points) / MAX_X_LABELS))
    x_labels = [p for i, p in enumerate(points) if i % every == 0 or i == len(points) - 1]
    context = {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": HEIGHT - BOTTOM,
        "points": points,
        "last": points[-1],
        "polyline": " ".join(f"{p.x},{p.y}" for p in points),
        "ticks": ticks,
        "x_labels": x_labels,
        "target_y": y_of(target),
        "target": f"{target:.2f}%",
        "x_title_y": HEIGHT - 6,
        "label_y": HEIGHT - BOTTOM + 16,
    }
    return render_to_string("sonar_ui/_chart.svg", context)
