"""Outbound HTTP that cannot be turned against our own network (SSRF).

Anything that sends a request to an address someone else chose (a partner's
webhook receiver, a provider's status page, a Slack or Teams hook) goes through
`request`. No Django here: the caller passes a `Policy` built from its settings.

What a request guarantees:

- The host name is resolved once. Every address it resolves to must be public
  (`refusal` says why one is not); otherwise `Refused` is raised and nothing is
  sent. Addresses that embed an IPv4 address (IPv4-mapped and -compatible IPv6,
  NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by that IPv4 address.
- The connection goes to one of the addresses that were checked, never to a
  second resolution: a name that answers a public address to the check and
  127.0.0.1 to the connection (DNS rebinding) reaches nothing. The Host header,
  TLS server name (SNI) and certificate check still use the name.
- Redirects are not followed unless `Policy.max_redirects` allows it, and then
  only for GET and HEAD, each hop resolved and checked like the first.
- Connecting, each read, and the whole exchange have time limits; a response body
  larger than `Policy.max_body_bytes` is refused (`TooLarge`).

A closed deployment (or a test with a receiver on 127.0.0.1) lets private
addresses through with `allow_private`, or only some networks with
`allowed_networks`.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# (host, port) -> the addresses the name stands for, in the order to try them.
Resolver = Callable[[str, int], list[str]]

NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
SHARED_ADDRESS_SPACE = ipaddress.IPv4Network("100.64.0.0/10")  # carrier-grade NAT
# Not globally reachable (IANA special-purpose registries), though some Python
# versions' is_global says otherwise.
NOT_GLOBAL = (
    ipaddress.IPv4Network("192.0.0.0/24"),  # IETF protocol assignments
    ipaddress.IPv6Network("64:ff9b:1::/48"),  # local-use NAT64 (RFC 8215)
)
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
_READ_CHUNK = 65536


class OutboundError(Exception):
    """The request was not made, or its answer was not taken; the message says why."""


class Refused(OutboundError):
    """The URL or one of the addresses its host resolves to may not be dialled."""


class TooLarge(OutboundError):
    """The response body is larger than the policy allows."""


@dataclass(frozen=True)
class Policy:
    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    # The whole exchange (connect, send, every read), however slowly the server drips.
    total_timeout: float = 30.0
    max_body_bytes: int = 1_000_000
    max_redirects: int = 0
    user_agent: str = "outagewatch"
    # None: the system's resolver (or the one `use_resolver` installed).
    resolver: Resolver | None = None
    tls_context: ssl.SSLContext | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Response:
    status: int
    reason: str
    headers: http.client.HTTPMessage
    body: bytes
    url: str  # the last URL asked (after any redirects followed)
    address: str  # the address that was dialled


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


_resolver: Resolver = system_resolver


@contextmanager
def use_resolver(resolver: Resolver) -> Iterator[None]:
    """Resolve names with `resolver` for the duration (tests, and a deployment's
    own DNS); requests whose policy names a resolver keep theirs."""
    global _resolver
    previous, _resolver = _resolver, resolver
    try:
        yield
    finally:
        _resolver = previous


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, if it is one of the forms that
    reach an IPv4 host: IPv4-mapped, NAT64 (64:ff9b::/96), 6to4, IPv4-compatible."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if int(address) >> 32 == 0:  # ::a.b.c.d, deprecated IPv4-compatible (:: and ::1 too)
        return ipaddress.IPv4Address(int(address))
    return None


def refusal(address: str | IPAddress) -> str | None:
    """Why this address may not be dialled ("a loopback address"), or None if it is public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0] if isinstance(address, str) else address)
    if isinstance(ip, ipaddress.IPv6Address) and not (ip.is_loopback or ip.is_unspecified):
        inner = embedded_ipv4(ip)
        if inner is not None:
            why = refusal(inner)
            return f"it stands for the IPv4 address {inner}, {why}" if why else None
    for why, applies in (
        ("an unspecified address", ip.is_unspecified),
        ("a loopback address", ip.is_loopback),
        ("a link-local address", ip.is_link_local),
        ("a multicast address", ip.is_multicast),
        ("a private address", ip.is_private),
        ("a shared (carrier-grade NAT) address", ip in SHARED_ADDRESS_SPACE),
        ("a reserved address", ip.is_reserved or any(ip in net for net in NOT_GLOBAL)),
        ("a site-local address", getattr(ip, "is_site_local", False)),
        ("not a globally routable address", not ip.is_global),
    ):
        if applies:
            return why
    return None


