"""Fetching a status page: one conditional GET through the public-address guard.

No Django here: the caller passes the limits (from settings), so the poller can
run fetches in threads and the benchmark measures the same code.
"""

from __future__ import annotations

import http.client
import ipaddress
from dataclasses import dataclass

from outagewatch import safehttp

ACCEPT = "application/json, application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"


@dataclass(frozen=True)
class Limits:
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    total_timeout: float = 20.0
    max_body_bytes: int = 2_000_000
    # Status pages move (http to https, a new domain): a few hops, each checked.
    max_redirects: int = 3
    allowed_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()


@dataclass(frozen=True)
class Fetched:
    status: int  # 200 or 304; anything else is a FetchFailed
    body: bytes = b""
    content_type: str = ""
    etag: str = ""
    last_modified: str = ""


class FetchFailed(Exception):
    """The page could not be read; `kind` is "fetch" (no answer) or "http" (an
    answer other than 200/304), the message says why in words."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def fetch(url: str, limits: Limits, etag: str = "", last_modified: str = "") -> Fetched:
    headers = {"Accept": ACCEPT, "Accept-Encoding": "identity"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    policy = safehttp.Policy(
        allowed_networks=limits.allowed_networks,
        connect_timeout=limits.connect_timeout,
        read_timeout=limits.read_timeout,
        total_timeout=limits.total_timeout,
        max_body_bytes=limits.max_body_bytes,
        max_redirects=limits.max_redirects,
        user_agent="outagewatch-statuspages/1 (+https://github.com/outagewatch)",
    )
    try:
        response = safehttp.request("GET", url, headers=headers, policy=policy)
    except safehttp.Refused as refused:
        raise FetchFailed("fetch", str(refused)) from None
    except safehttp.TooLarge:
        raise FetchFailed("fetch", f"The answer is larger than {limits.max_body_bytes} bytes.") from None
    except TimeoutError:
        raise FetchFailed(
            "fetch",
            f"No complete answer in time ({limits.read_timeout:g} s a read, {limits.total_timeout:g} s in all).",
        ) from None
    except (safehttp.OutboundError, OSError, http.client.HTTPException) as failed:
        raise FetchFailed("fetch", f"{type(failed).__name__}: {failed}"[:300]) from None
    if response.status == 304:
        return Fetched(304, etag=etag, last_modified=last_modified)
    if response.status in safehttp.REDIRECT_STATUSES:
        where = response.headers.get("Location", "")[:200]
        raise FetchFailed("http", f"HTTP {response.status}: redirected once too often (last to {where!r}).")
    if response.status != 200:
        raise FetchFailed("http", f"HTTP {response.status} {response.reason[:80]}")
    return Fetched(
        status=200,
        body=response.body,
        content_type=response.headers.get("Content-Type", ""),
        etag=response.headers.get("ETag", "")[:300],
        last_modified=response.headers.get("Last-Modified", "")[:100],
    )
