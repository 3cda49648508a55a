"""Followers of services, what they follow, the alert events of spikes, and the
messages sent about them (one per subscriber, topic and phase).

A *subscriber* is one way to reach someone: an email address or a browser's push
subscription. A *follow* is a service (optionally in one country) or a whole
service group. An *alert event* is one phase of one spike (detected, confirmed,
resolved, dismissed), made once by the outbox (alerts.outbox). A *notification*
is that event for one subscriber: its unique (subscriber, topic, phase) is what
keeps a retried or doubled fan-out from messaging anyone twice.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone

from alerts.outbound import validate_public_url
from partners import signing
from partners.models import PartnerKey
from reports.models import Category, Service, ServiceGroup
from spikes.models import Spike, SpikeChange


class Medium(models.TextChoices):
    EMAIL = "email", "Email"
    PUSH = "push", "Browser notification"


class SubscriberStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    BOUNCED = "bounced", "Hard bounce (address refused)"


def _nonce() -> str:
    return secrets.token_urlsafe(9)


class SubscriberQuerySet(models.QuerySet):
    def active(self) -> SubscriberQuerySet:
        return self.filter(status=SubscriberStatus.ACTIVE)

    def expired(self, now: datetime, days: int) -> SubscriberQuerySet:
        """Addresses no longer subscribed for `days`: the retention task deletes them."""
        cutoff = now - timedelta(days=days)
        return self.filter(
            Q(status=SubscriberStatus.UNSUBSCRIBED, unsubscribed_at__lt=cutoff)
            | Q(status=SubscriberStatus.BOUNCED, bounced_at__lt=cutoff)
        )


class Subscriber(models.Model):
    """One address to send alerts to. An email subscriber exists only once its
    owner clicked the confirmation link (the address is not stored before); a
    push subscriber once the browser granted permission and subscribed."""

    medium = models.CharField(max_length=5, choices=Medium.choices)
    email = models.EmailField(max_length=254, null=True, blank=True, unique=True)
    endpoint = models.URLField(max_length=1000, null=True, blank=True, unique=True)
    p256dh = models.CharField(max_length=100, blank=True, help_text="The browser's public key (base64url)")
    auth = models.CharField(max_length=32, blank=True, help_text="The browser's auth secret (base64url)")
    time_zone = models.CharField(max_length=64, default="UTC")
    status = models.CharField(
        max_length=12, choices=SubscriberStatus.choices, default=SubscriberStatus.ACTIVE
    )
    # Part of every signed link: a new nonce makes all the old links void.
    nonce = models.CharField(max_length=12, default=_nonce, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    bounce_code = models.PositiveSmallIntegerField(null=True, blank=True)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(medium="email", email__isnull=False, endpoint__isnull=True))
                | Q(medium="push", endpoint__isnull=False, email__isnull=True),
                name="subscriber_has_its_address",
            )
        ]

    def __str__(self) -> str:
        # Never the address: this string reaches the admin's history and logs.
        return f"{self.get_medium_display()} subscriber #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status == SubscriberStatus.ACTIVE

    def unsubscribe(self, now: datetime | None = None) -> None:
        if self.status == SubscriberStatus.ACTIVE:
            self.status = SubscriberStatus.UNSUBSCRIBED
            self.unsubscribed_at = now or timezone.now()
            self.save(update_fields=["status", "unsubscribed_at"])

    def resubscribe(self) -> None:
        if self.status == SubscriberStatus.UNSUBSCRIBED:
            self.status = SubscriberStatus.ACTIVE
            self.unsubscribed_at = None
            self.save(update_fields=["status", "unsubscribed_at"])


class Follow(models.Model):
    """A service (in one country, or everywhere) or a whole service group."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="follows")
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(ServiceGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    region = models.CharField(max_length=2, blank=True, help_text='ISO code, or "" for everywhere')
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(service__isnull=False, group__isnull=True)
                | Q(service__isnull=True, group__isnull=False),
                name="follow_one_service_or_group",
            ),
            models.UniqueConstraint(
                fields=["subscriber", "service", "region"],
                condition=Q(service__isnull=False),
                name="follow_service_once",
            ),
            models.UniqueConstraint(
                fields=["subscriber", "group", "region"],
                condition=Q(group__isnull=False),
                name="follow_group_once",
            ),
        ]
        indexes = [
            # The fan-out reads the followers of one service (or group) and region in
            # pages by id.
            models.Index(fields=["service", "region", "id"], name="follow_service_idx"),
            models.Index(fields=["group", "region", "id"], name="follow_group_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.service or self.group} in {self.region or 'all regions'}"


class Phase(models.TextChoices):
    DETECTED = "detected", "Problems detected"
    CONFIRMED = "confirmed", "Confirmed"
    RESOLVED = "resolved", "Resolved"
    DISMISSED = "dismissed", "Dismissed (correction)"


# An opening tells of an outage; a closing ends what an opening told, and goes
# only to those an opening went to.
OPENINGS = (Phase.DETECTED, Phase.CONFIRMED)
CLOSINGS = (Phase.RESOLVED, Phase.DISMISSED)


class AlertEvent(models.Model):
    """One phase of one spike, made once however often the outbox runs; its
    fan-out remembers how far it got (`follow_cursor`, `notification_cursor`), so
    a fan-out cut short resumes where it stopped."""

    spike = models.ForeignKey(Spike, on_delete=models.CASCADE, related_name="+")
    phase = models.CharField(max_length=10, choices=Phase.choices)
    change = models.OneToOneField(
        SpikeChange, null=True, blank=True, on_delete=models.SET_NULL, related_name="alert_event"
    )
    note = models.CharField(max_length=200, blank=True, help_text="The provider's or our staff's word")
    created_at = models.DateTimeField(default=timezone.now)
    cursor = models.BigIntegerField(default=0, help_text="The last follow (or notification) fanned out")
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [models.UniqueConstraint(fields=["spike", "phase"], name="one_event_per_spike_phase")]

    def __str__(self) -> str:
        return f"{self.get_phase_display()}: spike {self.spike_id}"

    @property
    def is_opening(self) -> bool:
        return self.phase in OPENINGS


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CAPPED = "capped", "Not sent: the subscriber's hourly or daily cap"
    SKIPPED = "skipped", "Not sent: the outage was over or dismissed first"


class Notification(models.Model):
    """One event for one subscriber. `topic` is what the message is about: a
    spike ("spike:12") for a service follow, or a group's episode
    ("group:3:spike:10", named after its first spike) for a group follow, so a
    Meta incident is one message to a Meta follower, not one per service."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="notifications")
    event = models.ForeignKey(AlertEvent, on_delete=models.CASCADE, related_name="notifications")
    topic = models.CharField(max_length=40)
    phase = models.CharField(max_length=10, choices=Phase.choices)
    medium = models.CharField(max_length=5, choices=Medium.choices)
    status = models.CharField(
        max_length=8, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "topic", "phase"], name="one_message_per_phase")
        ]
        indexes = [
            # Caps: a subscriber's messages of the last day.
            models.Index(fields=["subscriber", "created_at"], name="notification_caps_idx"),
            # Closings go to the subscribers an opening of the topic went to.
            models.Index(fields=["topic", "id"], name="notification_topic_idx"),
            # Senders claim the oldest pending messages of their medium.
            models.Index(
                fields=["medium", "id"], condition=Q(status="pending"), name="notification_pending_idx"
            ),
            # The sweeper finds the claims of workers that died.
            models.Index(
                fields=["claimed_at"], condition=Q(status="sending"), name="notification_sending_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.phase} {self.topic} to subscriber {self.subscriber_id}: {self.status}"


class AlertCursor(models.Model):
    """Singleton (pk=1): how far the outbox has read the spike changes.

    A change's id is handed out at insert but becomes visible at commit, up to a
    detection transaction's 120 s later, so the outbox reads again above the
    highest id it had seen LOOKBACK_SECONDS ago: `seen` is [[iso time, max id], ...].
    """

    seen = models.JSONField(default=list)

    def __str__(self) -> str:
        return "alerts outbox cursor"


# --- newsroom channels --------------------------------------------------------------


class ChannelKind(models.TextChoices):
    WEBHOOK = "webhook", "Signed JSON webhook"
    SLACK = "slack", "Slack incoming webhook"
    DISCORD = "discord", "Discord webhook"
    TEAMS = "teams", "Microsoft Teams Workflows webhook (Adaptive Card)"


def _everywhere() -> list[str]:
    return ["all"]


class NewsroomChannel(models.Model):
    """A partner's channel for outages: any at "problems detected", those of a
    category, or of a list of services; in the all-regions series unless
    `regions` says otherwise."""

    key = models.ForeignKey(PartnerKey, on_delete=models.CASCADE, related_name="alert_channels")
    name = models.CharField(max_length=100, blank=True, help_text="A label for the partner, e.g. '#outages'")
    kind = models.CharField(max_length=8, choices=ChannelKind.choices)
    url = models.URLField(
        max_length=500,
        validators=[validate_public_url],
        help_text="Must resolve to public addresses (checked again at every delivery)",
    )
    secret = models.CharField(
        max_length=100,
        default=signing.new_secret,
        help_text="whsec_...: signs every delivery of a webhook channel (Standard Webhooks)",
    )
    services = models.ManyToManyField(Service, blank=True, related_name="+")
    category = models.CharField(max_length=20, choices=Category.choices, blank=True)
    regions = models.JSONField(
        default=_everywhere, blank=True, help_text='ISO codes, and "all" for the all-regions series'
    )
    is_active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} of {self.key.name}"

    @property
    def region_codes(self) -> set[str]:
        """Spike regions this channel takes ("" is the all-regions series)."""
        return {"" if r == "all" else r for r in (self.regions or ["all"])}


class ChannelDelivery(models.Model):
    """One event to one channel, with the outcome of its last attempt."""

    channel = models.ForeignKey(NewsroomChannel, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(AlertEvent, null=True, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=8, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name_plural = "channel deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "event"], condition=Q(event__isnull=False), name="one_delivery_per_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.channel}: {self.status}"
