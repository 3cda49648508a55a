"""Stepping the detector: feed every active series' new minutes to the detector,
and store what it decides (spikes.pipeline runs a whole pass around it; the
detector itself is spikes.detection.detector).

The maths and the policy around it are all in `spikes.detection` (no Django
there): this module reads counts, gaps and baselines, has the policy step each
series over its new minutes, and stores the decisions as Spike rows and their
history. A pass is idempotent: each series remembers the
minute it has detected up to, and is locked while a worker steps it, so a retry or
a second worker skips what is done.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Sum

from spikes import incidents
from spikes.db import update_many
from spikes.detection import DetectorState
from spikes.detection.policy import Decision, current_peak, dense
from spikes.fitting import POLICY, gap_epochs, minute_grid, stored_profiles
from spikes.models import ALL_REGIONS, MinuteCount, Series, SeriesMinute, Spike, SpikeChange

# After downtime a series catches up at most this far back: older minutes would
# only raise spikes that are long over.
MAX_CATCH_UP = timedelta(hours=24)
MINUTE = timedelta(minutes=1)
BREAKDOWN_EVERY_MINUTES = 5


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
        # Reporters are the evidence; reports (repeats included) tell a campaign of
        # people who report again and again from an outage.
        counts: dict[int, dict[float, int]] = defaultdict(dict)
        reports: dict[int, dict[float, int]] = defaultdict(dict)
        for series_id, minute, reporters, filed in SeriesMinute.objects.filter(
            series_id__in=[s.pk for s in batch], minute__gte=earliest, minute__lt=until
        ).values_list("series_id", "minute", "reporters", "reports"):
            counts[series_id][minute.timestamp()] = reporters
            reports[series_id][minute.timestamp()] = filed
        gaps = gap_epochs(earliest, until)
        profiles = stored_profiles(batch)

        # First step every series, then store the decisions in time order across
        # series, so that incident grouping sees spikes in the order they opened.
        decisions: list[tuple[datetime, int, Series, Decision]] = []
        states: dict[int, DetectorState] = {}
        for series in batch:
            start = starts[series.pk]
            state = DetectorState.from_dict(series.detector_state)
            if start < until:
                grid = minute_grid(start, until)
                values = dense(grid[0], len(grid), POLICY.bucket_seconds, counts.get(series.pk, {}), gaps)
                filed = dense(grid[0], len(grid), POLICY.bucket_seconds, reports.get(series.pk, {}), gaps)
                state, made = POLICY.step(state, grid, values, profiles[series.pk], filed)
                decisions.extend((d.at, series.pk, series, d) for d in made)
            states[series.pk] = state

        open_spikes = {
            sp.series_id: sp for sp in Spike.objects.filter(series__in=batch, ended_at__isnull=True)
        }
        for _, _, series, decision in sorted(decisions, key=lambda e: (e[0], e[1])):
            spike = _apply(series, open_spikes.get(series.pk), decision)
            open_spikes[series.pk] = spike if spike.ended_at is None else None
            touched.append(spike.pk)
        # Open spikes keep their peak and breakdowns current every few minutes;
        # spikes that a decision just changed are brought up to date at once.
        follow = until.minute % BREAKDOWN_EVERY_MINUTES == 0
        # A new peak recounts the people at once too: a page must never show a
        # peak minute of 38 reporters beside "36 people so far" (seen in the demo).
        for series_id, spike in open_spikes.items():
            if spike is not None and (_follow_peak(spike, states[series_id]) or follow):
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


def _apply(series: Series, spike: Spike | None, decision: Decision) -> Spike:
    if decision.kind == "opened" or spike is None:
        spike = Spike.objects.create(
            series=series,
            service_id=series.service_id,
            region=series.region,
            level=decision.level,
            started_at=decision.started_at,
            detected_at=decision.decided_at,
            peak_at=decision.peak_at,
            peak_reports=decision.peak_reports,
            expected_reports=decision.expected_reports,
        )
        SpikeChange.objects.create(
            spike=spike, at=decision.decided_at, kind=SpikeChange.Kind.OPENED, level=decision.level
        )
        incidents.place(spike)
        return spike
    if decision.kind == "level_changed":
        spike.level = decision.level
        spike.save(update_fields=["level"])
        SpikeChange.objects.create(
            spike=spike, at=decision.decided_at, kind=SpikeChange.Kind.LEVEL_CHANGED, level=decision.level
        )
    elif decision.kind == "resolved":
        # The end of a spike is its lifecycle; its verdict (a confirmation, a
        # dismissal) is left as it is.
        spike.ended_at = decision.ended_at
        spike.peak_at, spike.peak_reports = decision.peak_at, decision.peak_reports
        spike.expected_reports = decision.expected_reports
        # Only the fields the detector owns: a verdict given meanwhile stays.
        spike.save(update_fields=["ended_at", "peak_at", "peak_reports", "expected_reports"])
        SpikeChange.objects.create(
            spike=spike, at=decision.decided_at, kind=SpikeChange.Kind.RESOLVED, level=spike.level
        )
        incidents.close_if_over(spike)
    return spike


def _follow_peak(spike: Spike, state: DetectorState) -> bool:
    """Moves the spike's peak to the detector's; True if it moved."""
    peak = current_peak(state)
    if peak is None or (spike.peak_at, spike.peak_reports) == peak[:2]:
        return False
    spike.peak_at, spike.peak_reports, spike.expected_reports = peak
    spike.save(update_fields=["peak_at", "peak_reports", "expected_reports"])
    return True


def update_breakdowns(spike_id: int, until: datetime) -> None:
    """Problem-type and region shares of the reports from onset to the end (or
    now), and how many people reported."""
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
    spike.people = spike.count_people(until)
    Spike.objects.filter(pk=spike.pk).update(
        problems=spike.problems, regions=spike.regions, people=spike.people
    )


def _shares(totals: dict[str, int]) -> dict[str, float]:
    """{key: share}, largest first."""
    whole = sum(totals.values())
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    return {key: round(n / whole, 4) for key, n in ranked} if whole else {}
