"""Periodic upkeep of the intake. Tasks are thin: they call the domain code."""

from celery import shared_task
from django.utils import timezone

from reports import fingerprint


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def purge_fingerprint_keys() -> int:
    """Forget old fingerprint keys, so old reports can no longer be linked to anyone."""
    return fingerprint.purge_old_keys(today=timezone.now().date())
