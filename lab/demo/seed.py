"""Seeding the demo: days of simulated history, stored in the site's own database and
replayed through the real counting, baselines and detector, so that the archive,
the spikes, the incidents and the baselines exist when the site opens.

The history is written as a reports CSV and goes through the backtest's import and
replay (lab/backtest.py), which run the live code (`spikes.counting`,
`spikes.fitting`, `spikes.pipeline`) on a simulated clock that stops at "now".
Then the pipeline's own bookkeeping is left as the live tasks expect to find it.

A database that already holds reports is never mixed with simulated ones: the
seeding resumes a demo of its own that is still current, and otherwise refuses,
naming the flag that deletes what is there (see `check`).
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from django.db import transaction
from django.utils import timezone

from lab import backtest
from lab.demo.plan import PAST_OUTAGES, DemoPlan, PastOutage, past_events
from lab.models import DemoRun
from lab.simulation import CSV_HEADER, ReportChunk, Simulation
from partners.models import OutboxCursor, WebhookDelivery, WebhookEvent
from reports.catalog import get_catalog, invalidate_catalog
from reports.models import Report
from spikes import counting
from spikes.models import (
    Incident,
    IntakeGap,
    MinuteCount,
    PipelineState,
    Series,
    SeriesBaseline,
    SeriesMinute,
    Spike,
    SpikeChange,
)

# A demo is resumed only while its world has at least this long left to run.
RESUME_MARGIN = timedelta(hours=1)
RESET_HINT = "--reset (python3 dev.py run --demo --reset, or manage.py demo seed --reset)"

# Relative costs of the seeding's phases on SQLite, so that one progress bar moves
# evenly and its ETA holds (docs/demo.md): storing a report, counting it, and the
# detector's step of one series through one simulated minute (refits included).
SECONDS_PER_REPORT_STORED = 95e-6
SECONDS_PER_REPORT_COUNTED = 130e-6
SECONDS_PER_SERIES_MINUTE = 40e-6

Tick = Callable[[float, str], None]


class Refused(Exception):
    """The database holds data the demo will not touch without being told to."""


@dataclass(frozen=True)
class Seeded:
    plan: DemoPlan
    reports: int
    spikes: int
    incidents: int
    detected_from: datetime


def check(now: datetime) -> DemoPlan | None:
    """The plan of the demo to resume, or None when the database holds no reports,
    counts or spikes. Raises Refused when it holds someone else's data, or a demo
    whose simulated world has run out."""
    if not (Report.objects.exists() or SeriesMinute.objects.exists() or Spike.objects.exists()):
        return None
    run = DemoRun.objects.first()
    if run is None:
        reports = Report.objects.count()
        raise Refused(
            f"This database already holds {reports:,} reports (with their counts and spikes) that "
            "the demo did not make. The demo neither mixes simulated reports with them nor deletes "
            f"them unasked. Run it with {RESET_HINT} to delete every report, count, spike and "
            "incident first (the catalog, accounts and partner keys stay), or give it a database of "
            "its own: DATA_DIR=/tmp/outagewatch-demo python3 dev.py run --demo"
        )
    plan = DemoPlan.from_dict(run.plan)
    if now > plan.ends_at - RESUME_MARGIN:
        raise Refused(
            f"The demo in this database was seeded on {run.seeded_at:%Y-%m-%d}, and its simulated "
            f"world ended on {plan.ends_at:%Y-%m-%d}. Run it with {RESET_HINT} to seed a fresh one."
        )
    return plan


def wipe() -> None:
    """Delete every report and everything made from reports: counts, series and
    baselines, spikes, incidents, intake gaps, the pipeline's progress, webhook
    events and the demo's marker. The catalog, accounts and partner keys stay."""
    with transaction.atomic():
        for model in (WebhookDelivery, WebhookEvent, OutboxCursor, SpikeChange):
            model.objects.all().delete()
        Spike.objects.update(related_to=None, incident=None)
        for model in (Spike, Incident, IntakeGap, SeriesMinute, SeriesBaseline, MinuteCount):
            model.objects.all().delete()
        for model in (Series, PipelineState, Report, DemoRun):
            model.objects.all().delete()


def seed(
    plan: DemoPlan,
    tick: Tick = lambda amount, phase: None,
    now: Callable[[], datetime] = timezone.now,
    outages: tuple[PastOutage, ...] = PAST_OUTAGES,
) -> Seeded:
    """Store the plan's history up to `plan.history_until`, replay it through the
    pipeline, then top it up with the reports of the minutes the seeding took.

    All or nothing: one transaction, so that a seeding cut short (Ctrl-C) leaves the
    database as it found it, not half a demo that the next run would refuse.
    `tick(percent, phase)` is told how far the work went, in shares of the whole
    (weighted by the phases' measured costs), for a progress bar.
    """
    with transaction.atomic():
        return _seed(plan, tick, now, outages)


