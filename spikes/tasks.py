"""Celery tasks of the detection pipeline. Thin: they parse, call and fan out.

Each takes ids and ISO times (JSON), is idempotent (see spikes.stepping), and
retries with backoff on database trouble.
"""

from __future__ import annotations

from datetime import datetime

from celery import group, shared_task
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from outagewatch.metrics import DETECT_CHUNK_SECONDS, DETECTION_PASS_SECONDS, REPORTS_PURGED
from spikes import partitions, pipeline, retention, stepping

RETRY = {"autoretry_for": (DatabaseError,), "retry_backoff": True, "retry_backoff_max": 30, "max_retries": 5}


def _chunks_to(task):
    def fan_out(chunks: list[list[int]], at: datetime) -> None:
        if chunks:
            group(task.s(chunk, at.isoformat()) for chunk in chunks).apply_async()

    return fan_out


@shared_task(acks_late=True, time_limit=55, soft_time_limit=50, **RETRY)
def detection_pass() -> dict:
    """Every minute: count new reports, then detect every active series."""
    with DETECTION_PASS_SECONDS.time():
        summary = pipeline.run_pass(timezone.now(), fan_out=_chunks_to(detect_chunk))
    return {"until": summary.until.isoformat(), "series": summary.series, "chunks": summary.chunks}


@shared_task(acks_late=True, time_limit=120, soft_time_limit=110, **RETRY)
def detect_chunk(series_ids: list[int], until: str) -> int:
    with DETECT_CHUNK_SECONDS.time():
        return len(stepping.detect(series_ids, datetime.fromisoformat(until)))


@shared_task(acks_late=True, time_limit=600, soft_time_limit=590, **RETRY)
def refresh_baselines() -> int:
    """Every 10 minutes: refit the baselines that are due (each every 6 hours, as
    the detection policy says: spikes.detection.policy)."""
    return pipeline.refresh_baselines(timezone.now(), fan_out=_chunks_to(refit_chunk))


@shared_task(acks_late=True, time_limit=600, soft_time_limit=590, **RETRY)
def refit_chunk(series_ids: list[int], now: str) -> None:
    pipeline.refit_baselines(series_ids, datetime.fromisoformat(now))


@shared_task(acks_late=True, time_limit=3600, soft_time_limit=3550, **RETRY)
def purge_old_reports() -> int:
    """Daily: delete raw reports older than REPORT_RETENTION_DAYS, in batches. A
    retry or a run cut short by the time limit resumes where the last one stopped."""
    cutoff = retention.cutoff_for(timezone.now(), settings.REPORT_RETENTION_DAYS)
    return retention.purge(cutoff, progress=REPORTS_PURGED.inc)


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1750, **RETRY)
def maintain_partitions() -> dict[str, list[str]]:
    """Hourly, on PostgreSQL: make the next partitions of reports and counts, move
    rows out of the default partitions, drop counts past COUNT_RETENTION_MONTHS."""
    return partitions.maintain(timezone.now())
