"""Celery tasks of the alerts. Thin: alerts.outbox, alerts.delivery, alerts.channels
and alerts.retention do the work.

Every task is idempotent: events are unique per spike and phase, messages per
subscriber, topic and phase, and a sender only takes what it claimed from
"pending". Fan-out happens in pages (ALERTS_BATCH_SIZE followers each): each page
starts as many send batches as it made messages, so more workers send sooner.
"""

from __future__ import annotations

import logging
import smtplib
import time

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from alerts import channels, delivery, mail, outbox, retention
from alerts.links import FollowRequest
from alerts.models import AlertEvent, Medium, NotificationStatus, Subscriber, SubscriberStatus
from partners.webhooks import backoff_seconds

logger = logging.getLogger(__name__)

RETRY = {"autoretry_for": (DatabaseError,), "retry_backoff": True, "retry_backoff_max": 60, "max_retries": 5}
# A fan-out task hands the rest of a big audience to a new task after this long,
# well inside its time limit. Long on purpose: the new task queues behind the send
# batches the first one started. With 40 s, the fan-out of 100,000 followers on
# the busy 2-core machine waited over ten minutes for its continuation; in one
# task it took 148 to 236 s (docs/alerts.md).
FAN_OUT_BUDGET_SECONDS = 500


@shared_task(acks_late=True, time_limit=55, soft_time_limit=50, **RETRY)
def collect_alert_events() -> int:
    """Every 30 s (beat): new spike changes become alert events, each fanned out."""
    event_ids = outbox.collect()
    for event_id in event_ids:
        fan_out_event.delay(event_id)
    return len(event_ids)


@shared_task(acks_late=True, time_limit=600, soft_time_limit=590, **RETRY)
def fan_out_event(event_id: int) -> dict:
    """Make an event's messages page by page, starting a send batch per page."""
    event = AlertEvent.objects.select_related("spike__service").get(pk=event_id)
    for delivery_id in channels.fan_out(event):
        deliver_to_channel.delay(delivery_id)
    started = time.monotonic()
    made = 0
    while time.monotonic() - started < FAN_OUT_BUDGET_SECONDS:
        page = outbox.fan_out_page(event_id)
        for medium, count in page.made.items():
            made += count
            for _ in range(-(-count // settings.ALERTS_BATCH_SIZE)):
                send_batch.delay(medium)
        if page.done:
            return {"event": event_id, "messages": made, "done": True}
    fan_out_event.delay(event_id)
    return {"event": event_id, "messages": made, "done": False}


@shared_task(bind=True, acks_late=True, time_limit=240, soft_time_limit=230, max_retries=5)
def send_batch(self, medium: str) -> dict:
    """Claim and send one batch of pending messages of a medium. A lost SMTP
    connection (or database) hands the batch back to pending at once, and the
    task tries again later; after its retries the sweeper starts new ones."""
    if medium not in Medium.values:
        raise ValueError(f"unknown medium {medium!r}")
    try:
        return delivery.SENDERS[medium]().as_dict()
    except (OSError, DatabaseError) as trouble:
        # The exception is not chained: smtplib's words may quote an address.
        logger.warning("the %s batch stopped: %s", medium, type(trouble).__name__)
        raise self.retry(countdown=30 * 2**self.request.retries) from None


@shared_task(acks_late=True, time_limit=55, soft_time_limit=50, **RETRY)
def sweep_unsent() -> dict:
    """Every minute: hand back the claims of dead workers, start senders for
    messages left pending with no sender at work, and fan-outs cut short."""
    found = delivery.sweep(timezone.now())
    for event_id in found.events:
        fan_out_event.delay(event_id)
    for medium, batches in found.batches.items():
        for _ in range(batches):
            send_batch.delay(medium)
    return {"batches": found.batches, "events": found.events}


@shared_task(bind=True, acks_late=True, time_limit=60, soft_time_limit=50, max_retries=None)
def deliver_to_channel(self, delivery_id: int) -> str:
    """One attempt; while the delivery stays pending, again later with backoff and
    jitter (channels.deliver counts attempts against WEBHOOK_MAX_ATTEMPTS)."""
    try:
        status = channels.deliver(delivery_id)
    except DatabaseError as trouble:
        raise self.retry(exc=trouble, countdown=backoff_seconds(self.request.retries)) from None
    if status == NotificationStatus.PENDING and self.request.retries < settings.WEBHOOK_MAX_ATTEMPTS:
        raise self.retry(countdown=backoff_seconds(self.request.retries))
    return status


class MailLater(Exception):
    """The SMTP server asked us to try again; the message names no address."""


def _send_transactional(message, subscriber_id: int | None = None) -> None:
    """Send a confirmation or manage-link mail. Its exceptions are not logged as
    smtplib words them (they quote the address); a refused address is marked."""
    try:
        message.send()
    except smtplib.SMTPException as error:
        outcome, code = mail.outcome_of(error)
        if outcome is mail.Outcome.REFUSED:
            if subscriber_id is not None:
                Subscriber.objects.filter(pk=subscriber_id).update(
                    status=SubscriberStatus.BOUNCED, bounced_at=timezone.now(), bounce_code=code
                )
            logger.info("a transactional mail was refused by the SMTP server (%s)", code)
            return
        raise MailLater(f"SMTP {code or 'connection lost'}: will try again") from None


TRANSACTIONAL = {
    "acks_late": True,
    "time_limit": 60,
    "soft_time_limit": 50,
    "autoretry_for": (MailLater, OSError),
    "retry_backoff": True,
    "max_retries": 5,
}


@shared_task(**TRANSACTIONAL)
def send_confirmation(request: dict, what: str) -> None:
    """The confirmation mail of a follow request (its address is in no log)."""
    _send_transactional(mail.confirmation_message(FollowRequest(**request), what))


@shared_task(**TRANSACTIONAL)
def send_manage_link(subscriber_id: int) -> None:
    subscriber = Subscriber.objects.active().filter(pk=subscriber_id, medium=Medium.EMAIL).first()
    if subscriber is not None:
        _send_transactional(mail.manage_link_message(subscriber), subscriber.pk)


@shared_task(acks_late=True, time_limit=3600, soft_time_limit=3550, **RETRY)
def purge_alert_data() -> dict:
    """Daily: delete addresses unsubscribed for ALERTS_RETENTION_DAYS, and old messages."""
    return retention.purge(timezone.now())
