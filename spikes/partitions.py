"""The tables that grow without end, partitioned by time on PostgreSQL
(outagewatch/partitioning.py says how; on SQLite all of this does nothing):

- raw reports by day: retention drops a whole day at a time, and counting, the
  repeat check and the mover read only the day or two they name;
- per-minute counts (MinuteCount, the SeriesMinute rollup the charts and the
  detector read, and SubdivisionMinute, where in a country the reports come from)
  by month: a chart, a baseline fit or a country's breakdown reads one or two months.

`maintain` (the beat task spikes.tasks.maintain_partitions, hourly) keeps the next
partitions ready and moves any rows that landed in a default partition into
partitions of their own.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from outagewatch import partitioning
from outagewatch.partitioning import RangePartitioned
from reports.models import Report
from spikes.models import MinuteCount, SeriesMinute, SubdivisionMinute

# A week of days ahead: a beat that stops for up to a week costs nothing, and even
# then a report lands in the default partition rather than being refused.
REPORTS = RangePartitioned(Report._meta.db_table, "created_at", "day", ahead=7)
MINUTE_COUNTS = RangePartitioned(MinuteCount._meta.db_table, "minute", "month", ahead=2)
SERIES_MINUTES = RangePartitioned(SeriesMinute._meta.db_table, "minute", "month", ahead=2)
SUBDIVISION_MINUTES = RangePartitioned(SubdivisionMinute._meta.db_table, "minute", "month", ahead=2)
COUNTS = (MINUTE_COUNTS, SERIES_MINUTES, SUBDIVISION_MINUTES)
ALL = (REPORTS, *COUNTS)


def maintain(now: datetime) -> dict[str, list[str]]:
    """Make the partitions due, split the default partitions, and drop the counts
    past COUNT_RETENTION_MONTHS (when set). Returns the partitions made, by table."""
    made = {}
    for spec in ALL:
        made[spec.table] = partitioning.split_default(spec) + partitioning.ensure_ahead(spec, now)
    if settings.COUNT_RETENTION_MONTHS:
        cutoff = count_cutoff(now, settings.COUNT_RETENTION_MONTHS)
        for spec in COUNTS:
            partitioning.drop_before(spec, cutoff)
    return made


def count_cutoff(now: datetime, months: int) -> datetime:
    """The start of the month `months` whole months before this one."""
    start = MINUTE_COUNTS.start_of(now)
    for _ in range(months):
        start = MINUTE_COUNTS.start_of(start - timedelta(days=1))
    return start


def reports_partitioned() -> bool:
    return partitioning.is_partitioned(REPORTS.table)
