"""The detection pass: feed every active series' new minutes to the detector, and
store what it decides.

The maths is all in `spikes.detection` (no Django there); this module only reads
counts and baselines, steps the detector minute by minute, and turns its events
into Spike rows and their history. A pass is idempotent: each series remembers the
minute it has detected up to, and is locked while a worker steps it, so a retry or
a second worker skips what is done.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Sum

from spikes import incidents
from spikes.baselines import BUCKET_SECONDS, gap_epochs, is_ready, minute_grid
from spikes.db import update_many
from spikes.detection import DetectorConfig, DetectorState, Profile, SpikeEvent, step
from spikes.models import ALL_REGIONS, MinuteCount, Series, SeriesMinute, Spike, SpikeChange, Status

CONFIG = DetectorConfig(bucket_seconds=BUCKET_SECONDS)
# After downtime a series catches up at most this far back: older minutes would
# only raise spikes that are long over.
MAX_CATCH_UP = timedelta(hours=24)
MINUTE = timedelta(minutes=1)
BREAKDOWN_EVERY_MINUTES = 5

# Profiles parsed from JSON, per process, keyed by series and fit time: a pass
# reads a series' baseline row (~10 kB) only when it was refitted since.
_profiles: dict[int, tuple[datetime | None, Profile | None]] = {}


def _profiles_for(series: Sequence[Series]) -> dict[int, Profile | None]:
    stale = [s.pk for s in series if _profiles.get(s.pk, (0,))[0] != s.baseline_updated_at]
    if stale:
        for pk, profile, fitted in Series.objects.filter(pk__in=stale).values_list(
            "pk", "baseline__profile", "baseline_updated_at"
        ):
            _profiles[pk] = (fitted, Profile.from_dict(profile) if profile else None)
    return {s.pk: _profiles[s.pk][1] for s in series}


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def detect(series_ids: Sequence[int], until: datetime) -> list[int]:
    """Step each series through its undetected minutes before `until`.

    Returns the ids of the spikes that are open or changed; their problem and
    region breakdowns are brought up to date.
    """
    touched: list[int] = []
    with transaction.atomic():
        batch = list(
            Series.objects.select_for_update(skip_locked=True).filter(pk__in=series_ids).order_by("pk")
        )
        if not batch:
            return touched
        starts = {s.pk: max(s.detected_until or until - MINUTE, until - MAX_CATCH_UP) for s in batch}
        earliest = min(starts.values())
        if earliest >= until:
            return touched
        counts: dict[int, dict[float, int]] = defaultdict(dict)
        # Reporters are the evidence; reports (repeats included) tell a campaign of
        # people who report again and again from an outage.
        for series_id, minute, reporters, reports in SeriesMinute.objects.filter(
            series_id__in=[s.pk for s in batch], minute__gte=earliest, minute__lt=until
        ).values_list("series_id", "minute", "reporters", "reports"):
            counts[series_id][minute.timestamp()] = (reporters, reports)
        gaps = set(gap_epochs(earliest, until))
        profiles = _profiles_for(batch)

        # First step every series, then store the events in time order across
        # series, so that incident grouping sees spikes in the order they opened.
        events: list[tuple[float, int, Series, SpikeEvent]] = []
        states: dict[int, DetectorState] = {}
        for series in batch:
            start = starts[series.pk]
            state = states[series.pk] = DetectorState.from_dict(series.detector_state)
            if start >= until:
                continue
            profile = profiles[series.pk]
            grid = minute_grid(start, until)
            ready = is_ready(profile)
            expected = profile.expected_many(grid) if ready else [0.0] * len(grid)
            calibration = (profile.calibration or profile.alpha) if ready else 0.0
            observed = counts.get(series.pk, {})
            for t, mu in zip(grid, expected):
                # Minutes of an intake gap, or before the baseline is ready, are
                # missing data to the detector: no evidence either way.
                x, reports = (math.nan, None) if (t in gaps or not ready) else observed.get(t, (0, 0))
                state, stepped = step(CONFIG, state, x, float(mu), calibration, t, reports)
                events.extend((t, series.pk, series, event) for event in stepped)

        open_spikes = {
            sp.series_id: sp for sp in Spike.objects.filter(series__in=batch, ended_at__isnull=True)
        }
        for _, _, series, event in sorted(events, key=lambda e: (e[0], e[1])):
            spike = _apply(series, open_spikes.get(series.pk), event)
            open_spikes[series.pk] = spike if spike.ended_at is None else None
            touched.append(spike.pk)
        # Open spikes keep their peak and breakdowns current every few minutes;
        # spikes that an event just changed are brought up to date at once.
        follow = until.minute % BREAKDOWN_EVERY_MINUTES == 0
        for series_id, spike in open_spikes.items():
            if spike is not None:
                _follow_peak(spike, states[series_id])
                if follow:
                    touched.append(spike.pk)
        # DetectorState is a flat dataclass of numbers and short lists: vars() is
        # its JSON form, without dataclasses.asdict's deep copy (the pass's
        # biggest cost once per series and minute).
        update_many(
            Series,
            ["detector_state", "detected_until"],
            [(s.pk, vars(states[s.pk]), until) for s in batch],
        )
    for spike_id in dict.fromkeys(touched):
        update_breakdowns(spike_id, until)
    return touched


def _apply(series: Series, spike: Spike | None, event: SpikeEvent) -> Spike:
    # A minute's counts are complete, and the detector can decide, once it is over.
    decided_at = event.time + MINUTE
    if event.kind == "opened" or spike is None:
        spike = Spike.objects.create(
            series=series,
            service_id=series.service_id,
            region=series.region,
            level=event.level,
            started_at=event.onset or event.time,
            detected_at=decided_at,
            peak_at=event.peak_time or event.time,
            peak_reports=round(event.peak_observed),
            expected_reports=event.peak_expected,
        )
        SpikeChange.objects.create(
            spike=spike, at=decided_at, kind=SpikeChange.Kind.OPENED, level=event.level
        )
        incidents.place(spike)
        return spike
    if event.kind == "level_changed":
        spike.level = event.level
        spike.save(update_fields=["level"])
        SpikeChange.objects.create(
            spike=spike, at=decided_at, kind=SpikeChange.Kind.LEVEL_CHANGED, level=event.level
        )
    elif event.kind == "resolved":
        spike.ended_at = event.end or event.time
        if spike.status != Status.DISMISSED:
            spike.status = Status.RESOLVED
        _copy_peak(spike, event.peak_time, event.peak_observed, event.peak_expected)
        spike.save()
        SpikeChange.objects.create(
            spike=spike, at=decided_at, kind=SpikeChange.Kind.RESOLVED, level=spike.level
        )
        incidents.close_if_over(spike)
    return spike


def _copy_peak(spike: Spike, peak_time, observed: float, expected: float) -> bool:
    if peak_time is None:
        return False
    peak_at = peak_time if isinstance(peak_time, datetime) else _dt(peak_time)
    changed = (spike.peak_at, spike.peak_reports) != (peak_at, round(observed))
    spike.peak_at, spike.peak_reports, spike.expected_reports = peak_at, round(observed), expected
    return changed


def _follow_peak(spike: Spike, state: DetectorState) -> None:
    if _copy_peak(spike, state.peak_time, state.peak_observed, state.peak_expected):
        spike.save(update_fields=["peak_at", "peak_reports", "expected_reports"])


def update_breakdowns(spike_id: int, until: datetime) -> None:
    """Problem-type and region shares of the reports from onset to the end (or now)."""
    spike = Spike.objects.get(pk=spike_id)
    counts = MinuteCount.objects.filter(
        service_id=spike.service_id, minute__gte=spike.started_at, minute__lt=spike.ended_at or until
    )
    if spike.region != ALL_REGIONS:
        counts = counts.filter(region=spike.region)
    problems = dict(
        counts.values("problem__slug").annotate(n=Sum("reports")).values_list("problem__slug", "n")
    )
    regions = dict(counts.values("region").annotate(n=Sum("reports")).values_list("region", "n"))
    spike.problems = _shares(problems)
    spike.regions = _shares(regions)
    Spike.objects.filter(pk=spike.pk).update(problems=spike.problems, regions=spike.regions)


def _shares(totals: dict[str, int]) -> dict[str, float]:
    """{key: share}, largest first."""
    whole = sum(totals.values())
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    return {key: round(n / whole, 4) for key, n in ranked} if whole else {}
