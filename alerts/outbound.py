"""Every request alerts send to an address someone else chose (a browser's push
service, a newsroom's Slack, Discord, Teams or webhook URL) goes through `post`,
and every such URL is checked with `check` when it is registered.

Both go through the project's guard, outagewatch/safehttp.py: the host is
resolved once, every address must be public (unless ALERTS_ALLOW_PRIVATE_URLS),
the connection goes to an address that was checked, no redirect is followed,
and time and size are limited. The check at registration is a courtesy (a clear
400 at once); the one that protects is the one at each delivery.
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError

from outagewatch import safehttp

USER_AGENT = "outagewatch-alerts/1"
# Push services and chat services answer with a few bytes; a page of HTML is still fine.
MAX_ANSWER_BYTES = 65536


class Refused(ValueError):
    """The URL may not be dialled; the message says why, for the person who gave it."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def policy() -> safehttp.Policy:
    timeout = float(settings.ALERTS_HTTP_TIMEOUT_SECONDS)
    return safehttp.Policy(
        allow_private=settings.ALERTS_ALLOW_PRIVATE_URLS,
        connect_timeout=timeout,
        read_timeout=timeout,
        total_timeout=timeout,
        max_body_bytes=MAX_ANSWER_BYTES,
        user_agent=USER_AGENT,
    )


def check(url: str) -> None:
    """Raise Refused unless the URL is http(s) and its host resolves to public addresses only."""
    try:
        safehttp.check_url(url, policy())
    except safehttp.Refused as refused:
        raise Refused(str(refused)) from None


def validate_public_url(url: str) -> None:
    """A model field validator (the admin and the API use it): check() as a ValidationError."""
    try:
        check(url)
    except Refused as refused:
        raise ValidationError(str(refused), code="not_public") from None


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST and return the answer whatever its status; raises Refused (nothing
    sent) or OSError (no usable answer: refused connection, timeout, TLS failure,
    not HTTP, an answer too large)."""
    try:
        response = safehttp.request("POST", url, body=body, headers=headers, policy=policy())
    except safehttp.Refused as refused:
        raise Refused(str(refused)) from None
    except (safehttp.OutboundError, http.client.HTTPException) as trouble:
        raise OSError(f"{type(trouble).__name__}: {trouble}") from None
    return Answer(response.status, response.body, dict(response.headers))
