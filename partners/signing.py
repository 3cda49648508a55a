"""Webhook signatures: `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.

The timestamp is inside the signed text, so a receiver that refuses old
timestamps cannot be fooled by a replayed delivery. No Django here: a partner can
copy this file as it is.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-Outagewatch-Signature"
TOLERANCE_SECONDS = 300


class InvalidSignature(ValueError):
    """The signature header is missing, malformed, stale, or does not match."""


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def verify(
    secret: str, header: str | None, body: bytes, tolerance: int = TOLERANCE_SECONDS, now: float | None = None
) -> int:
    """Check a delivery as a receiver should; returns its timestamp or raises InvalidSignature."""
    if not header:
        raise InvalidSignature(f"no {HEADER} header")
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        t = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        raise InvalidSignature("the header must read t=<unix time>,v1=<hex digest>") from None
    now = time.time() if now is None else now
    if abs(now - t) > tolerance:
        raise InvalidSignature(
            f"the timestamp is {int(now - t)} seconds off; at most {tolerance} is accepted"
        )
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given):
        raise InvalidSignature("the digest does not match the body and secret")
    return t
