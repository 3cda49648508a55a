"""One serializer per representation the API returns (and one for the series' query)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from django.utils import timezone
from rest_framework import serializers

from outagewatch.times import iso_utc
from partners import readmodels
from reports.models import ProblemType, Region, Service
from spikes.models import ConfirmedBy, DismissReason, Incident, ServiceStatus, Spike, SpikeChange, StatusLevel
from spikes.timeseries import INTERVALS, Bucket

# Far enough either side for any real question, near enough that no date
# arithmetic on the range can overflow (nor PostgreSQL refuse the offset).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
DEFAULT_SPAN = timedelta(hours=24)
NO_PROBLEMS = ServiceStatus(StatusLevel.OK)
# The offsets in use on Earth run from -12:00 to +14:00; PostgreSQL refuses some
# that Python reads (-22:00), and nobody means them.
OFFSETS = (timedelta(hours=-12), timedelta(hours=14))


def utc_instant(moment: datetime) -> datetime:
    """An aware time from a request, in UTC; ValueError saying what is wrong with it
    (an offset no place uses, or a time outside 2000 to 2100)."""
    offset = moment.utcoffset()
    if offset is not None and not OFFSETS[0] <= offset <= OFFSETS[1]:
        raise ValueError(f"The offset {moment:%z} is not one any place uses (from -1200 to +1400).")
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before the year 1 in UTC
        moment = EARLIEST - timedelta(days=1)
    if not EARLIEST <= moment <= LATEST:
        raise ValueError("Give a time between 2000 and 2100, e.g. 2026-03-05T17:42:00Z.")
    return moment


class ProblemTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProblemType
        fields = ["slug", "name"]


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["code", "name"]


class ServiceStatusFields(serializers.Serializer):
    """The service's answer to "is it down?" (spikes.models.ServiceStatus), the
    same the site's banner gives. Subclasses say where the status comes from."""

    level = serializers.SerializerMethodField(
        help_text='null (no problems), "warning", "danger", or "recovering" (every open spike is '
        "back within its usual range; the spikes close after an hour of it)"
    )
    since = serializers.SerializerMethodField(help_text="Onset of the earliest open spike, or null")
    recovering_since = serializers.SerializerMethodField(
        help_text="While recovering: since when reports are back within their usual range"
    )
    regions = serializers.SerializerMethodField(help_text="Regions with an open spike of their own")

    def status_of(self, service: Service) -> ServiceStatus:
        raise NotImplementedError

    def get_level(self, service: Service) -> str | None:
        status = self.status_of(service)
        return None if status.is_ok else status.level

    def get_since(self, service: Service) -> str | None:
        return iso_utc(self.status_of(service).since)

    def get_recovering_since(self, service: Service) -> str | None:
        return iso_utc(self.status_of(service).recovering_since)

    def get_regions(self, service: Service) -> list[str]:
        return self.status_of(service).regions


class ServiceSerializer(ServiceStatusFields, serializers.ModelSerializer):
    """A service with its current status. The view puts in the context every
    service's status (`statuses`: {service id: ServiceStatus}, OK when missing) and
    problem types (`problem_types`: {service id: [slug]})."""

    group = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    problem_types = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField(help_text='"ok", or the status of the open spike')
    open_spike = serializers.SerializerMethodField(
        help_text="The open spike that speaks for the service (all regions, else the worst region), or null"
    )

    class Meta:
        model = Service
        fields = [
            "slug", "name", "category", "group", "status_page_url",
            "problem_types", "status", "level", "since", "recovering_since", "regions", "open_spike",
        ]  # fmt: skip

    def status_of(self, service: Service) -> ServiceStatus:
        return self.context["statuses"].get(service.pk) or NO_PROBLEMS

    def get_problem_types(self, service: Service) -> list[str]:
        return self.context["problem_types"].get(service.pk, [])

    def get_status(self, service: Service) -> str:
        lead = self.status_of(service).lead
        return lead.verdict if lead else readmodels.OK

    def get_open_spike(self, service: Service) -> int | None:
        lead = self.status_of(service).lead
        return lead.pk if lead else None


class OpenSpikeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Spike
        fields = ["id", "region", "level", "verdict", "started_at", "peak_reports", "expected_reports"]


class LiveStatusSerializer(ServiceStatusFields, serializers.ModelSerializer):
    """A service with problems: its status and each of its open spikes."""

    spikes = OpenSpikeSerializer(source="open_spikes", many=True, read_only=True)

    class Meta:
        model = Service
        fields = ["slug", "name", "level", "since", "recovering_since", "regions", "spikes"]

    def status_of(self, service: Service) -> ServiceStatus:
        return readmodels.status_of(service)


