"""A poll round: claim the sources that are due, fetch them side by side, store
what they say, and schedule each one's next poll.

- At most one poll of a source is in flight: a source is claimed with a
  conditional UPDATE (`claimed_until` empty or past), released when stored. A
  worker killed mid-round leaves claims that lapse after CLAIM_SECONDS.
- Fetches run in a thread pool (they wait on the network, not on Python);
  everything that touches the database runs in the caller's thread.
- A success polls again after the source's interval; a failure after an
  exponential backoff with jitter, capped at MAX_BACKOFF_SECONDS.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from spikes.db import update_many
from statuspages import recording
from statuspages.fetching import Fetched, FetchFailed, Limits, fetch
from statuspages.formats import FormatError, Snapshot
from statuspages.models import SourceProblem, StatusSource

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 3600


def limits() -> Limits:
    return Limits(
        connect_timeout=settings.STATUSPAGE_CONNECT_TIMEOUT,
        read_timeout=settings.STATUSPAGE_READ_TIMEOUT,
        total_timeout=settings.STATUSPAGE_TOTAL_TIMEOUT,
        max_body_bytes=settings.STATUSPAGE_MAX_BYTES,
        allowed_networks=tuple(settings.STATUSPAGE_ALLOWED_NETWORKS),
    )


# A round ends within this (the poll task's hard time limit), and so do its claims:
# a source is never polled by two rounds at once, and a killed worker's claims
# lapse after it.
ROUND_TIME_LIMIT = 240


CLAIM_SECONDS = ROUND_TIME_LIMIT + 10


def backoff_seconds(interval: int, failures: int, rng: random.Random | None = None) -> float:
    """After `failures` failed polls in a row: uniform between half and all of
    interval * 2^failures, capped at an hour, and never sooner than the interval.
    The jitter keeps the sources of one provider that failed together apart."""
    if failures <= 0:
        return float(interval)
    ceiling = min(MAX_BACKOFF_SECONDS, interval * 2**failures)
    return max(float(interval), (rng or random).uniform(ceiling / 2, ceiling))


def claim_due(now: datetime, limit: int) -> list[int]:
    """Claim up to `limit` due sources, oldest due first; returns their ids."""
    with transaction.atomic():
        ids = list(
            StatusSource.objects.due(now)
            .select_for_update(skip_locked=True)
            .order_by("next_poll_at")
            .values_list("pk", flat=True)[:limit]
        )
        # The same condition again: on SQLite select_for_update locks nothing, and
        # a claim must hold whatever the database.
        StatusSource.objects.filter(pk__in=ids).filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
        ).update(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
    return ids


def claim(source_id: int, now: datetime) -> bool:
    """Claim one source whatever its schedule ("poll now"); False if a poll is in flight."""
    return bool(
        StatusSource.objects.filter(pk=source_id, is_active=True)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
    )


@dataclass
class RoundSummary:
    polled: int = 0
    changed: int = 0
    unchanged: int = 0
    failed: int = 0
    incidents: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k != "incidents"} | {"incidents": len(self.incidents)}


def _fetch(source: StatusSource, how: Limits) -> Fetched | FetchFailed:
    try:
        return fetch(source.url, how, etag=source.etag, last_modified=source.last_modified)
    except FetchFailed as failed:
        return failed


STATE_FIELDS = [
    "failures",
    "failing_since",
    "last_error",
    "last_polled_at",
    "last_success_at",
    "next_poll_at",
    "claimed_until",
    "etag",
    "last_modified",
    "indicator",
    "description",
    "affected_components",
]
# Results stored per transaction: each source's state, its problems and its
# incidents are written in a few bulk statements per batch, not per source.
STORE_BATCH = 100


class _Batch:
    def __init__(self, now: datetime, summary: RoundSummary) -> None:
        self.now, self.summary = now, summary
        self.sources: list[StatusSource] = []
        self.readable: list[tuple[StatusSource, Snapshot]] = []
        self.problems: list[SourceProblem] = []

    def add(self, source: StatusSource, result: Fetched | FetchFailed) -> None:
        self.sources.append(source)
        self.summary.polled += 1
        if isinstance(result, FetchFailed):
            self.failed(source, result.kind, str(result))
        elif result.status == 304:
            self.succeeded(source)
            self.summary.unchanged += 1
        else:
            try:
                snapshot = recording.parse(source, result, self.now)
            except FormatError as bad:
                self.failed(
                    source, SourceProblem.Kind.FORMAT, f"Not readable as {source.get_kind_display()}: {bad}"
                )
                return
            source.etag, source.last_modified = result.etag, result.last_modified
            self.readable.append((source, snapshot))

    def problem(self, source: StatusSource, kind: str, reason: str) -> None:
        self.problems.append(SourceProblem(source=source, at=self.now, kind=kind, reason=reason[:500]))

    def succeeded(self, source: StatusSource, problems: list[str] = ()) -> None:
        for reason in problems:
            self.problem(source, SourceProblem.Kind.ENTRY, reason)
        source.failures, source.failing_since, source.last_error = 0, None, ""
        source.last_polled_at = source.last_success_at = self.now
        source.next_poll_at = self.now + timedelta(seconds=source.interval_seconds)
        source.claimed_until = None

    def failed(self, source: StatusSource, kind: str, reason: str) -> None:
        logger.info("status source %s (%s): %s", source.pk, source.url, reason)
        self.problem(source, kind, reason)
        self.summary.failed += 1
        source.failures += 1
        source.failing_since = source.failing_since or self.now
        source.last_error = reason[:500]
        source.last_polled_at = self.now
        source.next_poll_at = self.now + timedelta(
            seconds=backoff_seconds(source.interval_seconds, source.failures)
        )
        source.claimed_until = None

    def flush(self) -> None:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # A poll lost in a crash is read again at the next one: no need to
                # wait for this commit to reach the disk.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            self._record()
            update_many(
                StatusSource,
                STATE_FIELDS,
                [[s.pk, *(getattr(s, f) for f in STATE_FIELDS)] for s in self.sources],
            )
            SourceProblem.objects.bulk_create(self.problems)
            _prune({p.source_id for p in self.problems})
        self.sources, self.readable, self.problems = [], [], []

    def _record(self) -> None:
        try:
            with transaction.atomic():
                changed = recording.record(self.readable, self.now, _fetch_more)
        except Exception:
            # One source's surprise must not cost the others theirs: again one by one.
            logger.exception(
                "storing a batch of %s status sources failed; storing them one by one", len(self.readable)
            )
            changed = []
            for source, snapshot in self.readable:
                try:
                    with transaction.atomic():
                        changed += recording.record([(source, snapshot)], self.now, _fetch_more)
                except Exception:
                    logger.exception("storing status source %s failed", source.pk)
                    self.failed(source, SourceProblem.Kind.FORMAT, "What it said could not be stored.")
                    self.readable = [r for r in self.readable if r[0] is not source]
        for source, snapshot in self.readable:
            self.succeeded(source, snapshot.problems)
        self.summary.changed += len(self.readable)
        self.summary.incidents.extend(changed)


def _prune(source_ids: set[int]) -> None:
    """Keep the last KEEP_PER_SOURCE problems of each source."""
    if not source_ids:
        return
    ranked = SourceProblem.objects.filter(source_id__in=source_ids).annotate(
        rank=Window(RowNumber(), partition_by=F("source_id"), order_by=[F("at").desc(), F("id").desc()])
    )
    old = [pk for pk, rank in ranked.values_list("pk", "rank") if rank > SourceProblem.KEEP_PER_SOURCE]
    if old:
        SourceProblem.objects.filter(pk__in=old).delete()


def poll_claimed(ids: Iterable[int], now: datetime | None = None) -> RoundSummary:
    """Fetch and store the claimed sources `ids`, then release them."""
    now = now or timezone.now()
    sources = list(StatusSource.objects.filter(pk__in=list(ids)))
    summary = RoundSummary()
    if not sources:
        return summary
    how = limits()
    workers = max(1, min(settings.STATUSPAGE_FETCH_THREADS, len(sources)))
    batch = _Batch(now, summary)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="statuspage") as pool:
        for source, result in pool.map(lambda s: (s, _fetch(s, how)), sources):
            batch.add(source, result)
            if len(batch.sources) >= STORE_BATCH:
                batch.flush()
        batch.flush()
    return summary


def _fetch_more(url: str) -> bytes | None:
    """A second document of the same page (incidents.json), or None if it fails."""
    try:
        fetched = fetch(url, limits())
    except FetchFailed:
        return None
    return fetched.body if fetched.status == 200 else None


def poll_round(now: datetime | None = None, limit: int | None = None) -> RoundSummary:
    """One round: every due source (up to `limit`), claimed, fetched and stored."""
    now = now or timezone.now()
    ids = claim_due(now, limit or settings.STATUSPAGE_ROUND_LIMIT)
    return poll_claimed(ids, now)
