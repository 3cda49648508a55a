"""The service catalog and the problem reports filed against it."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import models
from django.utils import timezone

from reports.repeats import repeat_window


class Category(models.TextChoices):
    MESSAGING = "messaging", "Messaging"
    SOCIAL = "social", "Social media"
    VIDEO = "video", "Video and TV"
    MUSIC = "music", "Music"
    GAMING = "gaming", "Gaming"
    EMAIL = "email", "Email"
    BANKING = "banking", "Banking"
    PAYMENTS = "payments", "Payments"
    CLOUD = "cloud", "Cloud and developer"
    ISP = "isp", "Internet providers"
    MOBILE = "mobile", "Mobile carriers"
    SHOPPING = "shopping", "Shopping"
    PRODUCTIVITY = "productivity", "Productivity"
    SEARCH = "search", "Search"
    AI = "ai", "AI assistants"
    PUBLIC = "public", "Public services"
    TRANSPORT = "transport", "Travel and transport"
    OTHER = "other", "Other"


class Named(models.Model):
    """A catalog entry known by a slug in URLs and the API, and a name on the site."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceGroup(Named):
    """The owner of several services (Meta, Alphabet...): their outages often come together."""


class ProblemType(Named):
    """A kind of failure users report ("Pictures", "Login"), shared across services."""


class Region(models.Model):
    """An ISO 3166-1 country, loaded from pycountry by a data migration."""

    code = models.CharField(max_length=2, primary_key=True, help_text="ISO 3166-1 alpha-2")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceQuerySet(models.QuerySet):
    def active(self) -> ServiceQuerySet:
        return self.filter(is_active=True)

    def offered_in(self, country: str) -> ServiceQuerySet:
        """Services offered in `country`: the worldwide ones (no country listed) and
        the ones that list it."""
        presence = Service.countries.through.objects.filter(service_id=models.OuterRef("pk"))
        return self.filter(~models.Exists(presence) | models.Exists(presence.filter(region_id=country)))


class Service(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    category = models.CharField(max_length=20, choices=Category.choices)
    group = models.ForeignKey(
        ServiceGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="services"
    )
    status_page_url = models.URLField(blank=True, help_text="The provider's official status page.")
    is_active = models.BooleanField(
        default=True, help_text="Inactive services accept no reports and are not shown."
    )
    problem_types = models.ManyToManyField(ProblemType, through="ServiceProblem", related_name="services")
    countries = models.ManyToManyField(
        Region,
        blank=True,
        related_name="local_services",
        help_text="The countries where it is offered; none for a service offered worldwide.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def ordered_problem_types(self) -> list[ProblemType]:
        return [sp.problem_type for sp in self.service_problems.select_related("problem_type")]


class ServiceProblem(models.Model):
    """The problem types a service offers in its report form, in their order."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="service_problems")
    problem_type = models.ForeignKey(ProblemType, on_delete=models.PROTECT)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["service", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["service", "problem_type"], name="unique_service_problem")
        ]

    def __str__(self) -> str:
        return f"{self.service}: {self.problem_type}"


class Source(models.TextChoices):
    WEB = "web", "Web form"
    API = "api", "API"


class ReportQuerySet(models.QuerySet):
    def distinct_reporters(self) -> ReportQuerySet:
        """First reports only: a reporter's repeats within the repeat window are left out."""
        return self.filter(is_repeat=False)

    def with_visible_comments(self) -> ReportQuerySet:
        return self.exclude(comment="").filter(comment_hidden=False)

    def is_repeat_of(self, service_id: int, fingerprint: str, at: datetime) -> bool:
        """Whether a report by this reporter for this service at `at` is a repeat
        (reports.repeats: an earlier one within the repeat window)."""
        window = repeat_window()
        return self.filter(
            service_id=service_id, fingerprint=fingerprint, created_at__gt=at - window, created_at__lte=at
        ).exists()


class Report(models.Model):
    """One person's "it is not working" for one service, problem and region.

    The reporter is known only by `fingerprint`, a keyed hash of the client address
    and user agent whose key changes every day (see reports.fingerprint): the raw
    address is never stored.
    """

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="reports")
    problem = models.ForeignKey(ProblemType, on_delete=models.PROTECT, related_name="reports")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="reports")
    # A first-level ISO 3166-2 subdivision of the region ("DE-BY"), as the reporter
    # chose it (never derived from the address); "" when not given.
    subdivision = models.CharField(max_length=6, blank=True, default="", db_default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    comment = models.CharField(max_length=280, blank=True)
    comment_hidden = models.BooleanField(default=False, help_text="Hidden by a moderator.")
    source = models.CharField(max_length=3, choices=Source.choices)
    fingerprint = models.CharField(max_length=32, editable=False)
    is_repeat = models.BooleanField(
        default=False,
        editable=False,
        help_text="The same reporter already reported this service within the repeat window.",
    )

    # Made at intake and kept through the Redis stream: the mover inserts with ON
    # CONFLICT DO NOTHING on it, so a report delivered twice is stored once. Unique
    # with created_at (see Meta): a report keeps its acceptance time on every path.
    intake_id = models.UUIDField(default=uuid.uuid4, null=True, editable=False)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # On PostgreSQL the table is partitioned by created_at (spikes/partitions.py),
            # and a unique constraint there must include the partition key. Both ways
            # to store a report (the mover and the direct commit) store the same
            # created_at with the same intake id, so this still means "stored once".
            models.UniqueConstraint(fields=["intake_id", "created_at"], name="report_stored_once"),
        ]
        indexes = [
            # Counting reads reports by time range, minute after minute.
            models.Index(fields=["created_at"], name="report_created_idx"),
            # The repeat check on every report: this reporter, this service, lately.
            models.Index(fields=["service", "fingerprint", "created_at"], name="report_repeat_idx"),
            # The service page's recent comments: the newest visible comments of one
            # service, without walking millions of comment-less reports.
            models.Index(
                fields=["service", "-created_at"],
                condition=~models.Q(comment="") & models.Q(comment_hidden=False),
                name="report_visible_comment_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} / {self.problem} / {self.region_id} at {self.created_at:%Y-%m-%d %H:%M}"


class FingerprintKey(models.Model):
    """The secret of one UTC day's reporter fingerprints; deleted after two days, so
    that older fingerprints can no longer be linked to an address."""

    day = models.DateField(primary_key=True)
    key = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"fingerprint key of {self.day}"
