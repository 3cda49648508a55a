"""The intake's fast path: a durable Redis stream between the request and PostgreSQL.

With REPORT_STREAM on (and REDIS_URL set), a valid report is not inserted on the
request path: it is appended (XADD) to the stream `reports:intake` in Redis, which
runs with its append-only file, and the answer is 201. The report mover
(`reports.mover`, run by `manage.py move_reports` and, as a safety net, by a Celery
beat task) reads the stream through a consumer group, inserts reports into
PostgreSQL in batches and acknowledges them only after the commit.

Why: an INSERT per request keeps a quarter of what Django alone can serve on the
same cores, an XADD about half (docs/intake-load.md). Every report carries an
intake id (a UUID made here) with a unique constraint in the database, so a report
that reaches the database twice (a mover that dies between commit and XACK, or an
XADD that timed out after Redis had applied it and was then committed directly) is
stored once.

When Redis cannot take the report, the intake commits it directly instead, and
stops trying Redis for REPORT_STREAM_RETRY_SECONDS so that a dead Redis costs one
failed attempt per process, not one per request.

With REPORT_STREAM_MIN_REPLICAS set, the append also waits (Redis WAIT, in the same
round trip) until that many Redis replicas have the report: a failover to a replica
then loses no report that got a 201. A replica that does not confirm within
REPORT_STREAM_REPLICA_WAIT_MS counts as Redis failing: the report is committed
directly (the mover later finds the stream's copy already stored: same intake id).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

STREAM = "reports:intake"
GROUP = "movers"
# Entries that can never be stored (their service was deleted since) go here, with
# the reason, instead of blocking the stream forever.
DEAD_LETTERS = "reports:intake:dead"


class StreamUnavailable(Exception):
    """Redis did not take the entry: the caller stores the report another way."""


class NotReplicated(redis.RedisError):
    """Fewer Redis replicas than REPORT_STREAM_MIN_REPLICAS confirmed the entry in time."""


@dataclass(frozen=True)
class Entry:
    """One accepted report as it travels through the stream (strings only)."""

    intake_id: uuid.UUID
    service_id: int
    problem_id: int
    region: str
    comment: str
    source: str
    fingerprint: str
    created_at: datetime
    subdivision: str = ""

    def to_fields(self) -> dict[str, str]:
        # One field holding a JSON array: fewer arguments to pack on the hot path.
        return {
            "v": json.dumps(
                [
                    self.intake_id.hex,
                    self.service_id,
                    self.problem_id,
                    self.region,
                    self.comment,
                    self.source,
                    self.fingerprint,
                    # Microseconds since the epoch: exact, and cheaper than ISO text.
                    int(self.created_at.timestamp() * 1_000_000),
                    self.subdivision,
                ],
                separators=(",", ":"),
            )
        }

    @classmethod
    def from_fields(cls, fields: dict[bytes, bytes]) -> Entry:
        """Raises KeyError, ValueError or TypeError on an entry that is not a report."""
        # Entries appended before reports had a subdivision have eight items.
        key, service_id, problem_id, region, comment, source, reporter, micros, *rest = json.loads(
            fields[b"v"]
        )
        if len(rest) > 1:
            raise ValueError(f"a report entry has 8 or 9 items, not {8 + len(rest)}")
        return cls(
            intake_id=uuid.UUID(hex=key),
            service_id=int(service_id),
            problem_id=int(problem_id),
            region=str(region),
            comment=str(comment),
            source=str(source),
            fingerprint=str(reporter),
            created_at=datetime.fromtimestamp(micros // 1_000_000, tz=UTC).replace(
                microsecond=micros % 1_000_000
            ),
            subdivision=str(rest[0]) if rest else "",
        )


_lock = threading.Lock()
_idle: dict[str, list[redis.Connection]] = {}  # the hot path's free connections, by URL
_client: redis.Redis | None = None
_client_url = ""
_down_until = 0.0


def enabled() -> bool:
    return bool(settings.REPORT_STREAM and settings.REDIS_URL)


def client() -> redis.Redis:
    """This process's connection pool to the stream's Redis (made on first use)."""
    global _client, _client_url
    url = settings.REDIS_URL
    if _client is None or _client_url != url:
        with _lock:
            _client = redis.Redis.from_url(
                url,
                # A request must not hang on a Redis that went away: fail fast and
                # commit directly instead.
                socket_connect_timeout=settings.REPORT_STREAM_TIMEOUT,
                socket_timeout=settings.REPORT_STREAM_TIMEOUT,
                health_check_interval=30,
            )
            _client_url = url
    return _client


def mover_client() -> redis.Redis:
    """A connection pool for a mover, whose reads block for REPORT_STREAM_BLOCK_MS:
    its socket timeout must be longer than that, or every idle read fails with
    "Timeout reading from socket" (the request path's 500 ms would not do)."""
    block = settings.REPORT_STREAM_BLOCK_MS / 1000
    return redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=max(settings.REPORT_STREAM_TIMEOUT, 1.0),
        # The block, and time for Redis to answer after it; a Redis that hangs
        # longer than that is an outage, which the mover rides out.
        socket_timeout=block + 5.0,
        health_check_interval=30,
    )


def reset() -> None:
    """Forget the connections and any "Redis is down" verdict (tests, after a fork)."""
    global _client, _down_until
    _client, _down_until = None, 0.0
    for connections in _idle.values():
        for connection in connections:
            connection.disconnect()
    _idle.clear()


