"""Charts drawn on the server as SVG geometry: the page works without JavaScript,
and the same numbers feed the accessible table beside the chart.

Pure functions of a list of spikes.timeseries.Bucket: no database here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from outagewatch import localize
from spikes.timeseries import GAP, UNCOUNTED, Bucket


@dataclass(frozen=True)
class Tick:
    position: float
    label: float | datetime


@dataclass(frozen=True)
class Span:
    """A stretch of missing buckets (spikes.timeseries.UNCOUNTED or GAP), in SVG
    units across the plotting area."""

    x0: float
    x1: float
    kind: str
    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        return str(MISSING_LABELS[self.kind])


# What a missing stretch of a chart is called, on the chart and in its table.
MISSING_LABELS = {UNCOUNTED: gettext_lazy("counting…"), GAP: gettext_lazy("no data: intake down")}


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
    # Polylines of distinct reporters per bucket, one per run of counted buckets:
    # a missing bucket breaks the line instead of dropping it to zero.
    segments: list[str]
    expected: str  # polyline of the expected level ("" without a baseline)
    band: str  # polygon of the expected band ("" without a baseline)
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    dots: list[tuple[float, float, Bucket]]  # one per counted bucket, for tooltips
    missing: list[Span]
    x_step: int = 60  # seconds between time ticks

    @property
    def has_expected(self) -> bool:
        return bool(self.expected)

    @property
    def missing_labels(self) -> list[str]:
        """What the shaded stretches are, each kind once."""
        return list(dict.fromkeys(span.label for span in self.missing))

    @property
    def caption_ends_in_ellipsis(self) -> bool:
        """The caption's list of shaded kinds ends in "counting…", which needs no
        full stop after it ("counting…." read as a typo on every live chart)."""
        labels = self.missing_labels
        return bool(labels) and str(labels[-1]).endswith("…")

    def caption(self) -> ChartCaption:
        """What the chart's caption says of it, without its geometry (what a page
        keeps of a cached chart beside its drawn SVG)."""
        return ChartCaption(
            self.has_expected, bool(self.missing), self.missing_labels, self.caption_ends_in_ellipsis
        )

    @property
    def peak(self) -> Bucket | None:
        """The counted bucket with most reporters (the first of equals)."""
        counted = [b for _, _, b in self.dots]
        return max(counted, key=lambda b: b.reporters) if counted else None


@dataclass(frozen=True)
class ChartCaption:
    """The caption's facts of a Chart (pages/includes/chart.html reads these)."""

    has_expected: bool
    missing: bool
    missing_labels: list[str]
    caption_ends_in_ellipsis: bool


def nice_scale(value: float) -> tuple[float, float]:
    """(top of the axis, tick step) for values up to `value` (at least 5): at most
    four steps of 1, 2 or 5 times a power of ten, so every tick is a round whole
    number of reporters (quarters of a round top gave ticks of 1.25 shown as "1")."""
    value = max(value, 5.0)
    raw = value / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return float(math.ceil(value / step - 1e-9) * step), float(step)


