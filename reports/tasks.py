"""Periodic upkeep of the intake. Tasks are thin: they call the domain code."""

import time

import redis
from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from reports import fingerprint, mover, stream


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def purge_fingerprint_keys() -> int:
    """Forget old fingerprint keys, so old reports can no longer be linked to anyone."""
    return fingerprint.purge_old_keys(today=timezone.now().date())


@shared_task(
    acks_late=True,
    autoretry_for=(DatabaseError, redis.RedisError),
    retry_backoff=True,
    retry_backoff_max=30,
    max_retries=3,
    time_limit=60,
    soft_time_limit=50,
)
def move_reports() -> int:
    """Every 30 s: store what waits in the report stream, including what a stopped
    `move_reports` process left behind. Harmless beside it: entries are stored once."""
    if not stream.enabled():
        return 0
    return mover.drain(deadline=time.monotonic() + 20)
