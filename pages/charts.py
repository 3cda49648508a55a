"""Charts drawn on the server as SVG geometry: the page works without JavaScript,
and the same numbers feed the accessible table beside the chart.

Pure functions of a list of spikes.timeseries.Bucket: no database here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from spikes.timeseries import Bucket


@dataclass(frozen=True)
class Tick:
    position: float
    label: float | datetime


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    # The plotting area inside the margins, in SVG units.
    left: float
    top: float
    right: float
    bottom: float
    y_max: float
    points: str  # polyline of distinct reporters per bucket
    expected: str  # polyline of the expected level ("" without a baseline)
    band: str  # polygon of the expected band ("" without a baseline)
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    dots: list[tuple[float, float, Bucket]]  # one per bucket, for tooltips

    @property
    def has_expected(self) -> bool:
        return bool(self.expected)


def nice_scale(value: float) -> tuple[float, float]:
    """(top of the axis, tick step) for values up to `value` (at least 5): at most
    four steps of 1, 2 or 5 times a power of ten, so every tick is a round whole
    number of reporters (quarters of a round top gave ticks of 1.25 shown as "1")."""
    value = max(value, 5.0)
    raw = value / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return float(math.ceil(value / step - 1e-9) * step), float(step)


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def line_chart(
    rows: Sequence[Bucket],
    width: int = 720,
    height: int = 260,
    margin: tuple[int, int, int, int] = (12, 12, 28, 44),  # top, right, bottom, left
    x_tick_count: int = 6,
) -> Chart:
    """Reporters per bucket as a line, over the expected level and its band."""
    top, right_margin, bottom_margin, left = margin
    right, bottom = width - right_margin, height - bottom_margin
    n = len(rows)
    peak = max([r.reporters for r in rows] + [r.high or 0 for r in rows] + [0])
    y_max, y_step = nice_scale(peak)
    step = (right - left) / max(n - 1, 1)

    def x(i: int) -> float:
        return left + i * step

    def y(v: float) -> float:
        return bottom - (bottom - top) * v / y_max

    dots = [(round(x(i), 1), round(y(r.reporters), 1), r) for i, r in enumerate(rows)]
    points = " ".join(f"{_fmt(cx)},{_fmt(cy)}" for cx, cy, _ in dots)
    expected = band = ""
    if rows and all(r.expected is not None for r in rows):
        expected = " ".join(f"{_fmt(x(i))},{_fmt(y(r.expected))}" for i, r in enumerate(rows))
        upper = [f"{_fmt(x(i))},{_fmt(y(r.high))}" for i, r in enumerate(rows)]
        lower = [f"{_fmt(x(i))},{_fmt(y(r.low))}" for i, r in reversed(list(enumerate(rows)))]
        band = " ".join(upper + lower)
    y_ticks = [Tick(round(y(k * y_step), 1), k * y_step) for k in range(round(y_max / y_step) + 1)]
    every = max(1, math.ceil(n / x_tick_count))
    x_ticks = [Tick(round(x(i), 1), rows[i].start) for i in range(0, n, every)]
    return Chart(
        width, height, left, top, right, bottom, y_max, points, expected, band, y_ticks, x_ticks, dots
    )


def sparkline(values: Sequence[float], width: int = 120, height: int = 28) -> str:
    """Polyline points of a small inline chart (no axes), scaled to its own peak."""
    if not values:
        return ""
    peak = max(max(values), 1)
    step = width / max(len(values) - 1, 1)
    return " ".join(
        f"{_fmt(i * step)},{_fmt(height - 2 - (height - 4) * v / peak)}" for i, v in enumerate(values)
    )
