"""Who is asking: the client address and user agent of a request."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest


@dataclass(frozen=True)
class Client:
    address: str
    user_agent: str


def client_from_request(request: HttpRequest) -> Client:
    address = request.META.get("REMOTE_ADDR", "")
    if settings.NUM_PROXIES:
        # Each trusted proxy appends the address it saw; anything further left may be
        # forged by the client, so count hops from the right.
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= settings.NUM_PROXIES:
            address = hops[-settings.NUM_PROXIES]
    return Client(address=address, user_agent=request.META.get("HTTP_USER_AGENT", "")[:512])
