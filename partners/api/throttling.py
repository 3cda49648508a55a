"""Rate limits and quotas as DRF sees them: one throttle, and the headers it leaves."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import permissions, throttling
from rest_framework.request import Request

from outagewatch.clients import client_from_request
from partners import quotas
from partners.models import Scope
from reports import fingerprint


def address_key(request: Request) -> str:
    """The client's address as every per-address counter keys it: a keyed hash under
    the day's fingerprint key (deleted after two days), never the address itself."""
    return fingerprint.address_key(client_from_request(request).address, timezone.now())


class PartnerThrottle(throttling.BaseThrottle):
    """Charges the request to its key (or to the client address) and keeps the
    Allowance on the request, for the X-RateLimit-* and X-Quota-* headers."""

    def allow_request(self, request: Request, view) -> bool:
        allowance = quotas.consume(request.auth, address_key(request))
        request.allowance = allowance
        return allowance.allowed

    def wait(self) -> float | None:
        return None  # the view's throttled() reads the Allowance instead


class HasReadScope(permissions.BasePermission):
    message = "This API key has no 'read' scope; ask for a key that may read the API."

    def has_permission(self, request: Request, view) -> bool:
        return request.auth is None or request.auth.has_scope(Scope.READ)


def throttled_message(allowance: quotas.Allowance) -> str:
    if not allowance.minute.allowed:
        return (
            f"Rate limit of {allowance.minute.limit} requests a minute reached. "
            f"Try again in {allowance.minute.retry_after} seconds"
            + ("." if allowance.day else ", or use a partner API key for a higher limit.")
        )
    return (
        f"Daily quota of {allowance.day.limit} requests used up. "
        f"It resets at midnight UTC, in {allowance.day.retry_after} seconds."
    )
