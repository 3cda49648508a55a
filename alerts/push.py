"""Browser notifications: Web Push (RFC 8030) with VAPID (RFC 8292), payloads
encrypted for the browser with aes128gcm (RFC 8291) by pywebpush.

The VAPID Authorization header is a signed JWT per push service (its origin is
the audience); it is made once and reused until an hour before it expires,
instead of one ECDSA signature per message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import threading
import time
from functools import lru_cache
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from py_vapid import Vapid
from pywebpush import WebPusher

from alerts import outbound

# Push services accept 4,096 bytes of encrypted payload; ours stay well under.
MAX_PAYLOAD_BYTES = 3000
VAPID_LIFETIME_SECONDS = 12 * 3600
_vapid_headers: dict[str, tuple[float, dict[str, str]]] = {}
_lock = threading.Lock()


def b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@lru_cache(maxsize=4)
def _vapid_for(private_key: str) -> Vapid:
    try:
        if len(b64url_decode(private_key)) != 32:
            raise ValueError("it must be 32 bytes in base64url")
        return Vapid.from_string(private_key)
    except (binascii.Error, ValueError) as error:
        raise ValueError(str(error) or "not base64url") from None


def vapid() -> Vapid:
    return _vapid_for(settings.ALERTS_VAPID_PRIVATE_KEY)


def public_key() -> str:
    """The applicationServerKey browsers subscribe with (base64url, uncompressed point)."""
    point = vapid().public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(point)


def vapid_headers(endpoint: str, now: float | None = None) -> dict[str, str]:
    parts = urlsplit(endpoint)
    audience = f"{parts.scheme}://{parts.netloc}"
    now = time.time() if now is None else now
    with _lock:
        cached = _vapid_headers.get(audience)
        if cached is None or cached[0] - 3600 < now:
            expires = int(now) + VAPID_LIFETIME_SECONDS
            claims = {"aud": audience, "exp": expires, "sub": settings.ALERTS_VAPID_SUBJECT}
            cached = (expires, vapid().sign(claims))
            _vapid_headers[audience] = cached
    return {"Authorization": cached[1]["Authorization"]}


class BadSubscription(ValueError):
    """A push subscription that could never be sent to; the message names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def check_subscription(endpoint: str, p256dh: str, auth: str) -> None:
    """Refuse a subscription whose endpoint or keys are not what browsers make:
    an https endpoint on a public address, a P-256 public key, a 16-byte secret."""
    parts = urlsplit(endpoint)
    if parts.scheme != "https" and not settings.ALERTS_ALLOW_PRIVATE_URLS:
        raise BadSubscription("endpoint", "The push endpoint must be an https:// URL.")
    try:
        outbound.check(endpoint)
    except outbound.Refused as refused:
        raise BadSubscription("endpoint", str(refused)) from None
    try:
        point = b64url_decode(p256dh)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        if len(point) != 65:
            raise ValueError
    except (binascii.Error, ValueError):
        raise BadSubscription(
            "keys.p256dh", "keys.p256dh must be the browser's P-256 public key: 65 bytes in base64url."
        ) from None
    try:
        secret = b64url_decode(auth)
    except (binascii.Error, ValueError):
        secret = b""
    if len(secret) != 16:
        raise BadSubscription("keys.auth", "keys.auth must be the browser's 16-byte secret in base64url.")


def topic_header(topic: str) -> str:
    """A push service replaces a message still waiting for the browser with a new
    one of the same Topic (32 base64url characters at most)."""
    return b64url(hashlib.sha256(topic.encode()).digest())[:32]


def payload(title: str, body: str, url: str, tag: str) -> bytes:
    """The JSON the service worker shows (sw.js): small, and opening the spike page."""
    data = {"title": title[:120], "body": body[:400], "url": url, "tag": tag}
    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    assert len(raw) <= MAX_PAYLOAD_BYTES
    return raw


def send(endpoint: str, p256dh: str, auth: str, data: bytes, topic: str) -> outbound.Answer:
    """Encrypt `data` for the browser and POST it to its push service."""
    keys = {"p256dh": p256dh, "auth": auth}
    body = WebPusher({"endpoint": endpoint, "keys": keys}).encode(data, "aes128gcm")["body"]
    headers = {
        "Content-Type": "application/octet-stream",
        "Content-Encoding": "aes128gcm",
        "TTL": str(settings.ALERTS_PUSH_TTL_SECONDS),
        "Urgency": "high",
        "Topic": topic_header(topic),
        **vapid_headers(endpoint),
    }
    return outbound.post(endpoint, body, headers)
