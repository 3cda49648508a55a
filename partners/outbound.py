"""What the webhooks may reach: the outbound policy built from the settings, and
the URL check that registering an endpoint (API or admin) and every delivery share.

The check at registration is a courtesy (a clear 400 at once); the one that
protects is safehttp's at each delivery, on the address actually dialled.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError

from outagewatch import safehttp

USER_AGENT = "outagewatch-webhooks/1"


def policy() -> safehttp.Policy:
    timeout = float(settings.WEBHOOK_TIMEOUT_SECONDS)
    return safehttp.Policy(
        allow_private=settings.WEBHOOK_ALLOW_PRIVATE_URLS,
        allowed_networks=tuple(settings.WEBHOOK_ALLOWED_NETWORKS),
        connect_timeout=timeout,
        read_timeout=timeout,
        # The receiver has WEBHOOK_TIMEOUT_SECONDS to answer, all told.
        total_timeout=timeout,
        # Nobody reads the answer; a receiver's page of HTML is still fine.
        max_body_bytes=1_000_000,
        user_agent=USER_AGENT,
    )


def validate_url(url: str) -> None:
    """A model field validator: the URL is http(s) and its host resolves to
    public addresses only (or to networks this deployment allows)."""
    try:
        safehttp.check_url(url, policy())
    except safehttp.Refused as refused:
        raise ValidationError(str(refused), code="not_public") from None
