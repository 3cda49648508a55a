"""One serializer per representation the API returns (and one for the series' query)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from django.utils import timezone
from rest_framework import serializers

from partners import readmodels
from reports.models import ProblemType, Region, Service
from spikes.models import Incident, Spike, SpikeChange
from spikes.timeseries import INTERVALS, Bucket

# Far enough either side for any real question, near enough that no date
# arithmetic on the range can overflow (nor PostgreSQL refuse the offset).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
DEFAULT_SPAN = timedelta(hours=24)
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


class ServiceSerializer(serializers.ModelSerializer):
    """A service with its current status. The view puts in the context every open
    spike in all regions (`open_spikes`: {service id: spike}) and every service's
    problem types (`problem_types`: {service id: [slug]})."""

    group = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    problem_types = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField(help_text='"ok", or the status of the open spike')
    level = serializers.SerializerMethodField(help_text='null, "warning" or "danger"')
    open_spike = serializers.SerializerMethodField(help_text="The id of the open spike, or null")

    class Meta:
        model = Service
        fields = [
            "slug", "name", "category", "group", "status_page_url",
            "problem_types", "status", "level", "open_spike",
        ]  # fmt: skip

    def _spike(self, service: Service) -> Spike | None:
        return self.context["open_spikes"].get(service.pk)

    def get_problem_types(self, service: Service) -> list[str]:
        return self.context["problem_types"].get(service.pk, [])

    def get_status(self, service: Service) -> str:
        spike = self._spike(service)
        return spike.status if spike else readmodels.OK

    def get_level(self, service: Service) -> str | None:
        spike = self._spike(service)
        return spike.level if spike else None

    def get_open_spike(self, service: Service) -> int | None:
        spike = self._spike(service)
        return spike.pk if spike else None


class OpenSpikeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Spike
        fields = ["id", "region", "level", "status", "started_at", "peak_reports", "expected_reports"]


class LiveStatusSerializer(serializers.ModelSerializer):
    """A service with problems: its worst level and each of its open spikes."""

    level = serializers.SerializerMethodField()
    spikes = OpenSpikeSerializer(source="open_spikes", many=True, read_only=True)

    class Meta:
        model = Service
        fields = ["slug", "name", "level", "spikes"]

    def get_level(self, service: Service) -> str:
        return readmodels.level_of(service)


def iso(moment: datetime | None) -> str | None:
    """A time as DRF's DateTimeField writes it in UTC: ISO 8601 with a Z."""
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class SpikeSerializer(serializers.ModelSerializer):
    """A spike. to_representation reads the attributes directly: a page is 50 to
    200 spikes, and DRF's field-by-field path was most of the request's time."""

    service = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    service_name = serializers.CharField(source="service.name", read_only=True)
    region = serializers.CharField(help_text='ISO code, or "" for all regions together')
    problems = serializers.DictField(child=serializers.FloatField(), help_text="{problem slug: share}")
    regions = serializers.DictField(child=serializers.FloatField(), help_text="{region code: share}")

    class Meta:
        model = Spike
        fields = [
            "id", "service", "service_name", "region", "level", "status", "started_at", "detected_at",
            "peak_at", "peak_reports", "expected_reports", "ended_at", "problems", "regions",
            "incident", "related_to",
        ]  # fmt: skip

    def to_representation(self, spike: Spike) -> dict:
        return {
            "id": spike.pk,
            "service": spike.service.slug,
            "service_name": spike.service.name,
            "region": spike.region,
            "level": spike.level,
            "status": spike.status,
            "started_at": iso(spike.started_at),
            "detected_at": iso(spike.detected_at),
            "peak_at": iso(spike.peak_at),
            "peak_reports": spike.peak_reports,
            "expected_reports": spike.expected_reports,
            "ended_at": iso(spike.ended_at),
            "problems": spike.problems,
            "regions": spike.regions,
            "incident": spike.incident_id,
            "related_to": spike.related_to_id,
        }


class SpikeChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = SpikeChange
        fields = ["at", "kind", "level", "note"]


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
        fields = ["id", "service", "region", "level", "status", "started_at", "ended_at"]


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
