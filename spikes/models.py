"""Counts, series, spikes (suspected outages) and incidents.

A *series* is one service in one region, or in all regions (region ""). Counts are
kept per minute; the detector reads distinct reporters per series and minute, never
raw reports.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from reports.models import ProblemType, Service, ServiceGroup

ALL_REGIONS = ""


class MinuteCount(models.Model):
    """Reports and distinct reporters in one minute, for one (service, region, problem)."""

    minute = models.DateTimeField()
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    region = models.CharField(max_length=2)
    problem = models.ForeignKey(ProblemType, on_delete=models.CASCADE, related_name="+")
    reports = models.PositiveIntegerField()
    reporters = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["service", "region", "problem", "minute"], name="unique_minute_count"
            )
        ]
        indexes = [
            # Recounting a range of minutes deletes and rewrites them by time.
            models.Index(fields=["minute"], name="minutecount_minute_idx"),
            # Breakdowns of one service over a time range (problems, regions).
            models.Index(fields=["service", "minute"], name="minutecount_service_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.service_id}/{self.region}/{self.problem_id} at {self.minute:%Y-%m-%d %H:%M}"


class SeriesMinute(models.Model):
    """The rollup the detector and the charts read: one row per series and minute
    with any report. Minutes without reports have no row (they count zero)."""

    series = models.ForeignKey("Series", on_delete=models.CASCADE, related_name="minutes")
    minute = models.DateTimeField()
    reports = models.PositiveIntegerField()
    reporters = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["series", "minute"], name="unique_series_minute")]
        indexes = [
            models.Index(fields=["minute"], name="seriesminute_minute_idx"),
            # A chart or the API's series reads one series over a time range: with the
            # counts in the index it is an index-only scan (0.3 ms for a day of minutes,
            # against 10 ms through the minute index, which PostgreSQL otherwise picks
            # because rows are stored in time order).
            models.Index(
                fields=["series", "minute"],
                include=["reports", "reporters"],
                name="seriesminute_covering_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"series {self.series_id} at {self.minute:%Y-%m-%d %H:%M}: {self.reporters}"


class SeriesQuerySet(models.QuerySet):
    def active(self, now=None) -> SeriesQuerySet:
        """Series with a report in the last ACTIVE_DAYS: the ones a pass looks at."""
        now = now or timezone.now()
        return self.filter(last_report_at__gte=now - timedelta(days=Series.ACTIVE_DAYS))


class Series(models.Model):
    """A service in a region (or in all regions), with its baseline and detector state."""

    ACTIVE_DAYS = 28

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="series")
    region = models.CharField(max_length=2, blank=True, help_text='ISO code, or "" for all regions')
    last_report_at = models.DateTimeField(null=True)
    # The detector has seen every minute before this one.
    detected_until = models.DateTimeField(null=True)
    detector_state = models.JSONField(default=dict)
    baseline_updated_at = models.DateTimeField(null=True)

    objects = SeriesQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service", "region"], name="unique_series")]
        indexes = [models.Index(fields=["last_report_at"], name="series_active_idx")]
        verbose_name_plural = "series"

    def __str__(self) -> str:
        return f"{self.service_id}/{self.region or 'all'}"


class SeriesBaseline(models.Model):
    """A series' fitted baseline (spikes.detection.Profile.to_dict(), ~10 kB).

    Kept apart from Series because the detector state there is rewritten every
    minute, and a row that carried this profile would be rewritten with it.
    """

    series = models.OneToOneField(Series, primary_key=True, on_delete=models.CASCADE, related_name="baseline")
    profile = models.JSONField()

    def __str__(self) -> str:
        return f"baseline of series {self.series_id}"


class PipelineState(models.Model):
    """Singleton (pk=1): how far counting got, and the baseline of all reports
    together, which tells an intake gap (nobody could report) from a quiet minute."""

    counted_until = models.DateTimeField(null=True, help_text="Reports before this are counted")
    global_baseline = models.JSONField(null=True)
    global_baseline_updated_at = models.DateTimeField(null=True)
    last_pass_at = models.DateTimeField(null=True, help_text="When the last detection pass ended")
    last_pass_until = models.DateTimeField(null=True, help_text="The minute it detected up to")

    def __str__(self) -> str:
        return f"counted until {self.counted_until}, detected until {self.last_pass_until}"

    @classmethod
    def load(cls) -> PipelineState:
        state, _ = cls.objects.get_or_create(pk=1)
        return state


class IntakeGap(models.Model):
    """A minute in which no report at all arrived although many were expected: the
    intake was down, so the detector treats the minute as missing, not as zero."""

    minute = models.DateTimeField(primary_key=True)

    def __str__(self) -> str:
        return f"intake gap at {self.minute:%Y-%m-%d %H:%M}"


class Level(models.TextChoices):
    WARNING = "warning", "Possible problems"
    DANGER = "danger", "Problems detected"


class Verdict(models.TextChoices):
    """What we hold a spike to be, apart from whether it is still going on (its
    lifecycle is `ended_at`): a confirmation or a dismissal outlives the spike."""

    SUSPECTED = "suspected", "Suspected"
    CONFIRMED = "confirmed", "Confirmed"
    DISMISSED = "dismissed", "Dismissed"


class ConfirmedBy(models.TextChoices):
    STAFF = "staff", "Our staff"
    PROVIDER = "provider", "The provider"


class DismissReason(models.TextChoices):
    REPORT_BOMBING = "report_bombing", "Report bombing"
    NEWS_CURIOSITY = "news_curiosity", "News-driven curiosity"
    TEST = "test", "Test"
    OTHER = "other", "Other"


class Actor(models.TextChoices):
    """Who or what made a change to a spike."""

    DETECTOR = "detector", "The detector"
    STAFF = "staff", "Our staff"
    PROVIDER = "provider", "The provider's status page"


class Incident(models.Model):
    """Spikes that belong together: one owner's services failing at once, or many
    services failing at once (a cloud or CDN outage)."""

    class Kind(models.TextChoices):
        GROUP = "group", "Several services of one owner"
        WIDESPREAD = "widespread", "Many services at once"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    group = models.ForeignKey(ServiceGroup, null=True, blank=True, on_delete=models.SET_NULL)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        name = self.group.name if self.group_id else "Widespread"
        return f"{name} incident of {self.started_at:%Y-%m-%d %H:%M}"


class SpikeQuerySet(models.QuerySet):
    def not_dismissed(self) -> SpikeQuerySet:
        """What the public sees as outages: a dismissed spike keeps its permalink only."""
        return self.exclude(verdict=Verdict.DISMISSED)

    def open(self) -> SpikeQuerySet:
        """Outages going on now: open spikes that nobody dismissed."""
        return self.filter(ended_at__isnull=True).not_dismissed()

    def awaiting_verdict(self) -> SpikeQuerySet:
        """The triage queue: open spikes without a verdict, the largest first."""
        return (
            self.filter(ended_at__isnull=True, verdict=Verdict.SUSPECTED)
            .annotate(excess=models.F("peak_reports") - models.F("expected_reports"))
            .order_by("-excess", "started_at")
        )


class Spike(models.Model):
    """A suspected outage of one series, from onset to resolution."""

    series = models.ForeignKey(Series, on_delete=models.PROTECT, related_name="spikes")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="spikes")
    region = models.CharField(max_length=2, blank=True, help_text='"" for all regions')
    level = models.CharField(max_length=8, choices=Level.choices)
    verdict = models.CharField(max_length=10, choices=Verdict.choices, default=Verdict.SUSPECTED)
    confirmed_by = models.CharField(max_length=8, choices=ConfirmedBy.choices, blank=True)
    dismissed_reason = models.CharField(max_length=16, choices=DismissReason.choices, blank=True)
    verdict_note = models.CharField(
        max_length=300, blank=True, help_text="Why: staff's words, or the provider's incident title"
    )
    verdict_url = models.URLField(
        blank=True, help_text="The provider's incident, when the provider confirmed"
    )
    verdict_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(help_text="Estimated onset")
    detected_at = models.DateTimeField()
    peak_at = models.DateTimeField()
    peak_reports = models.PositiveIntegerField(help_text="Distinct reporters in the peak minute")
    expected_reports = models.FloatField(help_text="Expected reporters in the peak minute")
    ended_at = models.DateTimeField(null=True, blank=True)
    problems = models.JSONField(default=dict, help_text="{problem slug: share of reports}")
    regions = models.JSONField(default=dict, help_text="{region code: share of reports}")
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="spikes"
    )
    related_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sympathetic_spikes",
        help_text="Possibly related to this bigger outage elsewhere",
    )

    objects = SpikeQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["service", "-started_at"], name="spike_service_idx"),
            models.Index(fields=["-started_at"], name="spike_started_idx"),
        ]
        permissions = [("triage_spike", "Can triage spikes (confirm, dismiss, reopen)")]
        constraints = [
            # One open spike per series: a second worker on the same pass cannot
            # open a duplicate.
            models.UniqueConstraint(
                fields=["series"], condition=models.Q(ended_at__isnull=True), name="one_open_spike"
            )
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.region or 'all regions'} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    @property
    def is_confirmed(self) -> bool:
        return self.verdict == Verdict.CONFIRMED

    @property
    def is_dismissed(self) -> bool:
        return self.verdict == Verdict.DISMISSED


class SpikeAwaitingVerdict(Spike):
    """The triage queue in the admin: open spikes without a verdict, largest first."""

    class Meta:
        proxy = True
        verbose_name = "spike awaiting a verdict"
        verbose_name_plural = "triage queue"


class SpikeChange(models.Model):
    """The history of a spike: every change, with its time and who or what made it."""

    class Kind(models.TextChoices):
        OPENED = "opened", "Opened"
        LEVEL_CHANGED = "level_changed", "Level changed"
        RESOLVED = "resolved", "Resolved"
        CONFIRMED = "confirmed", "Confirmed"
        DISMISSED = "dismissed", "Dismissed"
        REOPENED = "reopened", "Reopened (back to suspected)"
        GROUPED = "grouped", "Grouped into an incident"
        RELATED = "related", "Marked possibly related"

    spike = models.ForeignKey(Spike, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField()
    kind = models.CharField(max_length=14, choices=Kind.choices)
    level = models.CharField(max_length=8, choices=Level.choices, blank=True)
    note = models.CharField(max_length=300, blank=True)
    actor = models.CharField(max_length=10, choices=Actor.choices, default=Actor.DETECTOR)
    # The staff member, or the status source, by name: kept as text so the history
    # outlives a deleted account or source.
    actor_name = models.CharField(max_length=150, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=16, choices=DismissReason.choices, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"

    @property
    def made_by(self) -> str:
        """Who made the change, e.g. "Our staff (alice)" or "The detector"."""
        who = self.get_actor_display()
        return f"{who} ({self.actor_name})" if self.actor_name else who
