"""Per-minute counts from raw reports: the only code that scans the reports table.

`count_range` (re)counts whole minutes and replaces whatever counts those minutes
had, so counting a range twice gives the same rows as counting it once. `catch_up`
moves the watermark forward, recounting a few trailing minutes each time for
reports committed just after their minute ended.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncMinute
from django.utils import timezone

from reports.models import Report
from spikes.db import insert_many
from spikes.models import (
    ALL_REGIONS,
    MinuteCount,
    PipelineState,
    Series,
    SeriesMinute,
    SubdivisionMinute,
)

MINUTE = timedelta(minutes=1)
# A report is stamped with the server clock when accepted but committed a moment
# later; recounting the last few minutes on every pass picks up such stragglers.
RECOUNT_MINUTES = 3
# Catching up after downtime goes in chunks, each its own transaction.
CHUNK = timedelta(hours=6)


def floor_minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def count_range(start: datetime, end: datetime) -> int:
    """Replace the counts of the minutes in [start, end) with fresh ones from the
    reports. Returns how many (service, region, problem, minute) rows were written."""
    start, end = floor_minute(start), floor_minute(end)
    grouped = (
        Report.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(at=TruncMinute("created_at"))
        .values_list("at", "service_id", "region_id", "problem_id", "subdivision")
        .annotate(n=Count("id"), distinct=Count("id", filter=Q(is_repeat=False)))
        .order_by()
    )
    # A reporter's repeats are is_repeat rows, so non-repeats add up to distinct
    # reporters across problems, subdivisions and regions as well.
    counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    subdivision_counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    series_totals: dict[tuple[int, str], dict[datetime, list[int]]] = defaultdict(dict)
    for at, service_id, region, problem, subdivision, n, distinct in grouped:
        keyed = [counts[(at, service_id, region, problem)]]
        if subdivision:
            keyed.append(subdivision_counts[(at, service_id, region, subdivision)])
        for key in ((service_id, region), (service_id, ALL_REGIONS)):
            keyed.append(series_totals[key].setdefault(at, [0, 0]))
        for total in keyed:
            total[0] += n
            total[1] += distinct
    rows = [(*key, n, d) for key, (n, d) in counts.items()]

    with transaction.atomic():
        # The progress row doubles as a lock: two counting tasks never interleave.
        PipelineState.objects.select_for_update().get_or_create(pk=1)
        series_ids = _series_ids(series_totals)
        MinuteCount.objects.filter(minute__gte=start, minute__lt=end).delete()
        SeriesMinute.objects.filter(minute__gte=start, minute__lt=end).delete()
        SubdivisionMinute.objects.filter(minute__gte=start, minute__lt=end).delete()
        insert_many(
            MinuteCount._meta.db_table,
            ["minute", "service_id", "region", "problem_id", "reports", "reporters"],
            rows,
        )
        insert_many(
            SeriesMinute._meta.db_table,
            ["series_id", "minute", "reports", "reporters"],
            (
                (series_ids[key], at, n, d)
                for key, minutes in series_totals.items()
                for at, (n, d) in minutes.items()
            ),
        )
        insert_many(
            SubdivisionMinute._meta.db_table,
            ["minute", "service_id", "region", "subdivision", "reports", "reporters"],
            ((*key, n, d) for key, (n, d) in subdivision_counts.items()),
        )
        _touch_last_report(series_ids, series_totals)
    return len(rows)


def _series_ids(keys) -> dict[tuple[int, str], int]:
    keys = set(keys)
    if not keys:
        return {}
    services = {service_id for service_id, _ in keys}
    known = {
        (s, r): pk
        for pk, s, r in Series.objects.filter(service_id__in=services).values_list(
            "pk", "service_id", "region"
        )
    }
    missing = keys - known.keys()
    if missing:
        Series.objects.bulk_create(
            [Series(service_id=s, region=r) for s, r in missing], ignore_conflicts=True
        )
        known = {
            (s, r): pk
            for pk, s, r in Series.objects.filter(service_id__in=services).values_list(
                "pk", "service_id", "region"
            )
        }
    return known


def _touch_last_report(series_ids, series_totals) -> None:
    """Move each series' last_report_at forward to its newest counted minute."""
    by_minute: dict[datetime, list[int]] = defaultdict(list)
    for key, minutes in series_totals.items():
        by_minute[max(minutes)].append(series_ids[key])
    for at, ids in by_minute.items():
        Series.objects.filter(pk__in=ids).filter(
            Q(last_report_at__lt=at) | Q(last_report_at__isnull=True)
        ).update(last_report_at=at)


def catch_up(now: datetime) -> tuple[datetime, datetime] | None:
    """Count every complete minute not yet counted (and the last few again).

    Returns the range counted, or None when there was nothing to count yet.
    """
    end = floor_minute(now)
    progress, _ = PipelineState.objects.get_or_create(pk=1)
    if progress.counted_until is None:
        first = Report.objects.order_by("created_at").values_list("created_at", flat=True).first()
        if first is None:
            return None
        start = floor_minute(first)
    else:
        start = min(progress.counted_until, end - RECOUNT_MINUTES * MINUTE)
    chunk_start = start
    while chunk_start < end:
        chunk_end = min(chunk_start + CHUNK, end)
        count_range(chunk_start, chunk_end)
        PipelineState.objects.filter(
            Q(counted_until__lt=chunk_end) | Q(counted_until__isnull=True), pk=1
        ).update(counted_until=chunk_end)
        chunk_start = chunk_end
    return start, end


def recount_from(oldest: datetime) -> None:
    """Make the next pass recount from `oldest`'s minute, if its usual recount of the
    last RECOUNT_MINUTES minutes would not reach that far: reports stored late (the
    mover after a backlog) are counted then."""
    minute = floor_minute(oldest)
    # The next pass ends at this minute or the next, and recounts RECOUNT_MINUTES
    # back from its end: a report this recent is counted without help (and the
    # pipeline's row, which counting holds locked a while, is left alone).
    if minute >= floor_minute(timezone.now()) - (RECOUNT_MINUTES - 1) * MINUTE:
        return
    PipelineState.objects.filter(pk=1, counted_until__gt=minute).update(counted_until=minute)


def on_reports_stored(sender, oldest: datetime, **kwargs) -> None:
    """Receiver of reports.signals.reports_stored (connected in SpikesConfig.ready)."""
    recount_from(oldest)
