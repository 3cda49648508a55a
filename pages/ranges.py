"""The chart ranges a reader can pick on the site, from query parameters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext as _

from spikes.timeseries import INTERVALS, RangeError, floor_to

RANGES: dict[str, timedelta] = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7)}
DEFAULT_RANGE = "24h"
# The bucket each range opens with: about 60 to 300 points.
DEFAULT_INTERVAL = {"1h": "1m", "24h": "5m", "7d": "1h"}
# A week of 1- or 5-minute buckets is 2,000 to 10,000 points: too many to draw or read.
SMALLEST_INTERVAL = {"1h": "1m", "24h": "1m", "7d": "15m"}
# Fewer buckets than this is not a chart.
MIN_BUCKETS = 4


@dataclass(frozen=True)
class ChartRange:
    range: str
    interval: str
    start: datetime
    end: datetime

    @property
    def seconds(self) -> int:
        return INTERVALS[self.interval]

    @property
    def is_long(self) -> bool:
        """Longer than a day: axis labels need the weekday."""
        return RANGES[self.range] > timedelta(days=1)

    def allowed_intervals(self) -> list[str]:
        return [name for name in INTERVALS if _problem(self.range, name) is None]


def _problem(range_name: str, interval: str) -> str | None:
    if INTERVALS[interval] < INTERVALS[SMALLEST_INTERVAL[range_name]]:
        return _("a %(range)s range needs buckets of %(smallest)s or more") % {
            "range": range_name,
            "smallest": SMALLEST_INTERVAL[range_name],
        }
    if RANGES[range_name].total_seconds() / INTERVALS[interval] < MIN_BUCKETS:
        return _("%(interval)s buckets are too long for a %(range)s range") % {
            "interval": interval,
            "range": range_name,
        }
    return None


def parse_chart_range(params: Mapping[str, str], now: datetime) -> ChartRange:
    """`range` and `interval` from a query string; RangeError says what is wrong."""
    range_name = params.get("range") or DEFAULT_RANGE
    if range_name not in RANGES:
        raise RangeError(
            _("range must be one of %(choices)s, not %(value)r")
            % {"choices": ", ".join(RANGES), "value": range_name}
        )
    interval = params.get("interval") or DEFAULT_INTERVAL[range_name]
    if interval not in INTERVALS:
        raise RangeError(
            _("interval must be one of %(choices)s, not %(value)r")
            % {"choices": ", ".join(INTERVALS), "value": interval}
        )
    problem = _problem(range_name, interval)
    if problem:
        raise RangeError(problem)
    seconds = INTERVALS[interval]
    # Whole buckets ending with the one in progress, exactly the range long (the
    # time series refuses more than 7 days).
    end = floor_to(now, seconds) + timedelta(seconds=seconds)
    return ChartRange(range_name, interval, end - RANGES[range_name], end)
