"""Following and unfollowing: the rules, in one place, for the views and the API.

An email subscriber is made only when a confirmation link is clicked; a push
subscriber when a browser that granted permission follows something. A
subscriber follows at most MAX_FOLLOWS things (the catalog has 175 services).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alerts.links import FollowRequest
from alerts.mail import address_key
from alerts.models import Follow, Medium, Subscriber, SubscriberStatus
from outagewatch.clients import Client
from reports import fingerprint, ratelimit
from reports import names as localnames
from reports.models import Region, Service, ServiceGroup

MAX_FOLLOWS = 200


class TooManyFollows(ValueError):
    pass


@dataclass(frozen=True)
class Target:
    service: Service | None
    group: ServiceGroup | None
    region: str

    def describe(self) -> str:
        """'WhatsApp in India', 'all Meta services', in a sentence, in the active language."""
        if self.service:
            what = self.service.name
        else:
            what = _("all %(owner)s services") % {"owner": self.group.name}
        if not self.region:
            return what
        name = Region.objects.filter(code=self.region).values_list("name", flat=True).first()
        country = localnames.in_sentence(localnames.country(name)) if name else self.region
        return _("%(service)s in %(country)s") % {"service": what, "country": country}


def target_of(request: FollowRequest) -> Target:
    service = Service.objects.filter(pk=request.service_id).first() if request.service_id else None
    group = ServiceGroup.objects.filter(pk=request.group_id).first() if request.group_id else None
    if service is None and group is None:
        raise LookupError(_("The service of this link no longer exists."))
    return Target(service, group, request.region)


def client_may_ask_for_mail(client: Client) -> ratelimit.RateDecision:
    """Confirmation and manage-link mails per client address (hashed, never stored)."""
    count, seconds = settings.ALERTS_MAIL_RATE_PER_CLIENT
    return ratelimit.hit(
        f"alerts-mail-client:{fingerprint.address_key(client.address, timezone.now())}", count, seconds
    )


def client_may_follow_in_browser(client: Client) -> ratelimit.RateDecision:
    count, seconds = settings.ALERTS_PUSH_RATE_PER_CLIENT
    return ratelimit.hit(
        f"alerts-push-client:{fingerprint.address_key(client.address, timezone.now())}", count, seconds
    )


def address_may_get_mail(email: str) -> bool:
    """Mails per address: over the limit, nothing is sent, and nobody is told (the
    answer must not differ from that for an address we never heard of)."""
    count, seconds = settings.ALERTS_MAIL_RATE_PER_ADDRESS
    return ratelimit.hit(f"alerts-mail-address:{address_key(email)}", count, seconds).allowed


def _follow(subscriber: Subscriber, target: Target) -> tuple[Follow, bool]:
    existing = Follow.objects.filter(
        subscriber=subscriber, service=target.service, group=target.group, region=target.region
    ).first()
    if existing:
        return existing, False
    if Follow.objects.filter(subscriber=subscriber).count() >= MAX_FOLLOWS:
        raise TooManyFollows(
            _("You follow %(most)s things already: stop following some first.") % {"most": MAX_FOLLOWS}
        )
    try:
        with transaction.atomic():
            return Follow.objects.create(
                subscriber=subscriber, service=target.service, group=target.group, region=target.region
            ), True
    except IntegrityError:  # the same click twice at once
        return Follow.objects.get(
            subscriber=subscriber, service=target.service, group=target.group, region=target.region
        ), False


def confirm(request: FollowRequest) -> tuple[Subscriber, Follow, bool]:
    """The owner of the address clicked the link: subscribe it (again, if it had
    left or bounced: the click proves it takes mail) and add the follow."""
    target = target_of(request)
    with transaction.atomic():
        subscriber, _made = Subscriber.objects.select_for_update().get_or_create(
            email=request.email,
            defaults={"medium": Medium.EMAIL, "time_zone": request.time_zone, "language": request.language},
        )
        if subscriber.language != request.language:
            # The latest confirmation was made in this language: the person reads it.
            subscriber.language = request.language
            subscriber.save(update_fields=["language"])
        if subscriber.status != SubscriberStatus.ACTIVE:
            subscriber.status = SubscriberStatus.ACTIVE
            subscriber.unsubscribed_at = subscriber.bounced_at = subscriber.bounce_code = None
            subscriber.save(update_fields=["status", "unsubscribed_at", "bounced_at", "bounce_code"])
        follow, created = _follow(subscriber, target)
    return subscriber, follow, created


def push_subscriber(
    endpoint: str, p256dh: str, auth: str, time_zone: str, language: str = "en"
) -> Subscriber:
    """The browser's subscriber, made or brought up to date (its keys can change,
    and so can the language of the page it follows from)."""
    with transaction.atomic():
        subscriber, made = Subscriber.objects.select_for_update().get_or_create(
            endpoint=endpoint,
            defaults={
                "medium": Medium.PUSH,
                "p256dh": p256dh,
                "auth": auth,
                "time_zone": time_zone,
                "language": language,
            },
        )
        if not made:
            subscriber.p256dh, subscriber.auth, subscriber.time_zone = p256dh, auth, time_zone
            subscriber.language = language
            subscriber.status = SubscriberStatus.ACTIVE
            subscriber.save(update_fields=["p256dh", "auth", "time_zone", "language", "status"])
    return subscriber


def follow_in_browser(subscriber: Subscriber, target: Target) -> Follow:
    return _follow(subscriber, target)[0]


def unfollow(subscriber: Subscriber, target: Target) -> None:
    """Stop following; a browser following nothing any more is forgotten."""
    Follow.objects.filter(
        subscriber=subscriber, service=target.service, group=target.group, region=target.region
    ).delete()
    if subscriber.medium == Medium.PUSH and not subscriber.follows.exists():
        subscriber.delete()


def follows_of(subscriber: Subscriber) -> list[dict]:
    """What a subscriber follows, as the JSON answers and the manage page show it."""
    if subscriber.pk is None:
        return []
    return [
        {
            "id": follow.pk,
            "service": follow.service.slug if follow.service_id else None,
            "group": follow.group.slug if follow.group_id else None,
            "name": Target(follow.service, follow.group, follow.region).describe(),
            "region": follow.region,
        }
        for follow in Follow.objects.filter(subscriber=subscriber).select_related("service", "group")
    ]
