"""The providers' side in the API: their incidents with every update, and what
each provider's status page says now with its record of owning up."""

from __future__ import annotations

from rest_framework import serializers

from outagewatch.times import iso_utc
from statuspages.acknowledgements import Record
from statuspages.models import ProviderIncident, ProviderIncidentUpdate
from statuspages.word import ProviderWord


class ProviderIncidentUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProviderIncidentUpdate
        fields = ["at", "status", "body"]


class ProviderIncidentSerializer(serializers.ModelSerializer):
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    source = serializers.CharField(source="source.name", help_text="The status page it was read from")
    kind = serializers.SerializerMethodField(help_text='"incident" or "maintenance"')
    spikes = serializers.SerializerMethodField(help_text="Ids of the crowd's spikes it was matched to")

    class Meta:
        model = ProviderIncident
        fields = [
            "id", "service", "source", "kind", "provider_id", "title", "status", "impact", "components",
            "regions", "started_at", "acknowledged_at", "updated_at", "resolved_at", "scheduled_for",
            "scheduled_until", "url", "spikes",
        ]  # fmt: skip

    def get_kind(self, incident: ProviderIncident) -> str:
        return "maintenance" if incident.is_maintenance else "incident"

    def get_spikes(self, incident: ProviderIncident) -> list[int]:
        return sorted(m.spike_id for m in incident.matches.all())


class ProviderIncidentDetailSerializer(ProviderIncidentSerializer):
    updates = ProviderIncidentUpdateSerializer(many=True, read_only=True)

    class Meta(ProviderIncidentSerializer.Meta):
        fields = [*ProviderIncidentSerializer.Meta.fields, "updates"]


class RecordSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    outages = serializers.IntegerField(help_text="Outages users reported (problems detected, not dismissed)")
    acknowledged = serializers.IntegerField(help_text="Of those, how many the provider acknowledged")
    median_lag_minutes = serializers.FloatField(
        allow_null=True,
        help_text="From our detection to the provider's first word; negative: the provider was first",
    )
    sentence = serializers.CharField()


class ProviderStatusSerializer(serializers.Serializer):
    """A service's provider: what its status page says now, and its record."""

    service = serializers.CharField()
    source = serializers.CharField(help_text="The status page")
    link = serializers.URLField()
    state = serializers.ChoiceField(
        choices=["operational", "problems", "maintenance", "unreachable", "stale"],
        help_text="unreachable: the page keeps failing; stale: not read lately. Neither is ever operational.",
    )
    says = serializers.CharField(help_text='"Degraded performance", "All systems operational"...')
    since = serializers.DateTimeField(allow_null=True)
    components = serializers.ListField(child=serializers.CharField(), help_text="Components not operational")
    incidents = serializers.ListField(
        child=serializers.IntegerField(), help_text="Provider incidents going on"
    )
    record = RecordSerializer(allow_null=True)

    def to_representation(self, item: tuple[str, ProviderWord, Record | None]) -> dict:
        slug, word, record = item
        return {
            "service": slug,
            "source": word.name,
            "link": word.link,
            "state": word.state,
            "says": word.says,
            "since": iso_utc(word.since),
            "components": word.components,
            "incidents": [i.pk for i in word.incidents],
            "record": None
            if record is None
            else {
                "days": record.days,
                "outages": record.outages,
                "acknowledged": record.acknowledged,
                "median_lag_minutes": record.median_lag_minutes,
                "sentence": record.sentence,
            },
        }
