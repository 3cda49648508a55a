"""PostgreSQL declarative range partitioning by time, for the tables that grow without
end (raw reports by day, per-minute counts by month).

A partitioned table here is a parent `PARTITION BY RANGE (column)` with:

- one partition per day or per month, named `<table>_p20260305` / `<table>_p202603`,
  made ahead of time by a beat task (`ensure`);
- a DEFAULT partition, `<table>_default`, which takes any row whose partition does not
  exist yet (a backlog older than the oldest partition, a beat that stopped for a
  week): nothing is ever refused. `split_default` moves such rows out into their own
  partitions;
- retention by `drop_before`: whole partitions detached and dropped, no DELETE scan.

A query that names a time range reads only the partitions of that range (pruning);
spikes/tests/test_partitions.py shows it with EXPLAIN.

Only on PostgreSQL: on SQLite (the embedded default) every function here is a no-op
or answers "not partitioned", and the tables stay plain.

Django still sees each table's `id` as its primary key; in the database the primary
key is (id, column), as PostgreSQL requires the partition key in every unique
constraint. `id` comes from one identity sequence, so it stays unique on its own.

No app is imported here: the apps declare their tables (spikes/partitions.py) and
their migrations call `convert`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from django.db import connection, transaction

logger = logging.getLogger(__name__)

# DDL on a partitioned table waits for the locks of running queries; with a timeout
# it gives up instead of queueing every insert behind it, and the next run (hourly,
# days ahead of need) tries again.
LOCK_TIMEOUT = "5s"


@dataclass(frozen=True)
class RangePartitioned:
    """A table partitioned by day or month on a timestamptz column."""

    table: str
    column: str
    unit: Literal["day", "month"]
    # Partitions kept ready beyond the current one.
    ahead: int

    @property
    def default(self) -> str:
        return f"{self.table}_default"

    def start_of(self, at: datetime) -> datetime:
        at = at.astimezone(UTC)
        if self.unit == "day":
            return datetime(at.year, at.month, at.day, tzinfo=UTC)
        return datetime(at.year, at.month, 1, tzinfo=UTC)

    def next_start(self, start: datetime) -> datetime:
        if self.unit == "day":
            return start + timedelta(days=1)
        return datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)

    def name_for(self, start: datetime) -> str:
        return f"{self.table}_p{start:%Y%m%d}" if self.unit == "day" else f"{self.table}_p{start:%Y%m}"

    def starts(self, first: datetime, last: datetime) -> Iterator[datetime]:
        """The start of every partition from the one holding `first` to the one holding `last`."""
        start = self.start_of(first)
        while start <= last:
            yield start
            start = self.next_start(start)


@dataclass(frozen=True)
class Partition:
    name: str
    start: datetime
    end: datetime


def enabled() -> bool:
    return connection.vendor == "postgresql"


def is_partitioned(table: str) -> bool:
    if not enabled():
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table])
        row = cursor.fetchone()
    return bool(row) and row[0] == "p"


def partitions(spec: RangePartitioned) -> list[Partition]:
    """The table's range partitions (not the default), oldest first."""
    if not is_partitioned(spec.table):
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = to_regclass(%s) AND c.relname LIKE %s
            """,
            [spec.table, f"{spec.table}\\_p%"],
        )
        names = [row[0] for row in cursor.fetchall()]
    found = []
    for name in names:
        start = _start_from_name(spec, name)
        if start is not None:
            found.append(Partition(name, start, spec.next_start(start)))
    return sorted(found, key=lambda p: p.start)


def _start_from_name(spec: RangePartitioned, name: str) -> datetime | None:
    stamp = name.removeprefix(f"{spec.table}_p")
    try:
        if spec.unit == "day":
            return datetime.strptime(stamp, "%Y%m%d").replace(tzinfo=UTC)
        return datetime.strptime(stamp, "%Y%m").replace(tzinfo=UTC)
    except ValueError:
        return None


def _columns(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0 "
            "AND NOT attisdropped ORDER BY attnum",
            [table],
        )
        return ", ".join(connection.ops.quote_name(row[0]) for row in cursor.fetchall())


def _create(spec: RangePartitioned, start: datetime) -> int:
    """Make the partition starting at `start`; returns how many rows it took over
    from the default partition. Runs in the caller's transaction."""
    q = connection.ops.quote_name
    name, end = spec.name_for(start), spec.next_start(start)
    bounds = "FOR VALUES FROM (%s) TO (%s)"
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        # Made apart and then attached: ATTACH takes a lock that lets inserts and
        # reads go on, where CREATE ... PARTITION OF would block them.
        cursor.execute(
            f"CREATE TABLE {q(name)} (LIKE {q(spec.table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
        cursor.execute(f"LOCK TABLE {q(spec.default)} IN SHARE ROW EXCLUSIVE MODE")
        columns = _columns(spec.table)
        cursor.execute(
            f"WITH moved AS (DELETE FROM {q(spec.default)} WHERE {q(spec.column)} >= %s "
            f"AND {q(spec.column)} < %s RETURNING {columns}) INSERT INTO {q(name)} ({columns}) "
            "SELECT * FROM moved",
            [start, end],
        )
        moved = cursor.rowcount
        cursor.execute(f"ALTER TABLE {q(spec.table)} ATTACH PARTITION {q(name)} {bounds}", [start, end])
    if moved:
        logger.warning("moved %d rows of %s out of %s into %s", moved, spec.table, spec.default, name)
    return moved


def ensure(spec: RangePartitioned, first: datetime, last: datetime) -> list[str]:
    """Make every missing partition from the one holding `first` to the one holding
    `last`; returns the names made. Idempotent: safe to run twice or side by side
    (a second run waits for the first's lock, then finds the partitions made)."""
    if not is_partitioned(spec.table):
        return []
    made = []
    for start in spec.starts(first, last):
        with transaction.atomic():
            existing = {p.name for p in partitions(spec)}
            if spec.name_for(start) in existing:
                continue
            _create(spec, start)
            made.append(spec.name_for(start))
    return made


def ensure_ahead(spec: RangePartitioned, now: datetime) -> list[str]:
    """The current partition and `spec.ahead` more, so the intake never needs the default."""
    last = now
    for _ in range(spec.ahead):
        last = spec.next_start(spec.start_of(last))
    return ensure(spec, now, last)


def split_default(spec: RangePartitioned) -> list[str]:
    """Give the rows in the default partition partitions of their own."""
    if not is_partitioned(spec.table):
        return []
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        trunc = "day" if spec.unit == "day" else "month"
        cursor.execute(
            f"SELECT DISTINCT date_trunc('{trunc}', {q(spec.column)} AT TIME ZONE 'UTC') "
            f"FROM {q(spec.default)}"
        )
        starts = sorted(row[0].replace(tzinfo=UTC) for row in cursor.fetchall())
    made = []
    for start in starts:
        made += ensure(spec, start, start)
    return made


def count_rows(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
        return cursor.fetchone()[0]


def drop_before(spec: RangePartitioned, cutoff: datetime, progress=None) -> int:
    """Detach and drop every partition that ends at or before `cutoff`; returns how
    many rows went with them. `progress(rows)` is called after each partition."""
    q = connection.ops.quote_name
    dropped = 0
    for partition in partitions(spec):
        if partition.end > cutoff:
            break
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            rows = count_rows(partition.name)
            cursor.execute(f"ALTER TABLE {q(spec.table)} DETACH PARTITION {q(partition.name)}")
            cursor.execute(f"DROP TABLE {q(partition.name)}")
        logger.info("dropped %s (%d rows) of %s", partition.name, rows, spec.table)
        dropped += rows
        if progress is not None:
            progress(rows)
    return dropped


def rows_before(spec: RangePartitioned, cutoff: datetime) -> int:
    """How many rows `drop_before(spec, cutoff)` would drop."""
    return sum(count_rows(p.name) for p in partitions(spec) if p.end <= cutoff)


def rows_in_default_before(spec: RangePartitioned, cutoff: datetime) -> int:
    """Rows in the default partition whose whole partition-to-be ends by `cutoff`."""
    if not is_partitioned(spec.table):
        return 0
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {q(spec.default)} WHERE {q(spec.column)} < %s", [cutoff])
        return cursor.fetchone()[0]


# --- Migrations: turning a plain table into a partitioned one, and back ------------------


@dataclass(frozen=True)
class _Shape:
    """What a table's copy must get again by name: constraints (name, kind,
    definition, columns), the indexes no constraint makes, its identity sequence."""

    constraints: list[tuple[str, str, str, list[str]]]
    indexes: list[str]
    sequence: str | None


def _shape(table: str) -> _Shape:
    """Lock `table` and read its shape (for a partitioned table, the parent's own)."""
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {q(table)} IN ACCESS EXCLUSIVE MODE")
        cursor.execute(
            "SELECT conname, contype, pg_get_constraintdef(oid), "
            "ARRAY(SELECT attname FROM pg_attribute WHERE attrelid = conrelid AND attnum = ANY(conkey)) "
            "FROM pg_constraint WHERE conrelid = to_regclass(%s) AND contype IN ('p', 'u', 'f')",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = to_regclass(%s) "
            "AND indexrelid NOT IN (SELECT conindid FROM pg_constraint WHERE conrelid = to_regclass(%s))",
            [table, table],
        )
        # A partitioned table's index reads "ON ONLY t": the copy's is made whole.
        indexes = [row[0].replace(" ON ONLY ", " ON ", 1) for row in cursor.fetchall()]
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        sequence = cursor.fetchone()[0]
    return _Shape(constraints, indexes, sequence)


def _refill(table: str, old: str, shape: _Shape, primary_key: list[str]) -> None:
    """Copy `old`'s rows into `table` (made LIKE it), drop `old`, and give `table`
    the identity sequence, constraints and indexes `old` had, under their names."""
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        columns = _columns(table)
        cursor.execute(f"INSERT INTO {q(table)} ({columns}) SELECT {columns} FROM {q(old)}")
        cursor.execute(f"DROP TABLE {q(old)}")
        if shape.sequence:
            # The copy made a new identity sequence; it goes on where the old one was.
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            fresh = cursor.fetchone()[0]
            cursor.execute(
                f"SELECT setval(%s, COALESCE((SELECT max(id) FROM {q(table)}), 0) + 1, false)", [fresh]
            )
            # ... under the old one's name (schema-qualified as PostgreSQL gave it).
            cursor.execute(f"ALTER SEQUENCE {fresh} RENAME TO {shape.sequence.rsplit('.', 1)[-1]}")
        for name, kind, definition, _ in shape.constraints:
            if kind == "p":
                definition = f"PRIMARY KEY ({', '.join(q(c) for c in primary_key)})"
            cursor.execute(f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} {definition}")
        for definition in shape.indexes:
            cursor.execute(definition)
        cursor.execute(f"ANALYZE {q(table)}")


def _primary_key(shape: _Shape) -> list[str]:
    return next((columns for _, kind, _, columns in shape.constraints if kind == "p"), [])


def convert(spec: RangePartitioned, now: datetime | None = None) -> None:
    """Make `spec.table`, a plain table, partitioned, keeping its rows, columns,
    identity sequence, indexes and constraints (by name).

    The primary key becomes (pk, column); any other unique constraint must already
    include the partition column (PostgreSQL's rule): a migration before this one
    says so in the model. Runs in the migration's transaction; the table is locked
    while its rows are copied. Does nothing on SQLite or when already partitioned.
    """
    if not enabled() or is_partitioned(spec.table):
        return
    q = connection.ops.quote_name
    table, old = spec.table, f"{spec.table}_unpartitioned"
    shape = _shape(table)
    for name, kind, _, columns in shape.constraints:
        if kind == "u" and spec.column not in columns:
            raise ValueError(
                f"{table}: unique constraint {name} on {columns} lacks the partition column "
                f"{spec.column}; add it in an earlier migration."
            )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min({q(spec.column)}), max({q(spec.column)}) FROM {q(table)}")
        first, last = cursor.fetchone()
        cursor.execute(f"ALTER TABLE {q(table)} RENAME TO {q(old)}")
        cursor.execute(
            f"CREATE TABLE {q(table)} (LIKE {q(old)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
            f"INCLUDING IDENTITY) PARTITION BY RANGE ({q(spec.column)})"
        )
        cursor.execute(f"CREATE TABLE {q(spec.default)} PARTITION OF {q(table)} DEFAULT")
    now = now or datetime.now(UTC)
    ensure(spec, min(first or now, now), max(last or now, now))
    ensure_ahead(spec, now)
    _refill(table, old, shape, [*_primary_key(shape), spec.column])


def revert(spec: RangePartitioned) -> None:
    """The way back (a migration's reverse): `spec.table` a plain table again with its
    rows, identity sequence, indexes and constraints, the primary key without the
    partition column. Does nothing on SQLite or when the table is not partitioned."""
    if not is_partitioned(spec.table):
        return
    q = connection.ops.quote_name
    table, old = spec.table, f"{spec.table}_partitioned"
    shape = _shape(table)
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {q(table)} RENAME TO {q(old)}")
        cursor.execute(
            f"CREATE TABLE {q(table)} (LIKE {q(old)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
            "INCLUDING IDENTITY)"
        )
    _refill(table, old, shape, [c for c in _primary_key(shape) if c != spec.column])
