"""Counts, series, spikes (suspected outages) and incidents.

A *series* is one service in one region, or in all regions (region ""). Counts are
kept per minute; the detector reads distinct reporters per series and minute, never
raw reports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models.fields.json import KeyTransform
from django.utils import timezone

from outagewatch.times import iso_utc
from reports.models import ProblemType, Report, Service, ServiceGroup

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


class SubdivisionMinute(models.Model):
    """Reports and distinct reporters in one minute for one service in one
    subdivision of a country (Report.subdivision): where in the country a
    country's series comes from. Only reports that name a subdivision are counted
    here. Detection does not read it; the country pages and spike pages do.

    Its own rollup rather than a subdivision in MinuteCount's key: the problem
    breakdowns and the detector's counts keep their size, and a country's
    breakdown by subdivision is one index range (service, country, minutes)."""

    minute = models.DateTimeField()
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    region = models.CharField(max_length=2)
    subdivision = models.CharField(max_length=6)
    reports = models.PositiveIntegerField()
    reporters = models.PositiveIntegerField()

    class Meta:
        constraints = [
            # Also what the breakdown reads: one service in one country over a range
            # of minutes, the subdivision and reporters in the index (index-only).
            models.UniqueConstraint(
                fields=["service", "region", "minute", "subdivision"],
                include=["reporters"],
                name="unique_subdivision_minute",
            )
        ]
        # Recounting a range of minutes deletes and rewrites them by time.
        indexes = [models.Index(fields=["minute"], name="subdivisionminute_minute_idx")]

    def __str__(self) -> str:
        return f"{self.service_id}/{self.subdivision} at {self.minute:%Y-%m-%d %H:%M}: {self.reporters}"


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


class StatusLevel(models.TextChoices):
    """The answer to "is this service down right now?" (ServiceStatus.level)."""

    OK = "ok", "No current problems"
    WARNING = "warning", "Possible problems"
    DANGER = "danger", "Problems detected"
    RECOVERING = "recovering", "Recovering"


_RANK = {Level.WARNING: 1, Level.DANGER: 2}


@dataclass(frozen=True)
class ServiceStatus:
    """Whether a service is down, answered once for the site, the feeds, the API and
    the webhooks alike (SpikeQuerySet.status_for and .statuses build it).

    The rule:
    - Counted: the service's open spikes that staff did not dismiss, in all regions
      together and in single regions alike. A regional spike is as much an outage
      as a global one (the level rolls up), only narrower: `regions` says where.
    - A spike is *active* until its series is back within its usual range: the
      detector keeps a spike open for an hour of normal reports before closing it
      (hysteresis), and says from which minute reports were back to normal
      (Spike.back_to_normal_at). That minute is also the spike's end once closed.
    - level: the worst level among active spikes; "recovering" when every open
      spike is back to normal; "ok" without open spikes.
    - since: the onset of the earliest open spike (started_at); recovering_since:
      the minute the last of them was back to normal.
    """

    level: str
    spikes: tuple[Spike, ...] = ()
    since: datetime | None = None
    recovering_since: datetime | None = None

    @classmethod
    def of(cls, spikes: Iterable[Spike]) -> ServiceStatus:
        counted = sorted(
            (s for s in spikes if s.ended_at is None and s.verdict != Verdict.DISMISSED),
            key=lambda s: (s.region != ALL_REGIONS, -_RANK.get(s.level, 0), s.started_at, s.region),
        )
        if not counted:
            return cls(StatusLevel.OK)
        since = min(s.started_at for s in counted)
        active = [s for s in counted if s.back_to_normal_at is None]
        if active:
            level = max((s.level for s in active), key=lambda lv: _RANK.get(lv, 0))
            return cls(level, tuple(counted), since)
        recovered = max(s.back_to_normal_at for s in counted)
        return cls(StatusLevel.RECOVERING, tuple(counted), since, recovered)

    @property
    def is_ok(self) -> bool:
        return self.level == StatusLevel.OK

    @property
    def label(self) -> str:
        return StatusLevel(self.level).label

    @property
    def lead(self) -> Spike | None:
        """The spike that speaks for the service: the all-regions one, else the
        worst regional one (the earliest of equals)."""
        return self.spikes[0] if self.spikes else None

    @property
    def regions(self) -> list[str]:
        """Regions with an open spike of their own, by code."""
        return sorted({s.region for s in self.spikes if s.region != ALL_REGIONS})

    @property
    def is_regional(self) -> bool:
        """Only single regions spike (no all-regions spike is open)."""
        return bool(self.spikes) and all(s.region != ALL_REGIONS for s in self.spikes)

    @property
    def confirmed_by(self) -> str:
        """ "provider" or "staff" when the lead spike is confirmed, else ""."""
        lead = self.lead
        if lead is None or lead.verdict != Verdict.CONFIRMED:
            return ""
        return lead.confirmed_by or ConfirmedBy.STAFF

    def as_dict(self) -> dict:
        """The JSON form the API and the webhooks send."""
        lead = self.lead
        return {
            "level": self.level,
            "since": iso_utc(self.since),
            "recovering_since": iso_utc(self.recovering_since),
            "regions": self.regions,
            "spike": lead.pk if lead else None,
        }


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

    def with_recovery(self) -> SpikeQuerySet:
        """Annotated with the detector's "back to normal since" of each spike's
        series (read from Series.detector_state, no extra query). The key is read as
        JSON, not as text: SQLite gives a JSON null back as the text 'null'."""
        return self.annotate(_quiet_start=KeyTransform("quiet_start", "series__detector_state"))

    def status_for(self, service: Service | int, region: str | None = None) -> ServiceStatus:
        """Is this service down? With `region`, in that region (its own spike, and
        the all-regions one, which concerns everyone). One query."""
        spikes = self.open().with_recovery().filter(service=service)
        if region is not None:
            spikes = spikes.filter(region__in=[ALL_REGIONS, region])
        return ServiceStatus.of(spikes.select_related("related_to__service", "incident__group"))

    def statuses(self, services: Iterable[int] | None = None) -> dict[int, ServiceStatus]:
        """{service id: status} of every service with an open spike (of `services`,
        if given); a service missing from it is OK. One query."""
        spikes = (
            self.open().with_recovery().select_related("service", "related_to__service", "incident__group")
        )
        if services is not None:
            spikes = spikes.filter(service__in=list(services))
        by_service: dict[int, list[Spike]] = {}
        for spike in spikes:
            by_service.setdefault(spike.service_id, []).append(spike)
        return {pk: ServiceStatus.of(group) for pk, group in by_service.items()}

    def outages(self) -> SpikeQuerySet:
        """One row per outage: the spikes that head one (see Spike.part_of)."""
        return self.filter(part_of__isnull=True)


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
    # One outage, one entry: the regional spikes of an outage (and an all-regions
    # spike that came after one of them) point at the spike that heads it, which
    # is its all-regions spike when it has one (spikes.incidents.join_outage).
    part_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="parts",
        help_text="The spike heading the outage this one is part of; empty for a head",
    )
    people = models.PositiveIntegerField(
        null=True, blank=True, help_text="Distinct people who reported from onset to the end (or now)"
    )

    objects = SpikeQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["service", "-started_at"], name="spike_service_idx"),
            models.Index(fields=["-started_at"], name="spike_started_idx"),
            # Recently ended outages (the home page, a country's edition): the newest
            # ends first, until ten match (9 of an edition page's 25 ms without it).
            models.Index(fields=["-ended_at"], name="spike_ended_idx"),
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

    def as_json(self) -> dict:
        """The spike's one JSON form: the partner API, the webhooks and the backtest's
        export all write it (needs `service`; select_related it for many spikes)."""
        return {
            "id": self.pk,
            "service": self.service.slug,
            "service_name": self.service.name,
            "region": self.region,
            "level": self.level,
            "verdict": self.verdict,
            "confirmed_by": self.confirmed_by or None,
            "dismissed_reason": self.dismissed_reason or None,
            "verdict_note": self.verdict_note,
            "verdict_url": self.verdict_url or None,
            "verdict_at": iso_utc(self.verdict_at),
            "started_at": iso_utc(self.started_at),
            "detected_at": iso_utc(self.detected_at),
            "peak_at": iso_utc(self.peak_at),
            "peak_reports": self.peak_reports,
            "expected_reports": self.expected_reports,
            "ended_at": iso_utc(self.ended_at),
            "problems": self.problems,
            "regions": self.regions,
            "incident": self.incident_id,
            "related_to": self.related_to_id,
        }

    @property
    def back_to_normal_at(self) -> datetime | None:
        """While open: the minute from which the detector judges the series back
        within its usual range (it closes the spike, with that minute as its end,
        after an hour of it). None while reports are still high, or unknown (the
        queryset was not annotated by with_recovery())."""
        epoch = getattr(self, "_quiet_start", None)
        if self.ended_at is not None or epoch is None:
            return None
        return datetime.fromtimestamp(float(epoch), tz=UTC)

    def count_people(self, until: datetime) -> int:
        """Distinct reporters (fingerprints) from onset to the end, or `until`. A
        fingerprint's key changes every UTC day, so someone reporting on both sides
        of midnight counts twice."""
        reports = Report.objects.filter(
            service_id=self.service_id, created_at__gte=self.started_at, created_at__lt=self.ended_at or until
        )
        if self.region != ALL_REGIONS:
            reports = reports.filter(region_id=self.region)
        return reports.values("fingerprint").distinct().count()

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
