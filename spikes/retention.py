"""Retention: raw reports (and their comments) are deleted once they are older than
REPORT_RETENTION_DAYS. What was learned from them stays: per-minute counts, series,
baselines, spikes and incidents have no link to a report row.

On PostgreSQL, where reports are partitioned by day (spikes/partitions.py), whole
days go: each partition that ends before the cutoff is detached and dropped, with
no DELETE scan and no dead rows left for VACUUM. The cutoff is then the start of a
UTC day, so up to a day more than REPORT_RETENTION_DAYS is kept.

On SQLite, deletes go in small batches, each its own short transaction, oldest first
along the created_at index.

Either way only counted reports go: nothing newer than the counting watermark (minus
a margin, since the last minutes are recounted from reports) is touched, whatever the
retention says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from outagewatch import partitioning
from reports.models import Report
from spikes import partitions
from spikes.models import PipelineState

BATCH_SIZE = 5000
# counting.catch_up recounts the last few minutes from raw reports; stay well clear.
COUNTED_MARGIN = timedelta(hours=1)


@dataclass
class PurgePlan:
    cutoff: datetime
    reports: int


def cutoff_for(now: datetime, days: int) -> datetime:
    """Reports created before this are purged: `days` ago, but never past what the
    counting has covered (a report not yet counted is kept)."""
    cutoff = now - timedelta(days=days)
    counted_until = PipelineState.objects.filter(pk=1).values_list("counted_until", flat=True).first()
    if counted_until is None:
        return datetime.min.replace(tzinfo=now.tzinfo)  # nothing counted yet: purge nothing
    cutoff = min(cutoff, counted_until - COUNTED_MARGIN)
    if partitions.reports_partitioned():
        return partitions.REPORTS.start_of(cutoff)  # whole days only
    return cutoff


def plan(now: datetime, days: int) -> PurgePlan:
    cutoff = cutoff_for(now, days)
    if partitions.reports_partitioned():
        # The whole days before the cutoff, and what waits in the default partition
        # to be given a day of its own (purge does that first).
        waiting = partitioning.rows_in_default_before(partitions.REPORTS, cutoff)
        return PurgePlan(cutoff, partitioning.rows_before(partitions.REPORTS, cutoff) + waiting)
    return PurgePlan(cutoff=cutoff, reports=Report.objects.filter(created_at__lt=cutoff).count())


def purge(
    cutoff: datetime, batch_size: int = BATCH_SIZE, progress: Callable[[int], None] | None = None
) -> int:
    """Delete the reports created before `cutoff`, a batch at a time. Returns how many.

    Idempotent and safe to interrupt: each batch (each partition) is committed by
    itself, and a second run finds only what the first did not reach.
    """
    if partitions.reports_partitioned():
        # Reports that landed in the default partition get a day of their own first.
        partitioning.split_default(partitions.REPORTS)
        return partitioning.drop_before(partitions.REPORTS, cutoff, progress)
    deleted = 0
    while True:
        ids = list(
            Report.objects.filter(created_at__lt=cutoff)
            .order_by("created_at")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return deleted
        # Nothing references a report and no signal listens, so Django deletes
        # the batch with one DELETE ... WHERE id IN (...), no per-row work.
        count, _ = Report.objects.filter(pk__in=ids).delete()
        deleted += count
        if progress is not None:
            progress(count)
