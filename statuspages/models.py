"""The providers' own word: their status pages (sources), what they say now, the
incidents and maintenances they publish with every update, and how their word
compares with the crowd's (matches to spikes, acknowledgements).

Nothing in spikes/ reads these tables: detection never depends on a provider.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from reports.models import Service
from spikes.models import Spike


class SourceKind(models.TextChoices):
    STATUSPAGE = "statuspage", "Atlassian Statuspage (summary.json)"
    FEED = "feed", "RSS or Atom feed"
    JSON = "json", "Other JSON (paths in the options)"


class Indicator(models.TextChoices):
    """The page's overall word, in Statuspage's terms (the other formats map onto them)."""

    UNKNOWN = "", "Not read yet"
    NONE = "none", "All systems operational"
    MINOR = "minor", "Minor problems"
    MAJOR = "major", "Major outage"
    CRITICAL = "critical", "Critical outage"
    MAINTENANCE = "maintenance", "Maintenance"


class StatusSourceQuerySet(models.QuerySet):
    def due(self, now: datetime) -> StatusSourceQuerySet:
        """Active sources whose next poll is due and that no worker holds."""
        return self.filter(is_active=True, next_poll_at__lte=now).filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
        )


class StatusSource(models.Model):
    """One machine-readable status page of a service, and what it said last."""

    # A source is unreachable to readers after this many failed polls in a row
    # (with the backoff, about 14 minutes at the 2-minute default): one failed
    # poll is a blip, three are a pattern.
    UNREACHABLE_AFTER_FAILURES = 3

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="status_sources")
    name = models.CharField(max_length=100, help_text='How pages name it, e.g. "GitHub\'s status page"')
    kind = models.CharField(max_length=10, choices=SourceKind.choices)
    url = models.URLField(max_length=500, help_text="The machine-readable address (summary.json, the feed)")
    page_url = models.URLField(max_length=500, blank=True, help_text="The page people read, linked from ours")
    region = models.CharField(
        max_length=2, blank=True, help_text="ISO code when the whole page covers one country only"
    )
    components = models.JSONField(
        default=list,
        blank=True,
        help_text='Only these components (or component groups) are this service\'s, e.g. ["Fortnite"]; '
        "empty: all of them. For pages shared by several services.",
    )
    component_regions = models.JSONField(
        default=dict, blank=True, help_text='{"component name": "ISO code"} where a component is one region'
    )
    options = models.JSONField(default=dict, blank=True, help_text="Paths for the 'other JSON' kind")
    interval_seconds = models.PositiveIntegerField(
        default=120, validators=[MinValueValidator(30), MaxValueValidator(86400)]
    )
    is_active = models.BooleanField(default=True)

    # Polling: the next poll, the claim of the worker polling it, conditional GET.
    next_poll_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    etag = models.CharField(max_length=300, blank=True, editable=False)
    last_modified = models.CharField(max_length=100, blank=True, editable=False)
    last_polled_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    failures = models.PositiveIntegerField(default=0, editable=False, help_text="Failed polls in a row")
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.CharField(max_length=500, blank=True, editable=False)

    # What the page said at the last successful poll (only this service's components).
    indicator = models.CharField(max_length=12, choices=Indicator.choices, blank=True, editable=False)
    description = models.CharField(max_length=300, blank=True, editable=False)
    affected_components = models.JSONField(
        default=list, editable=False, help_text='[{"name": ..., "status": ...}] not operational'
    )

    objects = StatusSourceQuerySet.as_manager()

    class Meta:
        ordering = ["service__name", "name"]
        indexes = [
            # The poller's question every few seconds: which sources are due?
            models.Index(fields=["next_poll_at"], condition=Q(is_active=True), name="statussource_due_idx")
        ]
        constraints = [models.UniqueConstraint(fields=["service", "url"], name="one_source_per_url")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_unreachable(self) -> bool:
        return self.failures >= self.UNREACHABLE_AFTER_FAILURES or (
            self.last_success_at is None and self.failures > 0
        )

    def is_fresh(self, now: datetime) -> bool:
        """Whether what it said last may still be shown as its word now: read at the
        last poll, and polls have not stopped (beat down, source switched off)."""
        if self.last_success_at is None or self.is_unreachable:
            return False
        return now - self.last_success_at <= timedelta(seconds=4 * self.interval_seconds) + timedelta(
            minutes=5
        )

    @property
    def link(self) -> str:
        return self.page_url or self.url


class SourceProblem(models.Model):
    """Something a poll could not take from a source: a failed fetch, a document
    that is not what the format promised, an entry left out. Kept for operators
    (the admin), a few dozen per source."""

    KEEP_PER_SOURCE = 50

    class Kind(models.TextChoices):
        FETCH = "fetch", "Could not fetch"
        HTTP = "http", "HTTP error"
        FORMAT = "format", "Not readable"
        ENTRY = "entry", "Entry left out"

    source = models.ForeignKey(StatusSource, on_delete=models.CASCADE, related_name="problems")
    at = models.DateTimeField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    reason = models.CharField(max_length=500)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


class ProviderIncidentQuerySet(models.QuerySet):
    def going_on(self) -> ProviderIncidentQuerySet:
        """Unresolved incidents, and maintenances under way (not those yet to come)."""
        return self.filter(resolved_at__isnull=True).exclude(is_maintenance=True, status="scheduled")

    def overlapping(self, start: datetime, end: datetime | None) -> ProviderIncidentQuerySet:
        """Incidents whose time (start to resolution, or now) meets [start, end]."""
        found = self.filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=start))
        return found if end is None else found.filter(started_at__lte=end)


class ProviderIncident(models.Model):
    """An incident or a scheduled maintenance, as the provider published it."""

    source = models.ForeignKey(StatusSource, on_delete=models.CASCADE, related_name="incidents")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="provider_incidents")
    provider_id = models.CharField(max_length=200)
    title = models.CharField(max_length=300)
    status = models.CharField(max_length=40, help_text="The provider's word: investigating, resolved...")
    impact = models.CharField(max_length=12, choices=Indicator.choices, blank=True)
    components = models.JSONField(default=list)
    regions = models.JSONField(default=list, help_text="ISO codes the provider names; empty: everywhere")
    is_maintenance = models.BooleanField(default=False)
    started_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(help_text="When the provider first said anything about it")
    updated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    scheduled_until = models.DateTimeField(null=True, blank=True)
    url = models.URLField(max_length=500, blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now, help_text="When we first read it")

    objects = ProviderIncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["source", "provider_id"], name="one_incident_per_provider_id")
        ]
        indexes = [models.Index(fields=["service", "-started_at"], name="providerincident_service_idx")]

    def __str__(self) -> str:
        return f"{self.source}: {self.title}"

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None

    def covers(self, region: str) -> bool:
        """Whether it concerns `region` ("" for all regions together)."""
        return not self.regions or not region or region in self.regions


class ProviderIncidentUpdate(models.Model):
    incident = models.ForeignKey(ProviderIncident, on_delete=models.CASCADE, related_name="updates")
    provider_id = models.CharField(max_length=200)
    status = models.CharField(max_length=40, blank=True)
    body = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "provider_id"], name="one_update_per_provider_id")
        ]

    def __str__(self) -> str:
        return f"{self.status or 'update'} at {self.at:%Y-%m-%d %H:%M}"


class ProviderIncidentChange(models.Model):
    """What happened to a provider incident, in order: the outbox that webhooks
    (provider_incident.opened/updated/resolved) and alerts read."""

    class Kind(models.TextChoices):
        OPENED = "opened", "Opened"
        UPDATED = "updated", "Updated"
        RESOLVED = "resolved", "Resolved"

    incident = models.ForeignKey(ProviderIncident, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=40, blank=True, help_text="The incident's status after the change")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.incident} {self.kind}"


class IncidentMatch(models.Model):
    """A provider incident and a crowd spike that are the same outage: same
    service, the region where the provider names one, overlapping time."""

    incident = models.ForeignKey(ProviderIncident, on_delete=models.CASCADE, related_name="matches")
    spike = models.ForeignKey(Spike, on_delete=models.CASCADE, related_name="provider_matches")
    matched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "spike"], name="one_match_per_pair")]

    def __str__(self) -> str:
        return f"{self.incident} = spike {self.spike_id}"


class AcknowledgementQuerySet(models.QuerySet):
    def since(self, start: datetime) -> AcknowledgementQuerySet:
        return self.filter(detected_at__gte=start)


class Acknowledgement(models.Model):
    """How the provider owned up to one outage the crowd reported: when it first
    said anything, or that it never did. One per outage (a spike that reached
    "problems detected", was not dismissed, and is not a region of a bigger one),
    decided once the outage is over and its grace period has passed."""

    spike = models.OneToOneField(Spike, on_delete=models.CASCADE, related_name="acknowledgement")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="acknowledgements")
    incident = models.ForeignKey(
        ProviderIncident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detected_at = models.DateTimeField(help_text="When we detected the outage")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    lag_seconds = models.IntegerField(
        null=True, blank=True, help_text="Acknowledgement minus detection; negative: the provider was first"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    objects = AcknowledgementQuerySet.as_manager()

    class Meta:
        ordering = ["-detected_at"]
        indexes = [models.Index(fields=["service", "-detected_at"], name="ack_service_idx")]

    def __str__(self) -> str:
        return f"spike {self.spike_id}: {'acknowledged' if self.acknowledged_at else 'never acknowledged'}"
