"""Partner keys over HTTP: `Authorization: Bearer <key>` or `X-API-Key: <key>`.

Failed authentications are limited per client address (PARTNER_API_BAD_KEY_RATE):
past the limit, any request that carries a key gets a 429 before the key is even
looked up, until the window ends. Reads without a key are not affected.
"""

from __future__ import annotations

from django.core.cache import cache
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from outagewatch import api_errors
from partners import keys, quotas
from partners.api.throttling import address_key
from partners.models import PartnerKey
from reports.ratelimit import RateDecision

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
        client = address_key(request)
        standing = quotas.failed_authentications(client)
        if not standing.allowed:
            raise _too_many_failures(standing)
        try:
            key = keys.authenticate(raw)
        except keys.InvalidKey as invalid:
            counted = quotas.count_failed_authentication(client)
            if not counted.allowed:
                raise _too_many_failures(counted) from None
            raise exceptions.AuthenticationFailed(str(invalid)) from None
        if cache.add(f"key-used:{key.pk}", 1, LAST_USED_RESOLUTION):
            PartnerKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
        return (None, key)

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="outagewatch"'


def _too_many_failures(decision: RateDecision) -> api_errors.Throttled:
    return api_errors.Throttled(
        f"Too many requests with an unknown or revoked API key from your address ({decision.limit} "
        f"allowed). Try again in {decision.retry_after} seconds, with the key exactly as it was given.",
        decision.retry_after,
    )
