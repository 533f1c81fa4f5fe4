"""An SVG line chart whose geometry is computed here, so the page needs no script.

The dashboard's Content-Security-Policy allows no script at all; the chart is plain
SVG elements with coordinates as attributes, styled by classes from the one hashed
style sheet. Many points are thinned to at most ``max_points`` (keeping the last),
so a server with years of history still sends a small page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

__all__ = ["LineChart", "line_chart"]

WIDTH, HEIGHT = 1100, 200
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 12, 12, 28


@dataclass(frozen=True, slots=True, kw_only=True)
class LineChart:
    """Everything the template draws: the polyline, its dots and the axis labels."""

    width: int
    height: int
    points: str  # "x,y x,y ..." for <polyline points>
    dots: tuple[tuple[float, float, int, str], ...]  # x, y, value, label
    y_max: int
    y_max_at: float
    baseline: float
    first_label: str
    last_label: str
    last_value: int
    empty: bool


def _thin(series: Sequence[tuple[datetime, int]], limit: int) -> list[tuple[datetime, int]]:
    if len(series) <= limit:
        return list(series)
    step = len(series) / limit
    picked = [series[int(i * step)] for i in range(limit - 1)]
    return [*picked, series[-1]]


def line_chart(series: Sequence[tuple[datetime, int]], max_points: int = 120) -> LineChart:
    """Geometry for values over time; x is proportional to time, y to value."""
    data = _thin(series, max_points)
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    baseline = float(_TOP + plot_h)
    if not data:
        return LineChart(
            width=WIDTH, height=HEIGHT, points="", dots=(), y_max=0, y_max_at=_TOP,
            baseline=baseline, first_label="", last_label="", last_value=0, empty=True,
        )  # fmt: skip
    start, end = data[0][0].timestamp(), data[-1][0].timestamp()
    span = end - start
    top = max([1, *(value for _, value in data)])
    dots = []
    for moment, value in data:
        x = _LEFT + (plot_w * (moment.timestamp() - start) / span if span else plot_w / 2)
        y = _TOP + plot_h * (1 - value / top)
        label = moment.strftime("%Y-%m-%d %H:%M")
        dots.append((round(x, 1), round(y, 1), value, label))
    return LineChart(
        width=WIDTH,
        height=HEIGHT,
        points=" ".join(f"{x},{y}" for x, y, _, _ in dots),
        dots=tuple(dots),
        y_max=top,
        y_max_at=float(_TOP),
        baseline=baseline,
        first_label=data[0][0].strftime("%Y-%m-%d"),
        last_label=data[-1][0].strftime("%Y-%m-%d"),
        last_value=data[-1][1],
        empty=False,
    )
