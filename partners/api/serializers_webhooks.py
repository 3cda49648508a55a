"""A webhook endpoint as its partner sees and edits it."""

from __future__ import annotations

from rest_framework import serializers

from partners.models import WebhookEndpoint
from reports.models import Region, Service, ServiceGroup


class WebhookEndpointSerializer(serializers.ModelSerializer):
    services = serializers.SlugRelatedField(
        slug_field="slug", many=True, required=False, queryset=Service.objects.all(), help_text="Empty: all"
    )
    groups = serializers.SlugRelatedField(
        slug_field="slug",
        many=True,
        required=False,
        queryset=ServiceGroup.objects.all(),
        help_text="Empty: all",
    )
    regions = serializers.ListField(
        child=serializers.CharField(max_length=3),
        required=False,
        help_text='ISO codes, and "all" for the all-regions series. Empty: any.',
    )
    secret = serializers.CharField(
        read_only=True,
        help_text="whsec_...: verify every delivery's webhook-signature with it (Standard Webhooks)",
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id", "url", "services", "groups", "regions", "min_level", "secret", "legacy_signature",
            "is_active", "consecutive_failures", "disabled_at", "created_at",
        ]  # fmt: skip
        read_only_fields = ["is_active", "consecutive_failures", "disabled_at", "created_at"]

    def validate_regions(self, value: list[str]) -> list[str]:
        codes = [v.strip().upper() for v in value]
        known = set(Region.objects.filter(code__in=codes).values_list("code", flat=True)) | {"ALL"}
        unknown = [v for v, code in zip(value, codes) if code not in known]
        if unknown:
            raise serializers.ValidationError(
                f"Unknown region(s): {', '.join(map(repr, unknown))}. Use ISO codes or 'all'."
            )
        return sorted({"all" if code == "ALL" else code for code in codes})
