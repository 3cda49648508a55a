"""Every request alerts send to an address someone else chose (a browser's push
service, a newsroom's Slack, Discord, Teams or webhook URL) goes through `post`,
and every such URL is checked with `check` when it is registered.

Both refuse URLs whose host resolves to a private, loopback or otherwise
non-public address (unless ALERTS_ALLOW_PRIVATE_URLS), so nobody can make this
server POST into its own network.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError


class Refused(ValueError):
    """The URL may not be dialled; the message says why, for the person who gave it."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def check(url: str) -> None:
    """Raise Refused unless the URL is http(s) and its host resolves to public addresses only."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise Refused("The URL must start with https://.")
    if settings.ALERTS_ALLOW_PRIVATE_URLS:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):
        raise Refused(f"The host {parts.hostname!r} cannot be resolved.") from None
    for info in infos:
        address = str(info[4][0])
        if not ipaddress.ip_address(address.split("%")[0]).is_global:
            raise Refused(
                f"The host {parts.hostname!r} resolves to {address}, not a public address; use a public one."
            )


def validate_public_url(url: str) -> None:
    """A model field validator (the admin and the API use it): check() as a ValidationError."""
    try:
        check(url)
    except Refused as refused:
        raise ValidationError(str(refused), code="not_public") from None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST and return the answer whatever its status; raises Refused (nothing
    sent) or OSError (no answer: refused connection, timeout, TLS failure)."""
    check(url)
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with _opener.open(request, timeout=settings.ALERTS_HTTP_TIMEOUT_SECONDS) as response:
            return Answer(response.status, response.read(65536), dict(response.headers))
    except urllib.error.HTTPError as failed:
        return Answer(failed.code, failed.read(65536), dict(failed.headers))
    except urllib.error.URLError as failed:
        raise OSError(str(failed.reason)) from None
