"""Webhook signatures, as Standard Webhooks defines them (www.standardwebhooks.com).

Every delivery carries three headers:

    webhook-id:        the delivery's id, the same on each retry of it
    webhook-timestamp: when this attempt was signed, in Unix seconds
    webhook-signature: v1,<base64 of HMAC-SHA256(key, "<id>.<timestamp>.<body>")>

The key is the endpoint's secret `whsec_<base64>`, base64-decoded. The id and the
timestamp are inside the signed text: a receiver that refuses old timestamps and
remembers the ids it has seen within that window cannot be fooled by a replay,
with or without a changed id. The Standard Webhooks libraries (Python, JavaScript,
Go, Java, Ruby, PHP, C#, Rust...) verify these headers as they are.

Endpoints made before this scheme keep their secret (with `whsec_` in front, the
same characters after it) and also get the old header, `X-Outagewatch-Signature:
t=<timestamp>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the characters after
whsec_>`, until their partner switches it off (`legacy_signature`).

No Django here: a partner can copy this file as it is.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

SECRET_PREFIX = "whsec_"
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
LEGACY_HEADER = "X-Outagewatch-Signature"
TOLERANCE_SECONDS = 300


class InvalidSignature(ValueError):
    """The headers are missing, malformed or stale, or the signature does not match."""


def new_secret() -> str:
    """A fresh endpoint secret: whsec_ and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def key_of(secret: str) -> bytes:
    """The HMAC key a secret stands for (as the Standard Webhooks libraries read it)."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        # The libraries pad and decode leniently; so do we, so that both agree.
        return base64.b64decode(encoded + "==")
    except (binascii.Error, ValueError):
        raise InvalidSignature("the secret is not whsec_ followed by base64") from None


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key_of(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def sign(secret: str, msg_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The three headers of one attempt."""
    t = int(time.time()) if timestamp is None else timestamp
    return {
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(t),
        SIGNATURE_HEADER: signature(secret, msg_id, t, body),
    }


def legacy_sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The old X-Outagewatch-Signature value, for endpoints made before Standard Webhooks."""
    t = int(time.time()) if timestamp is None else timestamp
    key = secret.removeprefix(SECRET_PREFIX).encode()
    return f"t={t},v1=" + hmac.new(key, f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> str:
    """Check a delivery as a receiver should; returns its webhook-id, or raises
    InvalidSignature. Remember the ids you accept for `tolerance` seconds and refuse
    one seen before: that, with the timestamp check, stops replays."""
    lowered = {name.lower(): value for name, value in headers.items()}
    msg_id, stamp, given = (lowered.get(h, "") for h in (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER))
    if not (msg_id and stamp and given):
        raise InvalidSignature(
            f"the {ID_HEADER}, {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers are needed"
        )
    try:
        t = int(stamp)
    except ValueError:
        raise InvalidSignature(f"{TIMESTAMP_HEADER} must be Unix seconds, not {stamp[:40]!r}") from None
    now = time.time() if now is None else now
    if abs(now - t) > tolerance:
        raise InvalidSignature(
            f"the timestamp is {int(now - t)} seconds off; at most {tolerance} is accepted"
        )
    expected = signature(secret, msg_id, t, body)
    # The header may hold several space-separated signatures (during a key rotation).
    if not any(hmac.compare_digest(expected, candidate) for candidate in given.split()):
        raise InvalidSignature("no signature matches the id, timestamp, body and secret")
    return msg_id