def _seed(plan: DemoPlan, tick: Tick, now: Callable[[], datetime], outages: tuple[PastOutage, ...]) -> Seeded:
    events, detect_from = past_events(plan, outages)
    sim = plan.simulation(events)
    _check_catalog(plan)
    until = plan.history_until
    with tempfile.TemporaryDirectory(prefix="outagewatch-demo-") as folder:
        path = Path(folder) / "reports.csv"
        rows = write_rows(sim, path, plan.start, until)
        series = plan.series()
        days = int(np.ceil((until - plan.start) / timedelta(days=1)))
        minutes = int((until - detect_from) / timedelta(minutes=1))
        costs = {
            "storing reports": rows * SECONDS_PER_REPORT_STORED,
            "counting": rows * SECONDS_PER_REPORT_COUNTED,
            "detecting": series * minutes * SECONDS_PER_SERIES_MINUTE,
        }
        share = {phase: 100 * cost / sum(costs.values()) for phase, cost in costs.items()}
        count, first, _ = backtest.import_reports(
            path, progress=lambda n: tick(share["storing reports"] * n / rows, "storing reports")
        )
    backtest.replay(
        first,
        until,
        tail=timedelta(0),
        detect_from=detect_from,
        counted=lambda n: tick(share["counting"] * n / days, "counting"),
        progress=lambda n: tick(share["detecting"] * n / max(minutes, 1), "detecting"),
    )
    topped_until = _top_up(plan, sim, until, now())
    # The live pass counts from here on (the replay counted without moving the
    # watermark), so the top-up and whatever the feeder posts are counted.
    PipelineState.objects.filter(pk=1).update(counted_until=counting.floor_minute(until))
    plan = replace(plan, history_until=topped_until)
    DemoRun.objects.create(plan=plan.to_dict())
    return Seeded(
        plan,
        count,
        Spike.objects.count(),
        Incident.objects.count(),
        detect_from,
    )


def write_rows(sim: Simulation, path: Path, start: datetime, until: datetime) -> int:
    """Write the simulation's reports in [start, until) as a reports CSV; returns how many."""
    lo, hi = start.timestamp(), until.timestamp()
    written = 0
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        first_minute = max(0, int((start - sim.start) / timedelta(minutes=1)))
        span = max(1, int(np.ceil((until - start) / timedelta(minutes=1))))
        for chunk in sim.chunks(minutes_per_chunk=min(span, 1440), first_minute=first_minute):
            if not len(chunk):
                continue
            if chunk.ts[0] >= hi:
                break
            part = _between(chunk, lo, hi)
            writer.writerows(zip(*part.columns()))
            written += len(part)
    return written


def _between(chunk: ReportChunk, lo: float, hi: float) -> ReportChunk:
    keep = (chunk.ts >= lo) & (chunk.ts < hi)
    return replace(
        chunk,
        ts=chunk.ts[keep],
        service=chunk.service[keep],
        region=chunk.region[keep],
        problem=chunk.problem[keep],
        reporter=chunk.reporter[keep],
    )


def _top_up(plan: DemoPlan, sim: Simulation, until: datetime, now: datetime) -> datetime:
    """Store the reports of [until, now): the minutes the seeding itself took, so
    that the feeder, which posts from now on, leaves no hole behind."""
    if now <= until:
        return until
    with tempfile.TemporaryDirectory(prefix="outagewatch-demo-") as folder:
        path = Path(folder) / "reports.csv"
        if write_rows(sim, path, until, now):
            backtest.import_reports(path)
    return now


def _check_catalog(plan: DemoPlan) -> None:
    """The simulator's services and problem types must all be in the catalog: the
    backtest's import would otherwise add them, and the intake refuse them."""
    invalidate_catalog()
    catalog = get_catalog()
    missing = []
    for spec in plan.specs():
        entry = catalog.services.get(spec.slug)
        if entry is None or not entry.is_active:
            missing.append(f"the service {spec.slug!r}")
        else:
            missing += [
                f"{spec.slug}'s problem type {p!r}" for p in sorted(set(spec.problems) - set(entry.problems))
            ]
    if missing:
        raise Refused(f"The catalog lacks {', '.join(missing)}. Load it first: python manage.py load_catalog")
