"""Fitting the baselines of the stored series, as the detection policy
(spikes.detection.policy) says: this module reads the counts, calls the policy and
stores what it returns (the maths of a fit is spikes.detection.baseline).

It also keeps the one reader of stored baselines (`stored_profiles`): profiles
parsed from JSON once per process and fit, for the pass, the charts and the pages.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

import numpy as np
from django.db.models import Q, QuerySet, Sum

from spikes.detection import Profile, country_zone
from spikes.detection.policy import DEFAULT as POLICY
from spikes.detection.policy import dense, grid, regional_prior
from spikes.models import ALL_REGIONS, IntakeGap, PipelineState, Series, SeriesBaseline, SeriesMinute

BUCKET_SECONDS = POLICY.bucket_seconds
# The policy's history, for the pages that tell readers how baselines are learned.
HISTORY = POLICY.history


def is_ready(profile: Profile | None) -> bool:
    """Whether a stored baseline may judge its series yet (the policy's warm-up)."""
    return POLICY.is_ready(profile)


def minute_grid(start: datetime, end: datetime) -> np.ndarray:
    """Epoch seconds of every minute in [start, end)."""
    return grid(start.timestamp(), end.timestamp(), BUCKET_SECONDS)


def _dense(start: datetime, end: datetime, counts: dict[float, float], gaps: Iterable[float]) -> np.ndarray:
    return dense(start.timestamp(), len(minute_grid(start, end)), BUCKET_SECONDS, counts, gaps)


def dense_reporters(series_id: int, start: datetime, end: datetime, gaps: Iterable[float] = ()) -> np.ndarray:
    """Distinct reporters of a series for every minute in [start, end): zero where
    nobody reported, NaN where the intake itself was down."""
    rows = SeriesMinute.objects.filter(series_id=series_id, minute__gte=start, minute__lt=end)
    return _dense(start, end, {m.timestamp(): n for m, n in rows.values_list("minute", "reporters")}, gaps)


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


def _at(epoch: float, like: datetime) -> datetime:
    return datetime.fromtimestamp(epoch, tz=like.tzinfo)


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
    # Their baselines until now: a refit keeps a calibration made lately.
    previous = stored_profiles(ordered)
    fitted: list[SeriesBaseline] = []
    for one in ordered:
        first = history.first_minute(one.pk)
        start = _at(POLICY.history_start(end.timestamp(), first and first.timestamp()), end)
        prior = None
        parent_pk, parent_profile = parents.get(one.service_id, (None, None))
        if one.region != ALL_REGIONS and parent_profile is not None:
            prior = regional_prior(
                parent_profile, history.total(one.pk, start, end), history.total(parent_pk, start, end)
            )
        zone = country_zone(one.region) if one.region != ALL_REGIONS else ""
        profile = POLICY.fit(
            history.values(one.pk, start, end),
            start.timestamp(),
            zone=zone,
            prior=prior,
            previous=previous[one.pk],
        )
        if one.region == ALL_REGIONS:
            parents[one.service_id] = (one.pk, profile)
        fitted.append(SeriesBaseline(series_id=one.pk, profile=profile.to_dict()))
    SeriesBaseline.objects.bulk_create(
        fitted, update_conflicts=True, unique_fields=["series"], update_fields=["profile"]
    )
    Series.objects.filter(pk__in=[b.series_id for b in fitted]).update(baseline_updated_at=now)


def due_for_refit(now: datetime) -> QuerySet[Series]:
    """Active series whose baseline is missing or due (Policy.refit_due); all-regions
    series first, since regional priors are made from them."""
    return (
        Series.objects.active(now)
        .filter(Q(baseline_updated_at__isnull=True) | Q(baseline_updated_at__lte=now - POLICY.refit_every))
        .order_by("region", "pk")
    )


def global_due(now: datetime) -> bool:
    state = PipelineState.load()
    fitted = state.global_baseline_updated_at
    return POLICY.refit_due(fitted and fitted.timestamp(), now.timestamp())


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
    """Fit the baseline of all reports together, which tells intake gaps from quiet."""
    end = now.replace(second=0, microsecond=0)
    start = end - POLICY.history
    totals = global_totals(start, end)
    if totals:
        start = _at(POLICY.history_start(end.timestamp(), min(totals)), end)
    stored = PipelineState.load().global_baseline
    previous = Profile.from_dict(stored) if stored else None
    profile = POLICY.fit(
        _dense(start, end, totals, gap_epochs(start, end)), start.timestamp(), previous=previous
    )
    PipelineState.objects.filter(pk=1).update(
        global_baseline=profile.to_dict(), global_baseline_updated_at=now
    )
    return profile


def mark_gaps(start: datetime, end: datetime, global_baseline: dict | None) -> list[float]:
    """Record (and return) the minutes of [start, end) in which the intake was down."""
    if not global_baseline or start >= end:
        return []
    times = minute_grid(start, end)
    # A minute with any report at all (repeats included) proves the intake was up.
    heard = {
        m.timestamp()
        for m in SeriesMinute.objects.filter(minute__gte=start, minute__lt=end)
        .values_list("minute", flat=True)
        .distinct()
    }
    found = POLICY.intake_gaps(Profile.from_dict(global_baseline), times, np.isin(times, list(heard)))
    gaps = times[found].tolist()
    IntakeGap.objects.bulk_create([IntakeGap(minute=_at(t, start)) for t in gaps], ignore_conflicts=True)
    return gaps


# Profiles parsed from JSON, per process, keyed by series and fit time: a refit
# changes baseline_updated_at, so a stale profile is never used. A pass, a chart or
# a page reads a series' baseline row (~10 kB) and parses it (a few ms, the
# biggest share of a series request before this cache) only when it was refitted.
_parsed: dict[int, tuple[datetime | None, Profile | None]] = {}


def stored_profiles(series: Sequence[Series]) -> dict[int, Profile | None]:
    """The stored baseline of each series (None where it has none yet), by id."""
    stale = [
        s.pk
        for s in series
        if s.baseline_updated_at is not None and _parsed.get(s.pk, (None,))[0] != s.baseline_updated_at
    ]
    if stale:
        for pk, profile, fitted in Series.objects.filter(pk__in=stale).values_list(
            "pk", "baseline__profile", "baseline_updated_at"
        ):
            _parsed[pk] = (fitted, Profile.from_dict(profile) if profile else None)
    return {
        s.pk: _parsed[s.pk][1] if s.baseline_updated_at is not None and s.pk in _parsed else None
        for s in series
    }


def stored_profile(series: Series | None) -> Profile | None:
    return None if series is None else stored_profiles([series])[series.pk]


def forget_profiles() -> None:
    """Tests reuse series ids with other baselines at the same fit time."""
    _parsed.clear()
