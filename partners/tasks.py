"""Celery tasks of the webhooks. Thin: partners.webhooks does the work.

Both are idempotent: the outbox creates each event and delivery once, and a
delivery that is no longer pending is not sent again.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from partners import webhooks
from partners.models import DeliveryStatus


@shared_task(
    acks_late=True,
    time_limit=55,
    soft_time_limit=50,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    retry_backoff_max=30,
    max_retries=3,
)
def emit_webhook_events() -> int:
    """Every minute (beat), or on demand: new spike changes and incidents become
    deliveries, each sent by its own task."""
    delivery_ids = webhooks.collect_events()
    for delivery_id in delivery_ids:
        deliver_webhook.delay(delivery_id)
    return len(delivery_ids)


@shared_task(bind=True, acks_late=True, time_limit=90, soft_time_limit=80, max_retries=None)
def deliver_webhook(self, delivery_id: int) -> str:
    """One attempt; while the delivery stays pending (a failure, attempts left),
    try again later with exponential backoff and jitter. webhooks.deliver counts
    the attempts against WEBHOOK_MAX_ATTEMPTS, so the retries end."""
    try:
        status = webhooks.deliver(delivery_id)
    except DatabaseError as trouble:
        raise self.retry(exc=trouble, countdown=webhooks.backoff_seconds(self.request.retries)) from None
    if status == DeliveryStatus.PENDING and self.request.retries < settings.WEBHOOK_MAX_ATTEMPTS:
        raise self.retry(countdown=webhooks.backoff_seconds(self.request.retries))
    return status