def _allowed(address: str, policy: Policy) -> bool:
    if policy.allow_private:
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return any(ip in network for network in policy.allowed_networks)


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query string
    addresses: tuple[str, ...]  # checked, in the order to try them


def check_url(url: str, policy: Policy) -> Target:
    """Parse the URL, resolve its host once and check every address; raises Refused."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise Refused("The URL must start with https:// (or http://).")
    if parts.username is not None or parts.password is not None:
        raise Refused("The URL must not carry a user name or password.")
    try:
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Refused("The URL's port must be a number from 1 to 65535.") from None
    if not host:
        raise Refused("The URL has no host name.")
    try:
        addresses = (policy.resolver or _resolver)(host, port)
    except (OSError, UnicodeError, ValueError):
        raise Refused(f"The host {host!r} cannot be resolved.") from None
    if not addresses:
        raise Refused(f"The host {host!r} cannot be resolved.")
    for address in addresses:
        if _allowed(address, policy):
            continue
        why = refusal(address)
        if why:
            raise Refused(
                f"The host {host!r} resolves to {address}, {why}; only public addresses can be reached."
            )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path, tuple(addresses))


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self, at_most: float) -> float:
        remaining = self.end - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the exchange took longer than its time limit")
        return min(remaining, at_most)


def _dial(target: Target, policy: Policy, deadline: _Deadline) -> tuple[socket.socket, str]:
    """A socket connected to the first checked address that answers."""
    failure: OSError | None = None
    for address in target.addresses:
        try:
            sock = socket.create_connection(
                (address, target.port), timeout=deadline.left(policy.connect_timeout)
            )
        except OSError as exc:
            failure = exc
            continue
        sock.settimeout(deadline.left(policy.read_timeout))
        return sock, address
    assert failure is not None
    raise failure


class _Pinned(http.client.HTTPConnection):
    """An HTTP connection over a socket already connected to a checked address; the
    Host header is still the name (http.client writes it from `host`)."""

    def __init__(self, target: Target, sock: socket.socket) -> None:
        super().__init__(target.host, target.port)
        self.sock = sock

    def connect(self) -> None:  # the socket is given; never dial again
        if self.sock is None:
            raise http.client.NotConnected("the pinned connection was closed")


def _tls_wrap(sock: socket.socket, host: str, policy: Policy) -> socket.socket:
    context = policy.tls_context or ssl.create_default_context()
    # SNI and the certificate check are for the name, not the address dialled.
    return context.wrap_socket(sock, server_hostname=host)


def _read_body(response: http.client.HTTPResponse, policy: Policy, deadline: _Deadline) -> bytes:
    """The body, in pieces as they arrive (read1), so that the deadline is checked
    between them: a server dripping a byte at a time cannot hold us past it by more
    than one read's timeout."""
    chunks, size = [], 0
    while True:
        deadline.left(policy.read_timeout)
        chunk = response.read1(_READ_CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > policy.max_body_bytes:
            raise TooLarge(f"The response is larger than {policy.max_body_bytes} bytes.")
        chunks.append(chunk)


def _exchange(
    method: str, url: str, body: bytes | None, headers: Mapping[str, str], policy: Policy, deadline: _Deadline
) -> Response:
    target = check_url(url, policy)
    sock, address = _dial(target, policy, deadline)
    try:
        if target.scheme == "https":
            sock = _tls_wrap(sock, target.host, policy)
        connection = _Pinned(target, sock)
        sent = {"User-Agent": policy.user_agent, "Connection": "close", **headers}
        connection.request(method, target.path, body=body, headers=sent)
        sock.settimeout(deadline.left(policy.read_timeout))
        response = connection.getresponse()
        data = b"" if method == "HEAD" else _read_body(response, policy, deadline)
        return Response(response.status, response.reason, response.headers, data, url, address)
    finally:
        sock.close()


def request(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    policy: Policy | None = None,
) -> Response:
    """Send one request under the policy and return the answer, whatever its status.

    Raises Refused (nothing was sent), TooLarge, TimeoutError or another OSError
    (refused connection, TLS failure), or http.client.HTTPException (not HTTP).
    """
    policy = policy or Policy()
    deadline = _Deadline(policy.total_timeout)
    response = _exchange(method, url, body, headers or {}, policy, deadline)
    hops = 0
    while (
        response.status in REDIRECT_STATUSES
        and method in ("GET", "HEAD")
        and hops < policy.max_redirects
        and response.headers.get("Location")
    ):
        hops += 1
        url = urljoin(url, response.headers["Location"])
        response = _exchange(method, url, None, headers or {}, policy, deadline)
    return response
