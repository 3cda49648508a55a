"""Partner keys, their webhook endpoints, and the events and deliveries sent to them."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from partners import outbound, signing
from reports.models import Service, ServiceGroup
from spikes.models import Incident, Level, Spike, SpikeChange
from statuspages.models import ProviderIncidentChange


class Scope(models.TextChoices):
    READ = "read", "Read the API"
    WEBHOOKS = "webhooks", "Receive webhooks"
    NEWSROOM = "newsroom", "Alert channels (Slack, Discord, Teams, webhook)"


class PartnerKeyQuerySet(models.QuerySet):
    def usable(self) -> PartnerKeyQuerySet:
        return self.filter(revoked_at__isnull=True)


class PartnerKey(models.Model):
    """A partner's API key. Only a hash of the secret is stored; `prefix` (the first
    characters of the key) lets a partner and an operator tell keys apart."""

    name = models.CharField(max_length=100, help_text="Who holds it, e.g. 'Example ISP network desk'")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    hashed_key = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list, help_text='Any of "read", "webhooks"')
    rate_per_minute = models.PositiveIntegerField(default=600)
    daily_quota = models.PositiveIntegerField(default=100_000)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = PartnerKeyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class WebhookEndpoint(models.Model):
    """Where a partner wants events, and which ones. Empty filters mean "all"."""

    key = models.ForeignKey(PartnerKey, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(
        max_length=500,
        validators=[outbound.validate_url],
        help_text="Must resolve to public addresses (checked again at every delivery)",
    )
    secret = models.CharField(
        max_length=100,
        default=signing.new_secret,
        help_text="whsec_...: signs every delivery (Standard Webhooks, HMAC-SHA256)",
    )
    legacy_signature = models.BooleanField(
        default=False,
        help_text="Also send the old X-Outagewatch-Signature header (endpoints made before "
        "Standard Webhooks signatures; switch it off once the receiver checks webhook-signature)",
    )
    services = models.ManyToManyField(Service, blank=True, related_name="+")
    groups = models.ManyToManyField(ServiceGroup, blank=True, related_name="+")
    regions = models.JSONField(
        default=list, blank=True, help_text='Region codes; "all" is the all-regions series. Empty: any.'
    )
    min_level = models.CharField(max_length=8, choices=Level.choices, default=Level.WARNING)
    is_active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.url


class EventKind(models.TextChoices):
    SPIKE_OPENED = "spike.opened"
    SPIKE_LEVEL_CHANGED = "spike.level_changed"
    SPIKE_RESOLVED = "spike.resolved"
    SPIKE_CONFIRMED = "spike.confirmed"
    SPIKE_DISMISSED = "spike.dismissed"
    INCIDENT_OPENED = "incident.opened"
    PROVIDER_INCIDENT_OPENED = "provider_incident.opened"
    PROVIDER_INCIDENT_UPDATED = "provider_incident.updated"
    PROVIDER_INCIDENT_RESOLVED = "provider_incident.resolved"
    TEST = "test"


class WebhookEvent(models.Model):
    """One event as partners receive it; built once, delivered to every matching endpoint.

    `change` and `incident` make the outbox idempotent: a SpikeChange or an Incident
    gives at most one event, however often the outbox task runs.
    """

    kind = models.CharField(max_length=32, choices=EventKind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    payload = models.JSONField()
    spike = models.ForeignKey(Spike, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    change = models.OneToOneField(
        SpikeChange, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_event"
    )
    incident = models.OneToOneField(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_event"
    )
    provider_change = models.OneToOneField(
        ProviderIncidentChange, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_event"
    )

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class OutboxCursor(models.Model):
    """Singleton (pk=1): how far the outbox has turned changes into events.

    Ids are handed out when a row is inserted but become visible when its
    transaction commits, so a lower id can appear after a higher one. The outbox
    therefore looks again at ids above the highest id it had seen LOOKBACK runs
    ago (`recent_change_ids`), longer than a detection transaction may last.
    """

    recent_change_ids = models.JSONField(default=list)
    recent_incident_ids = models.JSONField(default=list)
    recent_provider_change_ids = models.JSONField(default=list)

    def __str__(self) -> str:
        return "webhook outbox cursor"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One event to one endpoint, with the outcome of its last attempt."""

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="one_delivery_per_endpoint")
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint}: {self.status}"
