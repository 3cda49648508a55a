"""The signed links of alert mails.

- A confirmation link carries the whole follow request, the address included, so
  nothing about an address is stored before its owner clicks. The address must
  not be readable in our request logs, which record paths: the token is
  encrypted and authenticated (Fernet, with a key derived from SECRET_KEY), and
  its time stamp makes it expire after ALERTS_CONFIRM_HOURS.
- Manage and unsubscribe links name a subscriber by id and nonce, signed with
  django.core.signing; a new nonce voids every old link. Unsubscribe links never
  expire (a mail from last year must still unsubscribe); manage links do.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import asdict, dataclass

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from alerts.models import Subscriber

MANAGE_SALT = "alerts.manage"
UNSUBSCRIBE_SALT = "alerts.unsubscribe"


class BadLink(ValueError):
    """The link is damaged, forged or void; the message says so to the person."""


class ExpiredLink(BadLink):
    """A genuine link, too old."""


@dataclass(frozen=True)
class FollowRequest:
    """What a confirmation link asks for: follow a service or a group, in a region."""

    email: str
    service_id: int | None = None
    group_id: int | None = None
    region: str = ""
    time_zone: str = "UTC"
    language: str = "en"  # the page's, for the confirmation mail and then the alerts


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def _fernet() -> Fernet:
    key = salted_hmac("alerts.links.confirm", "fernet", algorithm="sha256").digest()
    return Fernet(base64.urlsafe_b64encode(key))


def confirm_token(request: FollowRequest) -> str:
    return _fernet().encrypt(json.dumps(asdict(request), separators=(",", ":")).encode()).decode()


def read_confirm_token(token: str, now: float | None = None) -> FollowRequest:
    fernet = _fernet()
    try:
        issued = fernet.extract_timestamp(token.encode())
        fields = json.loads(fernet.decrypt(token.encode()))
        request = FollowRequest(**fields)
    except (InvalidToken, ValueError, TypeError):
        raise BadLink(_("This confirmation link is damaged or was not made by us.")) from None
    age = (time.time() if now is None else now) - issued
    if age > settings.ALERTS_CONFIRM_HOURS * 3600:
        raise ExpiredLink(
            _(
                "This confirmation link has expired: it works for %(hours)s hours. "
                "Ask for a new one from the service's page."
            )
            % {"hours": settings.ALERTS_CONFIRM_HOURS}
        )
    return request


def confirm_url(request: FollowRequest) -> str:
    return absolute(reverse("alerts-confirm", args=[confirm_token(request)]))


def _subscriber_value(subscriber: Subscriber) -> str:
    return f"{subscriber.pk}.{subscriber.nonce}"


def _subscriber_from(value: str) -> Subscriber:
    pk, _dot, nonce = value.partition(".")
    subscriber = Subscriber.objects.filter(pk=int(pk) if pk.isdigit() else 0, nonce=nonce).first()
    if subscriber is None:
        raise BadLink(
            _(
                "This link no longer works: the subscription it was made for has been deleted. "
                "You can follow the service again from its page."
            )
        )
    return subscriber


def manage_token(subscriber: Subscriber) -> str:
    return signing.TimestampSigner(salt=MANAGE_SALT).sign(_subscriber_value(subscriber))


def unsubscribe_token(subscriber: Subscriber) -> str:
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(_subscriber_value(subscriber))


def read_manage_token(token: str) -> Subscriber:
    try:
        value = signing.TimestampSigner(salt=MANAGE_SALT).unsign(
            token, max_age=settings.ALERTS_MANAGE_LINK_DAYS * 86400
        )
    except signing.SignatureExpired:
        raise ExpiredLink(
            _(
                "This link has expired: manage links work for %(days)s days. "
                "The link in your latest alert works, or ask for a new one below."
            )
            % {"days": settings.ALERTS_MANAGE_LINK_DAYS}
        ) from None
    except signing.BadSignature:
        raise BadLink(_("This link is damaged or was not made by us.")) from None
    return _subscriber_from(value)


def read_unsubscribe_token(token: str) -> Subscriber:
    try:
        value = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature:
        raise BadLink(_("This unsubscribe link is damaged or was not made by us.")) from None
    return _subscriber_from(value)


def manage_url(subscriber: Subscriber) -> str:
    return absolute(reverse("alerts-manage", args=[manage_token(subscriber)]))


def unsubscribe_url(subscriber: Subscriber) -> str:
    return absolute(reverse("alerts-unsubscribe", args=[unsubscribe_token(subscriber)]))
