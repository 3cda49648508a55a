"""Replaying history through the live pipeline, on a simulated clock.

`import_reports` loads a reports CSV (created_at,service,region,problem,reporter)
into the database the backtest runs on, marking repeats as the intake does.
`replay` then ticks a simulated clock minute by minute from the first report to
the last, running the same counting, baseline and detection code as the Celery
tasks, and `export_spikes` writes what was found.

The caller (the `backtest` command) makes sure that database is a throwaway one.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from django.db import transaction

from reports.catalog import invalidate_catalog
from reports.models import Category, ProblemType, Region, Report, Service, ServiceProblem, Source
from reports.repeats import RepeatMarker
from spikes import counting, fitting, pipeline
from spikes.db import insert_many
from spikes.models import SeriesMinute, Spike

HEADER = ["created_at", "service", "region", "problem", "reporter"]
BATCH = 20_000
# After the last report the clock runs on this long, so that open spikes can end.
TAIL = timedelta(hours=2)

Progress = Callable[[int], None]


class BadReportsFile(ValueError):
    pass


def _parse_time(text: str, line: int) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadReportsFile(f"line {line}: created_at {text!r} is not an ISO 8601 time") from None
    if value.tzinfo is None:
        raise BadReportsFile(f"line {line}: created_at {text!r} has no time zone (use Z for UTC)")
    return value.astimezone(UTC)


class _Catalog:
    """Slugs to ids, creating unknown services, problem types and regions."""

    def __init__(self) -> None:
        self.services = dict(Service.objects.values_list("slug", "pk"))
        self.problems = dict(ProblemType.objects.values_list("slug", "pk"))
        self.regions = set(Region.objects.values_list("code", flat=True))
        self.offers = set(ServiceProblem.objects.values_list("service_id", "problem_type_id"))

    def service(self, slug: str) -> int:
        if slug not in self.services:
            name = slug.replace("-", " ").title()
            self.services[slug] = Service.objects.create(slug=slug, name=name, category=Category.OTHER).pk
        return self.services[slug]

    def problem(self, service_id: int, slug: str) -> int:
        if slug not in self.problems:
            name = slug.replace("-", " ").capitalize()
            self.problems[slug] = ProblemType.objects.create(slug=slug, name=name).pk
        pk = self.problems[slug]
        if (service_id, pk) not in self.offers:
            ServiceProblem.objects.create(service_id=service_id, problem_type_id=pk, position=99)
            self.offers.add((service_id, pk))
        return pk

    def region(self, code: str) -> str:
        code = code.upper()
        if code not in self.regions:
            Region.objects.create(code=code, name=code)
            self.regions.add(code)
        return code


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in HEADER if name not in (reader.fieldnames or [])]
        if missing:
            raise BadReportsFile(
                f"{path} lacks the column(s) {', '.join(missing)}; the header must be {','.join(HEADER)}"
            )
        yield from enumerate(reader, start=2)


def import_reports(path: Path, progress: Progress = lambda n: None) -> tuple[int, datetime, datetime]:
    """Store every report of the file; returns (count, first, last created_at)."""
    catalog = _Catalog()
    repeats = RepeatMarker()
    batch: list[tuple] = []
    count, first, last, previous = 0, None, None, None
    for line, row in _rows(path):
        at = _parse_time(row["created_at"], line)
        if previous is not None and at < previous - timedelta(hours=1):
            raise BadReportsFile(f"line {line}: the file must be in time order (roughly: within an hour)")
        previous = max(previous or at, at)
        service_id = catalog.service(row["service"].strip().lower())
        reporter = hashlib.sha256(row["reporter"].encode()).hexdigest()[:32]
        repeat = repeats.mark((service_id, reporter), at)
        batch.append(
            (
                service_id,
                catalog.problem(service_id, row["problem"].strip().lower()),
                catalog.region(row["region"].strip()),
                at,
                "",
                False,
                Source.API.value,
                reporter,
                repeat,
            )
        )
        first = at if first is None or at < first else first
        last = at if last is None or at > last else last
        count += 1
        if len(batch) >= BATCH:
            _store(batch)
            progress(len(batch))
            batch = []
    if batch:
        _store(batch)
        progress(len(batch))
    invalidate_catalog()
    if count == 0:
        raise BadReportsFile(f"{path} holds no reports")
    return count, first, last


def _store(rows: list[tuple]) -> None:
    columns = ["service_id", "problem_id", "region_id", "created_at", "comment", "comment_hidden"]
    insert_many(Report._meta.db_table, [*columns, "source", "fingerprint", "is_repeat"], rows)


@dataclass
class Preloaded:
    """Every series' per-minute distinct reporters, in memory: the backtest's
    stand-in for fitting.StoredHistory, so a refit slices an array instead of
    reading weeks of rows."""

    start: datetime
    rows: dict[int, np.ndarray]
    # The minute of each series' first report (repeats included), as
    # StoredHistory.first_minute reads it: when the series appeared.
    first: dict[int, datetime]
    # Intake-gap minutes (epoch seconds) known so far; refreshed before each refit
    # round, since passes mark gaps as the clock moves.
    gaps: np.ndarray = field(default_factory=lambda: np.empty(0))

    def _span(self, start: datetime, end: datetime) -> tuple[int, int]:
        return int((start - self.start).total_seconds() // 60), int((end - self.start).total_seconds() // 60)

    def values(self, series_id: int, start: datetime, end: datetime) -> np.ndarray:
        lo, hi = self._span(start, end)
        row = self.rows.get(series_id)
        if row is None:
            return np.zeros(max(0, hi - lo))
        window = row[max(lo, 0) : hi].copy()
        positions = ((self.gaps - start.timestamp()) // 60).astype(int)
        window[positions[(positions >= 0) & (positions < len(window))]] = np.nan
        return window

    def total(self, series_id: int, start: datetime, end: datetime) -> float:
        lo, hi = self._span(start, end)
        row = self.rows.get(series_id)
        return 0.0 if row is None else float(row[max(lo, 0) : hi].sum())

    def first_minute(self, series_id: int) -> datetime | None:
        return self.first.get(series_id)


def preload(start: datetime, end: datetime) -> Preloaded:
    minutes = int((end - start).total_seconds() // 60) + 1
    values: dict[int, np.ndarray] = {}
    first: dict[int, datetime] = {}
    for series_id, minute, reporters in (
        SeriesMinute.objects.order_by("minute")
        .values_list("series_id", "minute", "reporters")
        .iterator(chunk_size=50_000)
    ):
        row = values.get(series_id)
        if row is None:
            row = values[series_id] = np.zeros(minutes)
            first[series_id] = minute
        row[int((minute - start).total_seconds() // 60)] = reporters
    return Preloaded(start, values, first)


def replay(
    first: datetime,
    last: datetime,
    pass_minutes: int = 60,
    progress: Progress = lambda n: None,
    tail: timedelta = TAIL,
    detect_from: datetime | None = None,
    counted: Progress = lambda n: None,
) -> int:
    """Count everything, then tick the clock a minute at a time to the end.

    Counting is done up front with the live counting code over the whole range
    (it is idempotent and range-based, so this equals counting minute by minute).
    The detector steps through every minute and stamps each decision with the
    minute it was taken; the database is written every `pass_minutes` ticks, as
    if the live pass had been delayed that long, which only batches the writes.
    The clock runs on `tail` after the last report (so that open spikes can end);
    with `detect_from` it starts there instead of at the first report (the history
    before it is counted and feeds the baselines, but is not detected).
    `progress` is told of the simulated minutes ticked, `counted` of the days counted.
    Baselines due are refitted after each pass (the live refresh, checked every
    `pass_minutes` instead of every 10 minutes), on the minutes before the clock,
    and are used from the next minute on. Returns the number of simulated minutes.
    """
    start = counting.floor_minute(first)
    end = counting.floor_minute(last + tail)
    count_days(start, end, counted)
    loaded = preload(start, end)
    clock = max(start, counting.floor_minute(detect_from or start)) + timedelta(minutes=1)
    ticks = 0
    while clock <= end:
        pipeline.run_pass(clock, count=False)
        _refit_due(clock, loaded)
        step = min(pass_minutes, int((end - clock).total_seconds() // 60) or 1)
        ticks += step
        progress(step)
        clock += timedelta(minutes=step)
    return ticks


def count_days(start: datetime, end: datetime, progress: Progress = lambda n: None) -> None:
    """Count [start, end) with the live counting code, a day at a time, in one transaction."""
    with transaction.atomic():
        day = start
        while day < end:
            counting.count_range(day, min(day + timedelta(days=1), end))
            progress(1)
            day += timedelta(days=1)


def _refit_due(now: datetime, loaded: Preloaded) -> None:
    if fitting.global_due(now):
        fitting.refit_global(now)
    loaded.gaps = np.array(fitting.gap_epochs(loaded.start, now))
    # Counting ran up front, so every series is in the database from the start;
    # live, a series appears with its first report, and is first fitted then.
    due = [pk for pk in pipeline.due_baselines(now) if pk in loaded.first and loaded.first[pk] < now]
    pipeline.refit_baselines(due, now, history=loaded)


def export_spikes() -> list[dict[str, Any]]:
    """Every spike found, in its one JSON form (Spike.as_json), as lab/evaluate.py reads it."""
    spikes = Spike.objects.select_related("service").order_by("detected_at", "pk")
    return [spike.as_json() for spike in spikes]
