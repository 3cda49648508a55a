"""The report mover: from the Redis stream to PostgreSQL, at least once, stored once.

Each mover is a consumer of the group `movers` on the stream (reports.stream). A
batch goes:

1. read: first the entries this consumer was given and has not acknowledged (a
   database error last time), then entries another consumer left unacknowledged
   for REPORT_STREAM_CLAIM_SECONDS (it died: XAUTOCLAIM), then new ones;
2. store them in one transaction: repeats marked as on the direct path, rows
   inserted with ON CONFLICT DO NOTHING on the intake id, so an entry delivered
   twice is stored once;
3. after the commit, XACK and XDEL them.

A crash between 2 and 3 redelivers the batch, which then inserts nothing new. A
database that is down leaves the batch pending; the next attempt stores it.

Batches are stored one at a time (a transaction-level advisory lock on
PostgreSQL; SQLite writes one transaction at a time anyway), so two movers never
judge the same reporter's reports side by side and both miss that one repeats the
other.

Counting (spikes.counting) recounts the last few minutes on every pass, which
covers a mover that keeps up. After a backlog (the database was down while the
stream kept accepting), stored reports are older than that: the mover sends
reports.signals.reports_stored with the oldest time it stored, and the pipeline
moves its counting watermark back to that minute, so the next pass recounts from
there.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
from collections.abc import Callable, Sequence

import redis
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from reports import stream
from reports.catalog import get_catalog, invalidate_catalog
from reports.models import Report
from reports.repeats import RepeatMarker, repeat_window
from reports.signals import reports_stored
from reports.stream import Entry

logger = logging.getLogger(__name__)

# Any constant the other users of advisory locks will not pick: "ow-mover" in hex.
ADVISORY_LOCK_KEY = 0x6F772D6D6F766572


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def _read(conn: redis.Redis, consumer: str, count: int, block_ms: int | None) -> list:
    """The next batch for this consumer: its own pending, then abandoned, then new."""
    stream.ensure_group(conn)
    mine = conn.xreadgroup(stream.GROUP, consumer, {stream.STREAM: "0"}, count=count)
    entries = mine[0][1] if mine else []
    if entries:
        return entries
    claimed = conn.xautoclaim(
        stream.STREAM,
        stream.GROUP,
        consumer,
        min_idle_time=settings.REPORT_STREAM_CLAIM_SECONDS * 1000,
        start_id="0-0",
        count=count,
    )
    if claimed[1]:
        logger.info("claimed %d reports left by a stopped mover", len(claimed[1]))
        return claimed[1]
    new = conn.xreadgroup(stream.GROUP, consumer, {stream.STREAM: ">"}, count=count, block=block_ms)
    return new[0][1] if new else []


def _mark_repeats(entries: list[Entry]) -> list[tuple[Entry, bool]]:
    """Each entry with whether it is a repeat (reports.repeats) of a report stored
    in the database or earlier in the batch."""
    window = repeat_window()
    entries = sorted(entries, key=lambda e: e.created_at)
    ids = {e.intake_id for e in entries}
    stored = Report.objects.filter(
        service_id__in={e.service_id for e in entries},
        fingerprint__in={e.fingerprint for e in entries},
        created_at__gt=entries[0].created_at - window,
        created_at__lte=entries[-1].created_at,
    ).values_list("service_id", "fingerprint", "created_at", "intake_id")
    # Stored reports and the batch in time order, the stored first at equal times.
    # A redelivered entry is not its own predecessor.
    timeline = [(at, 0, (s, fp), None) for s, fp, at, intake_id in stored if intake_id not in ids]
    timeline += [(e.created_at, 1, (e.service_id, e.fingerprint), e) for e in entries]
    marker = RepeatMarker(window)
    marked = []
    for at, _, key, entry in sorted(timeline, key=lambda row: row[:2]):
        repeat = marker.mark(key, at)
        if entry is not None:
            marked.append((entry, repeat))
    return marked


def _row(entry: Entry, is_repeat: bool) -> Report:
    return Report(
        intake_id=entry.intake_id,
        service_id=entry.service_id,
        problem_id=entry.problem_id,
        region_id=entry.region,
        subdivision=entry.subdivision,
        created_at=entry.created_at,
        comment=entry.comment,
        source=entry.source,
        fingerprint=entry.fingerprint,
        is_repeat=is_repeat,
    )


def _unstorable(entries: Sequence[Entry]) -> dict[object, str]:
    """Entries whose service or region no longer exists (deleted since they were
    accepted), by intake id, with why: they would fail the whole batch."""
    catalog = get_catalog()
    for attempt in range(2):
        service_ids = {s.id for s in catalog.services.values()}
        bad = {
            e.intake_id: f"unknown service id {e.service_id} or region {e.region!r}"
            for e in entries
            if e.service_id not in service_ids or e.region not in catalog.regions
        }
        if not bad or attempt:
            return bad
        invalidate_catalog()  # maybe only this process's copy is behind: read it again
        catalog = get_catalog()
    return bad


def store(entries: Sequence[Entry]) -> tuple[int, list[tuple[Entry, str]]]:
    """Insert the entries in one transaction; returns (rows inserted, entries that can
    never be stored, with why). Raises DatabaseError when the database is down."""
    if not entries:
        return 0, []
    bad = _unstorable(entries)
    rejected = [(e, bad[e.intake_id]) for e in entries if e.intake_id in bad]
    entries = [e for e in entries if e.intake_id not in bad]
    if not entries:
        return 0, rejected
    # The time range lets PostgreSQL read only the day partitions of the batch.
    these = Report.objects.filter(
        intake_id__in=[e.intake_id for e in entries],
        created_at__gte=min(e.created_at for e in entries),
        created_at__lte=max(e.created_at for e in entries),
    )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
        before = these.count()
        marked = _mark_repeats(entries)
        Report.objects.bulk_create([_row(e, r) for e, r in marked], ignore_conflicts=True)
        after = these.count()
        reports_stored.send(sender=Report, oldest=min(e.created_at for e in entries))
    return after - before, rejected


def move_batch(
    conn: redis.Redis | None = None,
    consumer: str | None = None,
    count: int | None = None,
    block_ms: int | None = None,
) -> int:
    """Move one batch from the stream to the database; returns how many entries
    were handled (0: nothing to do). Raises DatabaseError or RedisError."""
    conn = conn or stream.client()
    consumer = consumer or consumer_name()
    raw = _read(conn, consumer, count or settings.REPORT_STREAM_BATCH, block_ms)
    if not raw:
        return 0
    entries, dead = [], []
    for stream_id, fields in raw:
        if not fields:  # deleted after being delivered: nothing left to store
            continue
        try:
            entries.append((stream_id, Entry.from_fields(fields)))
        except (KeyError, ValueError, TypeError) as exc:
            dead.append((stream_id, fields, f"not a report: {exc}"))
    _, rejected = store([e for _, e in entries])
    rejected_ids = {e.intake_id: why for e, why in rejected}
    for stream_id, entry in entries:
        if entry.intake_id in rejected_ids:
            dead.append((stream_id, entry.to_fields(), rejected_ids[entry.intake_id]))
    ids = [stream_id for stream_id, _ in raw]
    with conn.pipeline(transaction=True) as pipe:
        for stream_id, fields, why in dead:
            logger.error("report %s cannot be stored (%s); kept in %s", stream_id, why, stream.DEAD_LETTERS)
            pipe.xadd(stream.DEAD_LETTERS, {**{_text(k): v for k, v in fields.items()}, "why": why})
        pipe.xack(stream.STREAM, stream.GROUP, *ids)
        pipe.xdel(stream.STREAM, *ids)
        pipe.execute()
    return len(raw)


def _text(key: bytes | str) -> str:
    return key.decode(errors="replace") if isinstance(key, bytes) else key


def drain(deadline: float | None = None, consumer: str | None = None) -> int:
    """Move batches until the stream is empty (or the monotonic `deadline` passes)."""
    moved = 0
    while deadline is None or time.monotonic() < deadline:
        n = move_batch(consumer=consumer)
        if n == 0:
            break
        moved += n
    return moved


def run_forever(should_stop: Callable[[], bool], consumer: str | None = None) -> None:
    """The loop of `manage.py move_reports`: block on the stream, move, and ride out
    database and Redis outages with a growing pause (at most 10 s).

    An idle read blocks for REPORT_STREAM_BLOCK_MS on a connection whose timeout is
    longer (stream.mover_client): idle is quiet, a new report wakes the read at once,
    and `should_stop` (SIGTERM) is looked at again within that time."""
    consumer = consumer or consumer_name()
    conn = stream.mover_client()
    pause = 0.5
    while not should_stop():
        try:
            moved = move_batch(conn, consumer=consumer, block_ms=settings.REPORT_STREAM_BLOCK_MS)
            pause = 0.5
            if 0 < moved < settings.REPORT_STREAM_BATCH and settings.REPORT_STREAM_LINGER:
                # Let the next batch gather (docs/intake-load.md: on 2 cores the
                # mover's small batches took CPU the intake needed).
                time.sleep(settings.REPORT_STREAM_LINGER)
        except (DatabaseError, redis.RedisError) as exc:
            logger.warning("report mover: %s; trying again in %.1f s", exc, pause)
            _close_database_connection()
            _sleep_unless_stopped(pause, should_stop)
            pause = min(pause * 2, 10.0)


def _sleep_unless_stopped(seconds: float, should_stop: Callable[[], bool]) -> None:
    """Pause during an outage, but answer SIGTERM within a tenth of a second."""
    deadline = time.monotonic() + seconds
    while not should_stop() and time.monotonic() < deadline:
        time.sleep(min(0.1, deadline - time.monotonic()))


def _close_database_connection() -> None:
    # A connection broken by a database restart is useless; the next query opens a new one.
    with contextlib.suppress(DatabaseError):
        connection.close()
