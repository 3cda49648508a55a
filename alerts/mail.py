"""Alert, confirmation and manage-link mails, and what an SMTP answer means.

Every alert mail is plain text with an HTML alternative that loads nothing
remote (no images, no tracking), carries one-click unsubscribe (List-Unsubscribe
with an https URL and List-Unsubscribe-Post, RFC 8058) and a link to a manage
page. Its Message-ID is made from the notification's id: a mail sent again
after a worker died mid-send is recognisably the same mail.
"""

from __future__ import annotations

import enum
import hashlib
import smtplib
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils.crypto import salted_hmac

from alerts import links
from alerts.content import Alert
from alerts.models import Notification, Subscriber
from reports import ratelimit

ONE_CLICK = "List-Unsubscribe=One-Click"


def _domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def message_id(kind: str, pk: int) -> str:
    tag = hashlib.sha256(f"{settings.SECRET_KEY[:8]}{kind}{pk}".encode()).hexdigest()[:10]
    return f"<{kind}.{pk}.{tag}@{_domain()}>"


def list_headers(subscriber: Subscriber) -> dict[str, str]:
    return {
        "List-Unsubscribe": f"<{links.unsubscribe_url(subscriber)}>",
        "List-Unsubscribe-Post": ONE_CLICK,
        "List-Id": f"outagewatch alerts <alerts.{_domain()}>",
        # No out-of-office replies to a robot (RFC 3834).
        "Auto-Submitted": "auto-generated",
    }


def _mail(
    subject: str, template: str, context: dict, to: str, headers: dict[str, str]
) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"alerts/email/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers,
    )
    message.attach_alternative(render_to_string(f"alerts/email/{template}.html", context), "text/html")
    return message


def alert_message(notification: Notification, alert: Alert) -> EmailMultiAlternatives:
    subscriber = notification.subscriber
    zone = subscriber.time_zone
    context = {
        "alert": alert,
        "summary": alert.summary(zone),
        "facts": alert.facts(zone),
        "manage_url": links.manage_url(subscriber),
        "unsubscribe_url": links.unsubscribe_url(subscriber),
    }
    headers = {"Message-ID": message_id("alert", notification.pk), **list_headers(subscriber)}
    return _mail(alert.title, "alert", context, subscriber.email, headers)


def confirmation_message(request: links.FollowRequest, what: str) -> EmailMultiAlternatives:
    context = {
        "what": what,
        "confirm_url": links.confirm_url(request),
        "hours": settings.ALERTS_CONFIRM_HOURS,
    }
    headers = {"Auto-Submitted": "auto-generated"}
    return _mail(f"Confirm: email alerts for {what}", "confirm", context, request.email, headers)


def manage_link_message(subscriber: Subscriber) -> EmailMultiAlternatives:
    context = {"manage_url": links.manage_url(subscriber), "days": settings.ALERTS_MANAGE_LINK_DAYS}
    headers = {"Auto-Submitted": "auto-generated", **list_headers(subscriber)}
    return _mail("Your outagewatch alerts", "manage_link", context, subscriber.email, headers)


def address_key(email: str) -> str:
    """Stands for an address in rate-limit keys, without naming it."""
    return salted_hmac("alerts.mail.address", email.lower()).hexdigest()[:32]


# --- sending ------------------------------------------------------------------------


class Outcome(enum.Enum):
    SENT = "sent"
    REFUSED = "refused"  # 5xx: the address does not exist or will never take our mail
    LATER = "later"  # 4xx: the server asks us to try again later
    BROKEN = "broken"  # no answer: the connection is gone


def outcome_of(error: Exception) -> tuple[Outcome, int | None]:
    """What an exception of smtplib means for the message and its address."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code = next(iter(error.recipients.values()), (None, b""))[0]
    else:
        code = getattr(error, "smtp_code", None)
    if isinstance(error, smtplib.SMTPServerDisconnected) or not isinstance(code, int):
        return Outcome.BROKEN, None
    if isinstance(error, smtplib.SMTPSenderRefused):
        # Our own From refused: no fault of the address, so never mark it.
        return Outcome.LATER, code
    return (Outcome.REFUSED if 500 <= code < 600 else Outcome.LATER), code


class Pacer:
    """Keeps all workers together under ALERTS_EMAIL_RATE: a shared counter per
    window in the cache (if the cache is down, mail goes through). Tickets are
    taken `chunk` mails at a time, so a mail costs a tenth of a cache round trip."""

    def __init__(self, rate: tuple[int, int] | None = None, chunk: int = 10) -> None:
        self.count, self.seconds = rate or settings.ALERTS_EMAIL_RATE
        self.chunk = max(1, min(chunk, self.count))
        self.left = 0

    def wait_for_turn(self) -> None:
        if self.left == 0:
            while not ratelimit.hit("alerts-smtp", self.count // self.chunk, self.seconds).allowed:
                time.sleep(self.seconds - time.time() % self.seconds + 0.001)
            self.left = self.chunk
        self.left -= 1