# Rate limit and append in one round trip: the report is appended only if this
# client's count for the window stays within the limit. KEYS: rate key, stream;
# ARGV: limit, key time-to-live, then the entry's field/value pairs.
_LIMITED_XADD = b"""
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if n <= tonumber(ARGV[1]) then redis.call('XADD', KEYS[2], '*', unpack(ARGV, 3)) end
return n
"""
_LIMITED_XADD_SHA = hashlib.sha1(_LIMITED_XADD).hexdigest().encode()


def _hot_connection() -> redis.Connection:
    """An idle connection for the hot path, configured like the pool's.

    The request path sends one pre-packed command on it and reads one reply: the
    pool's checkout (a poll() per use), retry wrappers and argument packing cost
    more CPU than the round trip itself (docs/intake-load.md). Connections are
    kept in a free list, not per thread: threaded servers start a thread per
    request.
    """
    url = settings.REDIS_URL
    idle = _idle.setdefault(url, [])
    try:
        return idle.pop()
    except IndexError:
        pool = client().connection_pool
        return pool.connection_class(**pool.connection_kwargs)


def _resp(*args: bytes) -> bytes:
    """A command in the Redis protocol (RESP)."""
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def _wait_command() -> list[bytes]:
    """WAIT for REPORT_STREAM_MIN_REPLICAS replicas, or nothing when none are required."""
    replicas = settings.REPORT_STREAM_MIN_REPLICAS
    if not replicas:
        return []
    return [_resp(b"WAIT", b"%d" % replicas, b"%d" % settings.REPORT_STREAM_REPLICA_WAIT_MS)]


def _confirmed(replicas: int) -> None:
    if replicas < settings.REPORT_STREAM_MIN_REPLICAS:
        raise NotReplicated(
            f"{replicas} of {settings.REPORT_STREAM_MIN_REPLICAS} Redis replicas confirmed the report "
            f"within {settings.REPORT_STREAM_REPLICA_WAIT_MS} ms"
        )


def _script_and_wait(connection: redis.Connection, script: bytes, limit: int) -> int:
    """Send the script (and WAIT) in one round trip; the script's count."""
    wait = _wait_command()
    connection.send_packed_command([script, *wait], check_health=False)
    try:
        count = int(connection.read_response())
    except redis.exceptions.NoScriptError:
        if wait:
            connection.read_response()  # WAIT's answer is on its way all the same
        raise
    if wait:
        replicas = int(connection.read_response())
        if count <= limit:  # appended: it must be on the replicas
            _confirmed(replicas)
    return count


def _limited_xadd(args: list[bytes]) -> int:
    connection = _hot_connection()
    limit = int(args[2])
    try:
        try:
            return _script_and_wait(connection, _resp(b"EVALSHA", _LIMITED_XADD_SHA, b"2", *args), limit)
        except redis.exceptions.NoScriptError:  # a restarted Redis forgot the script: EVAL loads it
            return _script_and_wait(connection, _resp(b"EVAL", _LIMITED_XADD, b"2", *args), limit)
    finally:
        # A connection that failed is closed by redis-py and reconnects on next use.
        _idle.setdefault(settings.REDIS_URL, []).append(connection)


def append(entry: Entry, rate: tuple[str, int, int] | None = None) -> int | None:
    """XADD the entry. With `rate` = (full cache key, limit, ttl), count the hit
    and append only within the limit, atomically: returns the count (over the
    limit: nothing was appended). Raises StreamUnavailable."""
    global _down_until
    if time.monotonic() < _down_until:
        raise StreamUnavailable("Redis was unreachable moments ago")
    try:
        if rate is None:
            if not settings.REPORT_STREAM_MIN_REPLICAS:
                client().xadd(STREAM, entry.to_fields())
                return None
            pipe = client().pipeline(transaction=False)
            pipe.xadd(STREAM, entry.to_fields())
            pipe.execute_command(
                "WAIT", settings.REPORT_STREAM_MIN_REPLICAS, settings.REPORT_STREAM_REPLICA_WAIT_MS
            )
            _confirmed(int(pipe.execute()[1]))
            return None
        key, limit, ttl = rate
        fields = [item.encode() for pair in entry.to_fields().items() for item in pair]
        return _limited_xadd([key.encode(), STREAM.encode(), b"%d" % limit, b"%d" % ttl, *fields])
    except redis.RedisError as exc:
        _down_until = time.monotonic() + settings.REPORT_STREAM_RETRY_SECONDS
        logger.warning("report stream unavailable (%s); committing reports directly", exc)
        raise StreamUnavailable(str(exc)) from exc


def shares_redis_with_cache() -> bool:
    """Whether the rate-limit counters live in the stream's Redis (then one script
    does both)."""
    cache = settings.CACHES.get("default", {})
    return cache.get("BACKEND", "").endswith("RedisCache") and cache.get("LOCATION") == settings.REDIS_URL


def ensure_group(conn: redis.Redis) -> None:
    try:
        # id 0: a group made after reports were already appended still reads them.
        conn.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def backlog(conn: redis.Redis) -> tuple[int, int]:
    """(entries never delivered to a mover, entries delivered but not acknowledged)."""
    if not conn.exists(STREAM):
        return 0, 0
    groups = {g["name"].decode(): g for g in conn.xinfo_groups(STREAM)}
    pending = groups[GROUP]["pending"] if GROUP in groups else 0
    # The mover deletes what it acknowledges, so the stream holds only the rest.
    return conn.xlen(STREAM) - pending, pending
