"""Baselines per series: the detection package's `fit_profile` fed from the counts.

A series is refitted every REFIT_EVERY (a day) on the last HISTORY of per-minute distinct
reporters (minutes of a global intake gap count as missing, not as zero). A regional
series with little history leans on a prior: the service's all-regions profile
times the region's share of the service's reporters.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol

import numpy as np
from django.db.models import Sum

from spikes.detection import Profile, country_zone, fit_local_profile, fit_profile
from spikes.models import ALL_REGIONS, IntakeGap, Series, SeriesBaseline, SeriesMinute

HISTORY = timedelta(days=28)
# Daily: a baseline is a weekly shape times a level of the last few days, neither of
# which moves much in a day, and a fit costs ~25 ms per series on 28 days of minutes.
REFIT_EVERY = timedelta(hours=24)
BUCKET_SECONDS = 60
# Below this many reporters per hour the expected count is raised to it, so that
# a tiny service is not "infinitely surprised" by its first reporter. Half a
# reporter per hour is about the quietest service of the starting catalog.
FLOOR_PER_HOUR = 0.5


def minute_grid(start: datetime, end: datetime) -> np.ndarray:
    """Epoch seconds of every minute in [start, end)."""
    return np.arange(start.timestamp(), end.timestamp(), BUCKET_SECONDS, dtype=float)


def dense_reporters(series_id: int, start: datetime, end: datetime, gaps: Iterable[float] = ()) -> np.ndarray:
    """Distinct reporters of a series for every minute in [start, end): zero where
    nobody reported, NaN where the intake itself was down."""
    grid = minute_grid(start, end)
    values = np.zeros(len(grid))
    for minute, reporters in SeriesMinute.objects.filter(
        series_id=series_id, minute__gte=start, minute__lt=end
    ).values_list("minute", "reporters"):
        values[int((minute.timestamp() - grid[0]) // BUCKET_SECONDS)] = reporters
    gap_index = [int((g - grid[0]) // BUCKET_SECONDS) for g in gaps if grid[0] <= g < grid[-1] + 1]
    values[gap_index] = np.nan
    return values


def gap_epochs(start: datetime, end: datetime) -> list[float]:
    return [
        m.timestamp()
        for m in IntakeGap.objects.filter(minute__gte=start, minute__lt=end).values_list("minute", flat=True)
    ]


class StoredHistory:
    """Per-minute distinct reporters of series, read from the counts tables.

    The backtest has its own implementation of these three methods over arrays
    it already holds in memory (lab.backtest.Preloaded).
    """

    def values(self, series_id: int, start: datetime, end: datetime) -> np.ndarray:
        return dense_reporters(series_id, start, end, gap_epochs(start, end))

    def total(self, series_id: int, start: datetime, end: datetime) -> float:
        rows = SeriesMinute.objects.filter(series_id=series_id, minute__gte=start, minute__lt=end)
        return float(rows.aggregate(n=Sum("reporters"))["n"] or 0)

    def first_minute(self, series_id: int) -> datetime | None:
        rows = SeriesMinute.objects.filter(series_id=series_id).order_by("minute")
        return rows.values_list("minute", flat=True).first()


class History(Protocol):
    def values(self, series_id: int, start: datetime, end: datetime) -> np.ndarray: ...
    def total(self, series_id: int, start: datetime, end: datetime) -> float: ...
    def first_minute(self, series_id: int) -> datetime | None: ...


# A series is judged only once its baseline rests on at least a day of history
# (its own, or its parent's for a regional prior): before that it cannot know
# its daily cycle, and every busy evening would look like an outage.
WARM_UP_DAYS = 1.0


def is_ready(profile: Profile | None) -> bool:
    return profile is not None and profile.n_days + profile.extra.get("prior_days", 0.0) >= WARM_UP_DAYS


def refit_many(series: Iterable[Series], now: datetime, history: History | None = None) -> None:
    """Fit and store the baselines of these series from the history before `now`.

    All-regions series are fitted first: a regional series with little history of
    its own leans on its service's all-regions profile times the region's share.
    """
    history = history or StoredHistory()
    end = now.replace(second=0, microsecond=0)
    ordered = sorted(series, key=lambda s: (s.region != ALL_REGIONS, s.pk))
    services = {s.service_id for s in ordered}
    parents: dict[int, tuple[int, Profile | None]] = {
        service_id: (pk, Profile.from_dict(profile) if profile else None)
        for pk, service_id, profile in Series.objects.filter(
            service_id__in=services, region=ALL_REGIONS
        ).values_list("pk", "service_id", "baseline__profile")
    }
    fitted: list[tuple[int, dict, datetime]] = []
    for one in ordered:
        start = end - HISTORY
        first = history.first_minute(one.pk)
        if first is not None and first > start:
            start = first  # no need to feed weeks of zeros before the series existed
        prior = None
        parent_pk, parent_profile = parents.get(one.service_id, (None, None))
        if one.region != ALL_REGIONS and parent_profile is not None:
            service_total = history.total(parent_pk, start, end)
            if service_total:
                prior = parent_profile.scaled(history.total(one.pk, start, end) / service_total)
        profile = fit_local_profile(
            history.values(one.pk, start, end),
            start.timestamp(),
            BUCKET_SECONDS,
            # A country's reporters keep its clocks, daylight saving included; the
            # all-regions series of a service spans many zones and stays in UTC.
            zone=country_zone(one.region) if one.region != ALL_REGIONS else "",
            prior=prior,
            floor=FLOOR_PER_HOUR * BUCKET_SECONDS / 3600,
        )
        if prior is not None:
            profile.extra["prior_days"] = prior.n_days
        if one.region == ALL_REGIONS:
            parents[one.service_id] = (one.pk, profile)
        one.baseline_updated_at = now
        fitted.append(SeriesBaseline(series_id=one.pk, profile=profile.to_dict()))
    SeriesBaseline.objects.bulk_create(
        fitted, update_conflicts=True, unique_fields=["series"], update_fields=["profile"]
    )
    Series.objects.filter(pk__in=[b.series_id for b in fitted]).update(baseline_updated_at=now)


def due_for_refit(now: datetime):
    """Active series whose baseline is missing or older than REFIT_EVERY; all-regions
    series first, since regional priors are made from them."""
    from django.db.models import Q

    return (
        Series.objects.active(now)
        .filter(Q(baseline_updated_at__isnull=True) | Q(baseline_updated_at__lt=now - REFIT_EVERY))
        .order_by("region", "pk")
    )


# A minute with no report at all is an intake gap when at least this many
# reporters were expected in it: P(0 | Poisson(3)) is 5%, and a wrongly flagged
# quiet minute costs nothing but a minute of evidence.
GAP_MIN_EXPECTED = 3.0


def global_totals(start: datetime, end: datetime) -> dict[float, int]:
    """Distinct reporters of all services together, per minute with any report."""
    rows = (
        SeriesMinute.objects.filter(series__region=ALL_REGIONS, minute__gte=start, minute__lt=end)
        .values_list("minute")
        .annotate(n=Sum("reporters"))
        .order_by()
    )
    return {minute.timestamp(): n for minute, n in rows}


def refit_global(now: datetime) -> Profile:
    from spikes.models import PipelineState

    end = now.replace(second=0, microsecond=0)
    start = end - HISTORY
    totals = global_totals(start, end)
    if totals:
        start = datetime.fromtimestamp(min(totals), tz=end.tzinfo)
    grid = minute_grid(start, end)
    values = np.zeros(len(grid))
    for epoch, n in totals.items():
        values[int((epoch - grid[0]) // BUCKET_SECONDS)] = n
    values[[int((g - grid[0]) // BUCKET_SECONDS) for g in gap_epochs(start, end)]] = np.nan
    profile = fit_profile(values, start.timestamp(), BUCKET_SECONDS)
    PipelineState.objects.filter(pk=1).update(
        global_baseline=profile.to_dict(), global_baseline_updated_at=now
    )
    return profile


def mark_gaps(start: datetime, end: datetime, global_baseline: dict | None) -> list[float]:
    """Record (and return) the minutes of [start, end) in which the intake was down."""
    if not global_baseline or start >= end:
        return []
    profile = Profile.from_dict(global_baseline)
    grid = minute_grid(start, end)
    # A minute with any report at all (repeats included) proves the intake was up.
    heard = {
        m.timestamp()
        for m in SeriesMinute.objects.filter(minute__gte=start, minute__lt=end)
        .values_list("minute", flat=True)
        .distinct()
    }
    expected = profile.expected_many(grid)
    gaps = [t for t, mu in zip(grid, expected) if mu >= GAP_MIN_EXPECTED and t not in heard]
    IntakeGap.objects.bulk_create(
        [IntakeGap(minute=datetime.fromtimestamp(t, tz=start.tzinfo)) for t in gaps], ignore_conflicts=True
    )
    return gaps
