"""A series' counts in buckets, beside what its baseline expected: what the charts,
the CSV downloads and the partner API's time series all show.

Reads the per-minute rollup (SeriesMinute) and the stored baseline, never raw
reports, so its cost is the number of minutes asked for, whatever the data size:
four queries (the series, its minutes, the intake gaps, how far counting got),
plus one for the baseline when this process has not parsed it yet.

A bucket is only a number once all its minutes are counted: the minutes the
counting pass has not reached yet (PipelineState.counted_until) and the minutes
of a known intake gap (IntakeGap) are *missing*, never zero reports, and every
chart, table and download says so (Bucket.missing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from django.utils import timezone

from reports.models import Service
from spikes.detection import Profile
from spikes.fitting import BUCKET_SECONDS, stored_profile
from spikes.models import ALL_REGIONS, IntakeGap, PipelineState, Series, SeriesMinute

# The bucket sizes users can pick, by the names the site and the API use.
INTERVALS: dict[str, int] = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600}
# Longest range one request may ask for, in buckets: a week of 1-minute buckets.
MAX_BUCKETS = 7 * 24 * 60
# The band around the expected level: this many standard deviations of the
# baseline's negative-binomial noise either side of it.
BAND_SDS = 2.0
# Why a bucket has no number (Bucket.missing).
UNCOUNTED = "uncounted"  # some of its minutes are not counted yet (the bucket in progress)
GAP = "gap"  # some of its minutes fall in an intake gap: nobody could report


@dataclass(frozen=True)
class Bucket:
    start: datetime
    reports: int
    # Sum over the bucket's minutes of each minute's distinct reporters.
    reporters: int
    # Expected reporters in the bucket and its band; None while the series has
    # no baseline (a new service, or nobody ever reported it in this region).
    expected: float | None
    low: float | None
    high: float | None
    # "" when the counts are complete, else UNCOUNTED or GAP: the counts then
    # hold what was counted so far, which is not the bucket's value.
    missing: str = ""

    @property
    def is_counted(self) -> bool:
        return not self.missing


def counted_until(now: datetime) -> datetime | None:
    """Every minute before this is counted (never later than the current minute);
    None before the first counting pass."""
    counted = PipelineState.objects.filter(pk=1).values_list("counted_until", flat=True).first()
    return None if counted is None else min(counted, floor_to(now, BUCKET_SECONDS))


def counted_edge(now: datetime, seconds: int) -> datetime:
    """The end of the last whole bucket of `seconds` that is counted: where a
    chart of the latest data ends (the current minute before the first count)."""
    counted = counted_until(now)
    return floor_to(counted if counted is not None else now, seconds)


class RangeError(ValueError):
    """A time range or interval a caller cannot ask for; the message says why."""


def floor_to(moment: datetime, seconds: int) -> datetime:
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def bucket_range(start: datetime, end: datetime, seconds: int) -> tuple[datetime, datetime]:
    """[start, end) widened to whole buckets, refusing ranges that are empty or too long."""
    if seconds not in INTERVALS.values():
        raise RangeError(f"interval must be one of {', '.join(INTERVALS)}")
    if end <= start:
        raise RangeError("the end of the range must come after its start")
    first = floor_to(start, seconds)
    last = floor_to(end - timedelta(microseconds=1), seconds) + timedelta(seconds=seconds)
    if (last - first).total_seconds() / BUCKET_SECONDS > MAX_BUCKETS:
        raise RangeError("a range may span at most 7 days")
    return first, last


_NOT_GIVEN = object()


def buckets(
    service: Service | int,
    start: datetime,
    end: datetime,
    seconds: int = 60,
    region: str = ALL_REGIONS,
    counted: datetime | None | object = _NOT_GIVEN,
) -> list[Bucket]:
    """Every bucket of `seconds` in [start, end) for the service in `region`
    ("" for all regions), empty buckets included, missing ones marked. `counted`
    is counted_until(now) when the caller already has it."""
    first, last = bucket_range(start, end, seconds)
    service_id = service if isinstance(service, int) else service.pk
    series = Series.objects.filter(service_id=service_id, region=region).first()
    n = int((last - first).total_seconds()) // seconds
    reports = np.zeros(n, dtype=np.int64)
    reporters = np.zeros(n, dtype=np.int64)
    origin = first.timestamp()
    if series is not None:
        for minute, n_reports, n_reporters in SeriesMinute.objects.filter(
            series=series, minute__gte=first, minute__lt=last
        ).values_list("minute", "reports", "reporters"):
            i = int(minute.timestamp() - origin) // seconds
            reports[i] += n_reports
            reporters[i] += n_reporters
    starts = [first + timedelta(seconds=i * seconds) for i in range(n)]
    missing = _missing(
        first, last, n, seconds, counted_until(timezone.now()) if counted is _NOT_GIVEN else counted
    )
    expected = _expected(stored_profile(series), first, n, seconds)
    # Columns converted and rounded by numpy at once: a day of minutes is 1,440
    # buckets, and per-value round() and int() calls were most of a request's time.
    if expected is None:
        mean = low = high = [None] * n
    else:
        mean, low, high = (np.round(column, 3).tolist() for column in expected)
    return [
        Bucket(start, n_reports, n_reporters, e, lo, hi, why)
        for start, n_reports, n_reporters, e, lo, hi, why in zip(
            starts, reports.tolist(), reporters.tolist(), mean, low, high, missing
        )
    ]


def _missing(first: datetime, last: datetime, n: int, seconds: int, counted: datetime | None) -> list[str]:
    """Per bucket: UNCOUNTED if it ends after `counted`, GAP if one of its minutes
    is an intake gap, else ""."""
    missing = [""] * n
    origin = first.timestamp()
    for minute in IntakeGap.objects.filter(minute__gte=first, minute__lt=last).values_list(
        "minute", flat=True
    ):
        missing[int(minute.timestamp() - origin) // seconds] = GAP
    complete = 0 if counted is None else max(0, int(counted.timestamp() - origin) // seconds)
    for i in range(complete, n):
        missing[i] = UNCOUNTED
    return missing


def _expected(
    profile: Profile | None, first: datetime, n: int, seconds: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(expected, low, high) per bucket: the baseline's minutes summed, with a band
    of BAND_SDS standard deviations of its negative-binomial noise."""
    if profile is None:
        return None
    per_bucket = seconds // BUCKET_SECONDS
    minutes = first.timestamp() + BUCKET_SECONDS * np.arange(n * per_bucket, dtype=float)
    mu = profile.expected_many(minutes).reshape(n, per_bucket)
    mean = mu.sum(axis=1)
    sd = np.sqrt((mu + profile.alpha * mu**2).sum(axis=1))
    return mean, np.maximum(mean - BAND_SDS * sd, 0.0), mean + BAND_SDS * sd


def parse_interval(name: str) -> int:
    try:
        return INTERVALS[name]
    except KeyError:
        raise RangeError(f"interval must be one of {', '.join(INTERVALS)}, not {name!r}") from None