class SpikeSerializer(serializers.ModelSerializer):
    """A spike. to_representation reads the attributes directly: a page is 50 to
    200 spikes, and DRF's field-by-field path was most of the request's time."""

    service = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    service_name = serializers.CharField(source="service.name", read_only=True)
    region = serializers.CharField(help_text='ISO code, or "" for all regions together')
    problems = serializers.DictField(child=serializers.FloatField(), help_text="{problem slug: share}")
    regions = serializers.DictField(child=serializers.FloatField(), help_text="{region code: share}")
    confirmed_by = serializers.ChoiceField(
        choices=ConfirmedBy.choices,
        allow_null=True,
        help_text="Who confirmed it, when the verdict is confirmed",
    )
    dismissed_reason = serializers.ChoiceField(
        choices=DismissReason.choices, allow_null=True, help_text="Why, when the verdict is dismissed"
    )
    verdict_note = serializers.CharField(
        help_text="Staff's words on the verdict, or the provider's incident title; may be empty"
    )
    verdict_url = serializers.URLField(
        allow_null=True, help_text="The provider's incident, when the provider confirmed"
    )

    class Meta:
        model = Spike
        fields = [
            "id", "service", "service_name", "region", "level", "verdict", "confirmed_by", "dismissed_reason",
            "verdict_note", "verdict_url", "verdict_at", "started_at", "detected_at",
            "peak_at", "peak_reports", "expected_reports", "ended_at", "problems", "regions",
            "incident", "related_to",
        ]  # fmt: skip

    def to_representation(self, spike: Spike) -> dict:
        return spike.as_json()


class SpikeChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = SpikeChange
        # Who made a change is "detector", "staff" or "provider"; a staff member's
        # name stays in the admin.
        fields = ["at", "kind", "level", "note", "actor", "reason"]


class SpikeDetailSerializer(SpikeSerializer):
    history = SpikeChangeSerializer(source="changes", many=True, read_only=True)

    class Meta(SpikeSerializer.Meta):
        fields = [*SpikeSerializer.Meta.fields, "history"]

    def to_representation(self, spike: Spike) -> dict:
        history = SpikeChangeSerializer(spike.changes.all(), many=True).data
        return super().to_representation(spike) | {"history": history}


class IncidentSpikeSerializer(serializers.ModelSerializer):
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Spike
        fields = ["id", "service", "region", "level", "verdict", "started_at", "ended_at"]


class IncidentSerializer(serializers.ModelSerializer):
    group = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    spikes = IncidentSpikeSerializer(many=True, read_only=True)

    class Meta:
        model = Incident
        fields = ["id", "kind", "group", "started_at", "ended_at", "spikes"]


class BucketListSerializer(serializers.ListSerializer):
    """A day of 1-minute buckets is 1,440 of them: the dicts are built in one pass,
    with the times formatted by numpy at once, not field by field through DRF (which
    was most of a request's time)."""

    def to_representation(self, data: list[Bucket]) -> list[dict]:
        epochs = np.fromiter((int(b.start.timestamp()) for b in data), dtype=np.int64, count=len(data))
        starts = np.datetime_as_string(epochs.astype("datetime64[s]"), unit="s", timezone="UTC").tolist()
        return [
            {
                "start": start,
                "reports": b.reports,
                "reporters": b.reporters,
                "expected": b.expected,
                "low": b.low,
                "high": b.high,
            }
            for start, b in zip(starts, data)
        ]


class BucketSerializer(serializers.Serializer):
    """One bucket of a series (the fields document its shape for the schema)."""

    start = serializers.DateTimeField()
    reports = serializers.IntegerField(help_text="Reports filed in the bucket")
    reporters = serializers.IntegerField(help_text="Distinct reporters, summed over the bucket's minutes")
    expected = serializers.FloatField(allow_null=True, help_text="Expected reporters (null: no baseline yet)")
    low = serializers.FloatField(allow_null=True, help_text="Lower edge of the usual band")
    high = serializers.FloatField(allow_null=True, help_text="Upper edge of the usual band")

    class Meta:
        list_serializer_class = BucketListSerializer


class SeriesSerializer(serializers.Serializer):
    service = serializers.SlugField()
    region = serializers.CharField(help_text='ISO code, or "" for all regions together')
    interval = serializers.ChoiceField(choices=list(INTERVALS))
    buckets = BucketSerializer(many=True)


class InstantField(serializers.DateTimeField):
    """A time as given, its offset kept, for `utc_instant` to judge (DRF's own
    would turn -22:00 into UTC silently)."""

    def enforce_timezone(self, value: datetime) -> datetime:
        return value if value.utcoffset() is not None else super().enforce_timezone(value)


class SeriesQuerySerializer(serializers.Serializer):
    """The query string of a series: interval, from, until, region."""

    interval = serializers.ChoiceField(
        choices=list(INTERVALS),
        default="5m",
        error_messages={
            "invalid_choice": "interval must be one of " + ", ".join(INTERVALS) + ", not {input!r}."
        },
    )
    region = serializers.CharField(required=False, default="", allow_blank=True, max_length=3)

    def get_fields(self):
        # `from` is a Python keyword, so these two cannot be declared as attributes.
        fields = super().get_fields()
        fields["from"] = InstantField(required=False)
        fields["until"] = InstantField(required=False)
        return fields

    def validate_region(self, value: str) -> str:
        code = value.strip().upper()
        if code in ("", "ALL"):
            return ""
        if not Region.objects.filter(code=code).exists():
            raise serializers.ValidationError(
                f"There is no region {value!r}: use an ISO 3166-1 code such as US (see /api/v1/regions/), or leave it out for all regions."
            )
        return code

    def validate(self, attrs: dict) -> dict:
        for name in ("from", "until"):
            if attrs.get(name) is not None:
                try:
                    attrs[name] = utc_instant(attrs[name])
                except ValueError as bad:
                    raise serializers.ValidationError({name: [str(bad)]}) from None
        until = attrs.get("until") or timezone.now()
        start = attrs.get("from") or until - DEFAULT_SPAN
        if until <= start:
            raise serializers.ValidationError({"until": ["until must come after from."]})
        attrs["from"], attrs["until"] = start, until
        return attrs
