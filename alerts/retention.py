"""Keeping addresses only while they are subscribed, and messages only as long as
the caps and the admin need them."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet

from alerts.models import AlertEvent, ChannelDelivery, Notification, Subscriber

# Messages and events are kept this long: the caps read a day back, the admin a month.
KEEP_MESSAGES_DAYS = 30
BATCH = 5000


def _delete_in_batches(queryset: QuerySet) -> int:
    """Delete by primary key, a batch per statement, so no lock is held long."""
    total = 0
    while True:
        ids = list(queryset.values_list("pk", flat=True)[:BATCH])
        if not ids:
            return total
        queryset.model.objects.filter(pk__in=ids).delete()
        total += len(ids)


def purge(now: datetime) -> dict[str, int]:
    """Delete unsubscribed and refused addresses ALERTS_RETENTION_DAYS after they
    left (their follows and messages with them), then old messages and events."""
    old = now - timedelta(days=KEEP_MESSAGES_DAYS)
    return {
        "subscribers": _delete_in_batches(Subscriber.objects.expired(now, settings.ALERTS_RETENTION_DAYS)),
        "notifications": _delete_in_batches(Notification.objects.filter(created_at__lt=old)),
        "channel_deliveries": _delete_in_batches(ChannelDelivery.objects.filter(created_at__lt=old)),
        "events": _delete_in_batches(
            AlertEvent.objects.filter(created_at__lt=old, notifications__isnull=True)
        ),
    }
