"""A webhook endpoint as its partner sees and edits it."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from rest_framework import serializers

from partners.models import WebhookEndpoint
from reports.models import Region, Service, ServiceGroup


def public_url(url: str) -> str:
    """Refuse URLs that point into our own network: a partner must not make this
    server POST to its internal services (unless WEBHOOK_ALLOW_PRIVATE_URLS)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise serializers.ValidationError("The URL must start with https:// (or http://).")
    if settings.WEBHOOK_ALLOW_PRIVATE_URLS:
        return url
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except (socket.gaierror, UnicodeError, ValueError):
        raise serializers.ValidationError(f"The host {parts.hostname!r} cannot be resolved.") from None
    for address in addresses:
        if not ipaddress.ip_address(address.split("%")[0]).is_global:
            raise serializers.ValidationError(
                f"The host {parts.hostname!r} is a private or local address ({address}); use a public one."
            )
    return url


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
    secret = serializers.CharField(read_only=True, help_text="Verify every delivery's signature with it")

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id", "url", "services", "groups", "regions", "min_level", "secret",
            "is_active", "consecutive_failures", "disabled_at", "created_at",
        ]  # fmt: skip
        read_only_fields = ["is_active", "consecutive_failures", "disabled_at", "created_at"]

    def validate_url(self, value: str) -> str:
        return public_url(value)

    def validate_regions(self, value: list[str]) -> list[str]:
        codes = [v.strip().upper() for v in value]
        known = set(Region.objects.filter(code__in=codes).values_list("code", flat=True)) | {"ALL"}
        unknown = [v for v, code in zip(value, codes) if code not in known]
        if unknown:
            raise serializers.ValidationError(
                f"Unknown region(s): {', '.join(map(repr, unknown))}. Use ISO codes or 'all'."
            )
        return sorted({"all" if code == "ALL" else code for code in codes})