def expected_phrase(expected: float, rules: localize.Conventions | None = None) -> str:
    """ "4 expected", "under 1 expected": a quiet series' expectation is a fraction
    of a reporter, and "0 expected" would misstate it."""
    if expected < 0.5:
        return _("under 1 expected")
    return _("%(n)s expected") % {"n": localize.number(expected, rules=rules)}


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def line_chart(
    rows: Sequence[Bucket],
    width: int = 720,
    height: int = 260,
    # top, right, bottom, left: room for the labels of missing stretches above the
    # plot, and for the axes' labels at the larger size a phone gets (pages.css)
    margin: tuple[int, int, int, int] = (22, 12, 34, 56),
    x_tick_count: int = 6,
    zone: tzinfo = UTC,
) -> Chart:
    """Reporters per bucket as a line, over the expected level and its band. Time
    ticks fall on round times of `zone` (the reader's): 14:00, 14:30, not 14:07."""
    top, right_margin, bottom_margin, left = margin
    right, bottom = width - right_margin, height - bottom_margin
    n = len(rows)
    peak = max([r.reporters for r in rows if r.is_counted] + [r.high or 0 for r in rows] + [0])
    y_max, y_step = nice_scale(peak)
    step = (right - left) / max(n - 1, 1)

    def x(i: int) -> float:
        return left + i * step

    def y(v: float) -> float:
        return bottom - (bottom - top) * v / y_max

    dots = [(round(x(i), 1), round(y(r.reporters), 1), r) for i, r in enumerate(rows) if r.is_counted]
    segments, run = [], []
    for i, r in enumerate(rows):
        if r.is_counted:
            run.append(f"{_fmt(x(i))},{_fmt(y(r.reporters))}")
        elif run:
            segments.append(" ".join(run))
            run = []
    if run:
        segments.append(" ".join(run))
    expected = band = ""
    if rows and all(r.expected is not None for r in rows):
        expected = " ".join(f"{_fmt(x(i))},{_fmt(y(r.expected))}" for i, r in enumerate(rows))
        upper = [f"{_fmt(x(i))},{_fmt(y(r.high))}" for i, r in enumerate(rows)]
        lower = [f"{_fmt(x(i))},{_fmt(y(r.low))}" for i, r in reversed(list(enumerate(rows)))]
        band = " ".join(upper + lower)
    y_ticks = [Tick(round(y(k * y_step), 1), k * y_step) for k in range(round(y_max / y_step) + 1)]
    x_ticks, x_step = _time_ticks(rows, step, left, x_tick_count, zone)
    return Chart(
        width, height, left, top, right, bottom, y_max, segments, expected, band, y_ticks, x_ticks, dots,
        _missing_spans(rows, x, step, left, right), x_step,
    )  # fmt: skip


# Steps between time ticks, in seconds: 1, 2, 5, 10, 15, 30 minutes; 1, 2, 3, 6,
# 12 hours; 1 and 2 days.
TICK_STEPS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800]


def _time_ticks(
    rows: Sequence[Bucket], step: float, left: float, count: int, zone: tzinfo
) -> tuple[list[Tick], int]:
    """At most `count` ticks on round local times, placed between the buckets' points."""
    if len(rows) < 2:
        return [Tick(left, rows[0].start)] if rows else [], 60
    first, seconds = rows[0].start, (rows[1].start - rows[0].start).total_seconds()
    span = (rows[-1].start - first).total_seconds()
    every = next((s for s in TICK_STEPS if s >= seconds and span / s <= count - 1), TICK_STEPS[-1])
    ticks = []
    moment = first.astimezone(zone)
    # The first round local time at or after the first bucket.
    offset = moment.utcoffset().total_seconds() if moment.utcoffset() else 0
    local = first.timestamp() + offset
    t = first.timestamp() + (-local) % every
    while t <= first.timestamp() + span:
        at = datetime.fromtimestamp(t, tz=UTC)
        ticks.append(Tick(round(left + (t - first.timestamp()) / seconds * step, 1), at))
        t += every
    return ticks, every


def _missing_spans(rows: Sequence[Bucket], x, step: float, left: float, right: float) -> list[Span]:
    """Runs of missing buckets of one kind, each covering its buckets' half-steps
    either side of their points (clipped to the plotting area)."""
    spans: list[Span] = []
    i = 0
    while i < len(rows):
        kind = rows[i].missing
        if not kind:
            i += 1
            continue
        j = i
        while j + 1 < len(rows) and rows[j + 1].missing == kind:
            j += 1
        end = rows[j].start + (rows[1].start - rows[0].start if len(rows) > 1 else timedelta(minutes=1))
        x0, x1 = max(left, x(i) - step / 2), min(right, x(j) + step / 2)
        spans.append(Span(round(x0, 1), round(max(x1, x0 + 2), 1), kind, rows[i].start, end))
        i = j + 1
    return spans


def sparkline(values: Sequence[float], width: int = 120, height: int = 28) -> str:
    """Polyline points of a small inline chart (no axes), scaled to its own peak."""
    if not values:
        return ""
    peak = max(max(values), 1)
    step = width / max(len(values) - 1, 1)
    return " ".join(
        f"{_fmt(i * step)},{_fmt(height - 2 - (height - 4) * v / peak)}" for i, v in enumerate(values)
    )
