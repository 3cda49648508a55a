"""Celery tasks of the status sources. Thin: statuspages.polling, .matching and
.acknowledgements do the work.

Each is idempotent: a source is claimed before it is polled (a second worker
skips it), a match is stored once, an acknowledgement decided once.
"""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from statuspages import acknowledgements, matching, polling

RETRY = {"autoretry_for": (DatabaseError,), "retry_backoff": True, "retry_backoff_max": 30, "max_retries": 3}


def _match(incident_ids: list[int]) -> int:
    now = timezone.now()
    return sum(matching.match_incident(pk, now) for pk in dict.fromkeys(incident_ids))


@shared_task(
    acks_late=True,
    time_limit=polling.ROUND_TIME_LIMIT,
    soft_time_limit=polling.ROUND_TIME_LIMIT - 10,
    **RETRY,
)
def poll_due_sources() -> dict:
    """Every 30 seconds: poll the sources that are due (each every interval)."""
    summary = polling.poll_round()
    return summary.as_dict() | {"matched": _match(summary.incidents)}


@shared_task(acks_late=True, time_limit=120, soft_time_limit=110, **RETRY)
def poll_source(source_id: int) -> dict:
    """Poll one source now (the admin's "poll now"), unless a poll of it is in flight."""
    if not polling.claim(source_id, timezone.now()):
        return {"polled": 0}
    summary = polling.poll_claimed([source_id])
    return summary.as_dict() | {"matched": _match(summary.incidents)}


@shared_task(acks_late=True, time_limit=55, soft_time_limit=50, **RETRY)
def match_spikes() -> dict:
    """Every minute: match recent spikes to provider incidents, and decide the
    acknowledgements of outages over for long enough."""
    now = timezone.now()
    return {"matched": matching.match_recent(now), "decided": acknowledgements.decide(now)}
