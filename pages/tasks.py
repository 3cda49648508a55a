"""Celery tasks of the public site. Thin: they call pages.breakdowns."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from pages import breakdowns
from reports.models import Service

RETRY = {"autoretry_for": (DatabaseError,), "retry_backoff": True, "retry_backoff_max": 30, "max_retries": 3}


@shared_task(acks_late=True, time_limit=60, soft_time_limit=55, **RETRY)
def refresh_breakdown(kind: str, service_id: int) -> bool:
    """Recompute one service's breakdown ("problems" or "regions-<window>") into the
    cache the service page reads. Idempotent: it only ever writes the latest value.
    False if the service is gone."""
    service = Service.objects.filter(pk=service_id).first()
    if service is None:
        return False
    breakdowns.store_breakdown(kind, service, timezone.now())
    return True
