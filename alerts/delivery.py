"""Sending the pending messages, at most once each while workers live, and never
lost when one dies.

A sender claims the oldest pending messages of its medium with a conditional
UPDATE under SKIP LOCKED (pending -> sending, with the claim's time), sends them
one by one over one SMTP connection (or to the push services), and marks each
as sent, failed or pending again the moment its answer is known. A worker
killed mid-batch leaves its unsent claims in "sending"; `sweep` hands them back
after ALERTS_CLAIM_LEASE_SECONDS, longer than a send task may live. Only the one
message whose answer was on the wire when the worker died can go out twice, and
it carries the same Message-ID (mail) or Topic (push), which lets the receiving
side fold the two into one.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core import mail as django_mail
from django.core.cache import cache
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from alerts import content, mail, outbound, push
from alerts.models import (
    OPENINGS,
    AlertEvent,
    Medium,
    Notification,
    NotificationStatus,
    Subscriber,
    SubscriberStatus,
)
from alerts.outbox import group_episode
from spikes.models import Verdict

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# A message the server asked us to send later waits this long per attempt made.
RETRY_SECONDS = 60
HEARTBEAT_KEY = "alerts:sender-alive:{}"


@dataclass
class Tally:
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    later: int = 0
    gone: list[int] = field(default_factory=list)  # subscribers removed (push 404/410)

    def as_dict(self) -> dict:
        return {"sent": self.sent, "skipped": self.skipped, "failed": self.failed, "later": self.later}


def claim(medium: str, size: int, now: datetime | None = None) -> list[Notification]:
    """Take the oldest pending messages of a medium that are due; nobody else can."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(medium=medium, status=NotificationStatus.PENDING)
            .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - timedelta(seconds=RETRY_SECONDS)))
            .order_by("pk")
            .values_list("pk", flat=True)[:size]
        )
        Notification.objects.filter(pk__in=ids).update(
            status=NotificationStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    if ids:
        cache.set(HEARTBEAT_KEY.format(medium), now.timestamp(), timeout=3600)
    return list(
        Notification.objects.filter(pk__in=ids)
        .select_related("subscriber", "event__spike__service__group", "event__spike__related_to__service")
        .order_by("pk")
    )


@contextmanager
def fast_commits() -> Iterator[None]:
    """Each message's outcome is committed on its own, the moment it is known, so
    that a worker dying mid-batch loses none. Without waiting for the disk flush
    (synchronous_commit off): a dead worker loses nothing that way, and only a
    crash of PostgreSQL itself could lose the last few outcomes (messages then
    sent again). Measured with 1,500 single-row UPDATEs against PostgreSQL with
    fsync on, on the busy 2-core machine: 59-76 commits/s waiting for the flush,
    124-134 without; at that pace the commit per message bounded the batch."""
    if db_connection.vendor != "postgresql":
        yield
        return
    with db_connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        with db_connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _finish(notification: Notification, status: str, error: str = "", now: datetime | None = None) -> None:
    """Record one message's outcome at once: what is marked sent is never sent again."""
    now = now or timezone.now()
    fields = {"status": status, "error": error[:200]}
    if status == NotificationStatus.SENT:
        fields["sent_at"] = now
    if status == NotificationStatus.PENDING and notification.attempts >= MAX_ATTEMPTS:
        fields["status"] = NotificationStatus.FAILED
    Notification.objects.filter(pk=notification.pk, status=NotificationStatus.SENDING).update(**fields)


def _is_stale(notification: Notification) -> str:
    """Why a claimed message should not go out after all, or ""."""
    if notification.subscriber.status != SubscriberStatus.ACTIVE:
        return "the subscriber is no longer subscribed"
    spike = notification.event.spike
    if notification.phase in OPENINGS and (spike.ended_at is not None or spike.verdict == Verdict.DISMISSED):
        return "the outage was over or dismissed before it could be told"
    return ""


class Alerts:
    """The alert of each (event, topic) in a batch, built once."""

    def __init__(self) -> None:
        self._built: dict[tuple[int, str], content.Alert] = {}

    def of(self, notification: Notification) -> content.Alert:
        key = (notification.event_id, notification.topic)
        if key not in self._built:
            event: AlertEvent = notification.event
            if notification.topic.startswith("group:"):
                spike = event.spike
                self._built[key] = content.build(event, spike.service.group, group_episode(spike))
            else:
                self._built[key] = content.build(event)
        return self._built[key]


def _send_each(
    batch: Iterable[Notification], tally: Tally, send_one: Callable[[Notification, content.Alert], str | None]
) -> None:
    alerts = Alerts()
    for notification in batch:
        why = _is_stale(notification)
        if why:
            _finish(notification, NotificationStatus.SKIPPED, why)
            tally.skipped += 1
            continue
        status = send_one(notification, alerts.of(notification))
        if status == NotificationStatus.SENT:
            tally.sent += 1
        elif status == NotificationStatus.PENDING:
            tally.later += 1
        elif status is not None:
            tally.failed += 1


# --- mail ---------------------------------------------------------------------------


def send_emails(size: int | None = None) -> Tally:
    """Claim and send one batch of alert mails over one SMTP connection."""
    batch = claim(Medium.EMAIL, size or settings.ALERTS_BATCH_SIZE)
    tally = Tally()
    if not batch:
        return tally
    connection = django_mail.get_connection()
    pacer = mail.Pacer()
    try:
        connection.open()
        with fast_commits():
            _send_each(batch, tally, lambda n, alert: _send_email(connection, pacer, n, alert))
    except (OSError, smtplib.SMTPException) as trouble:
        # The server went away: what is still claimed goes back to pending at once.
        logger.warning("SMTP connection lost after %s mails: %s", tally.sent, type(trouble).__name__)
        Notification.objects.filter(pk__in=[n.pk for n in batch], status=NotificationStatus.SENDING).update(
            status=NotificationStatus.PENDING
        )
        raise
    finally:
        connection.close()
    return tally


def _send_email(connection, pacer: mail.Pacer, notification: Notification, alert: content.Alert) -> str:
    message = mail.alert_message(notification, alert)
    pacer.wait_for_turn()
    try:
        connection.send_messages([message])
    except smtplib.SMTPException as error:
        outcome, code = mail.outcome_of(error)
        if outcome is mail.Outcome.BROKEN:
            raise
        if outcome is mail.Outcome.REFUSED:
            # A hard failure: this address will never take our mail; stop mailing it.
            Subscriber.objects.filter(pk=notification.subscriber_id).update(
                status=SubscriberStatus.BOUNCED, bounced_at=timezone.now(), bounce_code=code
            )
            logger.info("subscriber %s refused by the SMTP server (%s)", notification.subscriber_id, code)
            _finish(notification, NotificationStatus.FAILED, f"SMTP {code}: the address was refused")
            return NotificationStatus.FAILED
        _finish(notification, NotificationStatus.PENDING, f"SMTP {code}: try later")
        return NotificationStatus.PENDING
    _finish(notification, NotificationStatus.SENT)
    return NotificationStatus.SENT


# --- push ---------------------------------------------------------------------------


def send_pushes(size: int | None = None) -> Tally:
    """Claim and send one batch of browser notifications."""
    batch = claim(Medium.PUSH, size or settings.ALERTS_BATCH_SIZE)
    tally = Tally()
    with fast_commits():
        _send_each(batch, tally, lambda n, alert: _send_push(n, alert, tally))
    if tally.gone:
        Subscriber.objects.filter(pk__in=tally.gone).delete()
    return tally


def _send_push(notification: Notification, alert: content.Alert, tally: Tally) -> str | None:
    subscriber = notification.subscriber
    data = push.payload(alert.title, alert.summary(subscriber.time_zone), alert.url, notification.topic)
    try:
        answer = push.send(subscriber.endpoint, subscriber.p256dh, subscriber.auth, data, notification.topic)
    except outbound.Refused as refused:
        _finish(notification, NotificationStatus.FAILED, str(refused))
        return NotificationStatus.FAILED
    except OSError as trouble:
        _finish(notification, NotificationStatus.PENDING, f"no answer: {type(trouble).__name__}")
        return NotificationStatus.PENDING
    if 200 <= answer.status < 300:
        _finish(notification, NotificationStatus.SENT)
        return NotificationStatus.SENT
    if answer.status in (404, 410):
        # The browser unsubscribed or the subscription expired: forget it.
        tally.gone.append(subscriber.pk)
        return None
    if answer.status == 429 or answer.status >= 500:
        _finish(notification, NotificationStatus.PENDING, f"push service answered {answer.status}")
        return NotificationStatus.PENDING
    _finish(notification, NotificationStatus.FAILED, f"push service answered {answer.status}")
    return NotificationStatus.FAILED


SENDERS: dict[str, Callable[..., Tally]] = {Medium.EMAIL: send_emails, Medium.PUSH: send_pushes}


# --- the sweeper ---------------------------------------------------------------------


# A fan-out not finished after this long was cut short (its worker died): start
# it again. Two fan-outs of one event take turns on its row, page by page.
STALLED_FAN_OUT = timedelta(minutes=10)


@dataclass
class Sweep:
    batches: dict[str, int] = field(default_factory=dict)  # medium -> send batches to start
    events: list[int] = field(default_factory=list)  # fan-outs to start again


def sweep(now: datetime | None = None) -> Sweep:
    """Hand back the claims of dead workers, and say which send batches and
    fan-outs to start because nobody has been at them for a while."""
    now = now or timezone.now()
    lease = now - timedelta(seconds=settings.ALERTS_CLAIM_LEASE_SECONDS)
    Notification.objects.filter(status=NotificationStatus.SENDING, claimed_at__lt=lease).update(
        status=NotificationStatus.PENDING
    )
    Notification.objects.filter(status=NotificationStatus.PENDING, attempts__gte=MAX_ATTEMPTS).update(
        status=NotificationStatus.FAILED, error="gave up after repeated attempts"
    )
    found = Sweep(
        events=list(
            AlertEvent.objects.filter(fanned_out_at__isnull=True, created_at__lt=now - STALLED_FAN_OUT)
            .order_by("pk")
            .values_list("pk", flat=True)[:100]
        )
    )
    for medium in Medium.values:
        last = cache.get(HEARTBEAT_KEY.format(medium))
        if last is not None and now.timestamp() - last < 120:
            continue  # senders are at work and will reach the rest
        pending = Notification.objects.filter(medium=medium, status=NotificationStatus.PENDING).count()
        if pending:
            found.batches[medium] = min(10, -(-pending // settings.ALERTS_BATCH_SIZE))
    return found
