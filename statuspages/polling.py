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
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from statuspages import recording
from statuspages.fetching import Fetched, FetchFailed, Limits, fetch
from statuspages.formats import FormatError
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


def claim_seconds() -> float:
    # Longer than any fetch may take, plus the time to store a round's results.
    return settings.STATUSPAGE_TOTAL_TIMEOUT + 60


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
        ).update(claimed_until=now + timedelta(seconds=claim_seconds()))
    return ids


def claim(source_id: int, now: datetime) -> bool:
    """Claim one source whatever its schedule ("poll now"); False if a poll is in flight."""
    return bool(
        StatusSource.objects.filter(pk=source_id, is_active=True)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + timedelta(seconds=claim_seconds()))
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


def poll_claimed(ids: Iterable[int], now: datetime | None = None) -> RoundSummary:
    """Fetch and store the claimed sources `ids`, then release them."""
    sources = list(StatusSource.objects.filter(pk__in=list(ids)).select_related("service"))
    summary = RoundSummary()
    if not sources:
        return summary
    how = limits()
    workers = max(1, min(settings.STATUSPAGE_FETCH_THREADS, len(sources)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="statuspage") as pool:
        results = pool.map(lambda s: (s, _fetch(s, how)), sources)
        for source, result in results:
            summary.polled += 1
            try:
                store(source, result, now or timezone.now(), summary)
            except Exception:
                # One source's surprise must not stop the round or keep its claim.
                logger.exception("storing status source %s failed", source.pk)
                _failed(source, now or timezone.now(), SourceProblem.Kind.FORMAT, "could not be stored")
                summary.failed += 1
    return summary


def store(source: StatusSource, result: Fetched | FetchFailed, now: datetime, summary: RoundSummary) -> None:
    if isinstance(result, FetchFailed):
        _failed(source, now, result.kind, str(result))
        summary.failed += 1
        return
    if result.status == 304:
        _succeeded(source, now, [])
        summary.unchanged += 1
        return
    try:
        snapshot = recording.parse(source, result, now)
    except FormatError as bad:
        _failed(source, now, SourceProblem.Kind.FORMAT, f"Not readable as {source.get_kind_display()}: {bad}")
        summary.failed += 1
        return
    with transaction.atomic():
        changed = recording.record(source, snapshot, now, lambda url: _fetch_more(url))
        source.etag, source.last_modified = result.etag, result.last_modified
        _succeeded(source, now, snapshot.problems)
    summary.changed += 1
    summary.incidents.extend(changed)


def _fetch_more(url: str) -> bytes | None:
    """A second document of the same page (incidents.json), or None if it fails."""
    try:
        fetched = fetch(url, limits())
    except FetchFailed:
        return None
    return fetched.body if fetched.status == 200 else None


def _succeeded(source: StatusSource, now: datetime, problems: list[str]) -> None:
    for reason in problems:
        _problem(source, now, SourceProblem.Kind.ENTRY, reason)
    source.failures, source.failing_since, source.last_error = 0, None, ""
    source.last_polled_at = source.last_success_at = now
    source.next_poll_at = now + timedelta(seconds=source.interval_seconds)
    source.claimed_until = None
    source.save(
        update_fields=[
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
    )


def _failed(source: StatusSource, now: datetime, kind: str, reason: str) -> None:
    logger.info("status source %s (%s): %s", source.pk, source.url, reason)
    _problem(source, now, kind, reason)
    source.failures += 1
    source.failing_since = source.failing_since or now
    source.last_error = reason[:500]
    source.last_polled_at = now
    source.next_poll_at = now + timedelta(seconds=backoff_seconds(source.interval_seconds, source.failures))
    source.claimed_until = None
    source.save(
        update_fields=[
            "failures",
            "failing_since",
            "last_error",
            "last_polled_at",
            "next_poll_at",
            "claimed_until",
        ]
    )


def _problem(source: StatusSource, now: datetime, kind: str, reason: str) -> None:
    SourceProblem.objects.create(source=source, at=now, kind=kind, reason=reason[:500])
    stale = SourceProblem.objects.filter(source=source).order_by("-at", "-id")[
        SourceProblem.KEEP_PER_SOURCE :
    ]
    SourceProblem.objects.filter(pk__in=list(stale.values_list("pk", flat=True))).delete()


def poll_round(now: datetime | None = None, limit: int | None = None) -> RoundSummary:
    """One round: every due source (up to `limit`), claimed, fetched and stored."""
    now = now or timezone.now()
    ids = claim_due(now, limit or settings.STATUSPAGE_ROUND_LIMIT)
    return poll_claimed(ids, now)
