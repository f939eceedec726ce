"""Bar charts of the public series, laid out here and drawn as SVG by a template.

A template-rendered SVG (rather than pygal) scales with its container through its viewBox,
needs no script, and gives every bar a <title>, which browsers show on hover and screen
readers read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from openmined.money import format_minor

WIDTH, HEIGHT = 600, 220
LEFT, RIGHT, TOP, BOTTOM = 90, 8, 12, 30  # room for the axis labels


@dataclass(frozen=True)
class Bar:
    slot_x: float  # the whole column, so hovering an empty day still shows its value
    slot_width: float
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True)
class Chart:
    slug: str
    title: str
    total: str
    bars: list[Bar]
    y_max: str
    x_labels: list[tuple[float, str, str]]  # x, text, text-anchor
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    plot_bottom: int = HEIGHT - BOTTOM
    plot_right: int = WIDTH - RIGHT


CHARTS: list[tuple[str, str, Callable[[int], str]]] = [
    ("campaigns_launched", "Campaigns launched", str),
    ("gradients_submitted", "Gradients submitted", str),
    ("gradients_accepted", "Gradients accepted", str),
    ("bounty_escrowed_minor", "Bounty escrowed", format_minor),
    ("paid_minor", "Paid to mines", format_minor),
    ("active_mines", "Active mines", str),
]


def _label(start, bucket: str) -> str:
    return start.strftime("%d %b") if bucket == "day" else start.strftime("%d %b %H:00")


def series_charts(series: dict) -> list[Chart]:
    """One chart per series; the y axis runs from 0 to the largest value shown."""
    rows, bucket = series["rows"], series["bucket"]
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    slot = plot_width / max(len(rows), 1)
    charts = []
    for field, title, show in CHARTS:
        values = [row[field] for row in rows]
        top = max(values, default=0) or 1
        bars = []
        for index, (row, value) in enumerate(zip(rows, values, strict=True)):
            height = plot_height * value / top
            bars.append(
                Bar(
                    slot_x=round(LEFT + index * slot, 2),
                    slot_width=round(slot, 2),
                    x=round(LEFT + index * slot + slot * 0.1, 2),
                    y=round(TOP + plot_height - height, 2),
                    width=round(slot * 0.8, 2),
                    height=round(height, 2),
                    title=f"{_label(row['start'], bucket)}: {show(value)}",
                )
            )
        # First, middle and last bucket, anchored so that none runs past the plot's edges.
        picks = (
            [(LEFT, 0, "start"), (LEFT + (len(rows) // 2 + 0.5) * slot, len(rows) // 2, "middle"),
             (WIDTH - RIGHT, len(rows) - 1, "end")]
            if rows
            else []
        )  # fmt: skip
        charts.append(
            Chart(
                slug=field,
                title=title,
                total=show(sum(values)),
                bars=bars,
                y_max=show(max(values, default=0)),
                x_labels=[
                    (round(x, 2), _label(rows[i]["start"], bucket), anchor)
                    for x, i, anchor in picks
                ],
            )
        )
    return charts
