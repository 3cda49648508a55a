"""Partner keys over HTTP: `Authorization: Bearer <key>` or `X-API-Key: <key>`."""

from __future__ import annotations

from django.core.cache import cache
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from partners import keys
from partners.models import PartnerKey

# last_used_at is written at most once a minute per key, not on every request.
LAST_USED_RESOLUTION = 60


def raw_key(request: Request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise exceptions.AuthenticationFailed(
                "The Authorization header must read 'Bearer <your API key>'."
            )
        return value.strip()
    return request.META.get("HTTP_X_API_KEY", "").strip() or None


class PartnerKeyAuthentication(authentication.BaseAuthentication):
    """No key: an anonymous read. A key that is unknown or revoked: 401, never anonymous."""

    def authenticate(self, request: Request) -> tuple[None, PartnerKey] | None:
        raw = raw_key(request)
        if raw is None:
            return None
        try:
            key = keys.authenticate(raw)
        except keys.InvalidKey as invalid:
            raise exceptions.AuthenticationFailed(str(invalid)) from None
        if cache.add(f"key-used:{key.pk}", 1, LAST_USED_RESOLUTION):
            PartnerKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
        return (None, key)

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="outagewatch"'
