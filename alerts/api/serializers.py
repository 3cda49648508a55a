"""A newsroom channel as its partner sees and edits it."""

from __future__ import annotations

from rest_framework import serializers

from alerts.models import ChannelDelivery, NewsroomChannel
from reports.catalog import get_catalog
from reports.models import Service


class NewsroomChannelSerializer(serializers.ModelSerializer):
    services = serializers.SlugRelatedField(
        slug_field="slug",
        many=True,
        required=False,
        queryset=Service.objects.all(),
        help_text="Only these services; empty: any (or the category's)",
    )
    regions = serializers.ListField(
        child=serializers.CharField(max_length=3),
        required=False,
        help_text='ISO codes, and "all" for the all-regions series. Default: ["all"].',
    )
    secret = serializers.CharField(
        read_only=True, help_text="Webhook channels: verify every delivery's signature with it"
    )

    class Meta:
        model = NewsroomChannel
        fields = [
            "id", "name", "kind", "url", "services", "category", "regions", "secret",
            "is_active", "consecutive_failures", "disabled_at", "created_at",
        ]  # fmt: skip
        read_only_fields = ["consecutive_failures", "disabled_at", "created_at"]

    def validate_regions(self, value: list[str]) -> list[str]:
        codes = {v.strip().upper() for v in value} or {"ALL"}
        unknown = sorted(codes - get_catalog().regions - {"ALL"})
        if unknown:
            raise serializers.ValidationError(
                f"Unknown region(s): {', '.join(unknown)}. Use ISO codes or 'all'."
            )
        return sorted("all" if code == "ALL" else code for code in codes)

    def validate(self, data: dict) -> dict:
        services = data.get(
            "services", getattr(self.instance, "pk", None) and list(self.instance.services.all())
        )
        category = data.get("category", getattr(self.instance, "category", ""))
        if services and category:
            raise serializers.ValidationError(
                {"category": ["Choose a category or a list of services, not both."]}
            )
        if data.get("is_active") and self.instance is not None and not self.instance.is_active:
            data["consecutive_failures"], data["disabled_at"] = 0, None
        return data


class ChannelTestSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChannelDelivery
        fields = ["status", "response_status", "error"]
