"""Webhook signatures as Standard Webhooks defines them: webhook-id, webhook-timestamp
and webhook-signature "v1,<base64 HMAC-SHA256 of id.timestamp.body>" under a
whsec_ secret; checked by our verify() and by the standardwebhooks library."""

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest
import time_machine
from standardwebhooks import Webhook, WebhookVerificationError

from partners.signing import InvalidSignature, key_of, legacy_sign, new_secret, sign, verify

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
BODY = b'{"type":"spike.opened","data":{"id":1}}'
T = 1_772_732_580


def test_it_signs_the_id_the_timestamp_and_the_body_as_documented():
    digest = hmac.new(b"0123456789abcdef0123456789abcdef", b"42.1772732580." + BODY, hashlib.sha256).digest()

    assert sign(SECRET, "42", BODY, timestamp=T) == {
        "webhook-id": "42",
        "webhook-timestamp": "1772732580",
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }


def test_new_secrets_are_whsec_and_32_random_bytes():
    secrets = {new_secret() for _ in range(20)}

    assert len(secrets) == 20
    assert all(s.startswith("whsec_") and len(key_of(s)) == 32 for s in secrets)


def test_a_receiver_accepts_a_fresh_untouched_delivery():
    assert verify(SECRET, sign(SECRET, "42", BODY, timestamp=T), BODY, now=T + 10) == "42"


def test_the_standard_webhooks_library_verifies_our_signature():
    with time_machine.travel(datetime.fromtimestamp(T + 5, tz=UTC), tick=False):
        payload = Webhook(SECRET).verify(BODY, sign(SECRET, "42", BODY, timestamp=T))

    assert payload == {"type": "spike.opened", "data": {"id": 1}}


def test_a_replay_under_a_new_delivery_id_no_longer_verifies():
    headers = sign(SECRET, "42", BODY, timestamp=T)
    replayed = {**headers, "webhook-id": "43"}

    with pytest.raises(InvalidSignature, match="no signature matches"):
        verify(SECRET, replayed, BODY, now=T + 10)
    with (
        time_machine.travel(datetime.fromtimestamp(T + 5, tz=UTC), tick=False),
        pytest.raises(WebhookVerificationError),
    ):
        Webhook(SECRET).verify(BODY, replayed)


def _with(headers: dict, **changes: str) -> dict:
    return {**headers, **{k.replace("_", "-"): v for k, v in changes.items()}}


GOOD = sign(SECRET, "42", BODY, timestamp=T)


@pytest.mark.parametrize(
    ("headers", "body", "now", "reason"),
    [
        (GOOD, BODY.replace(b"1", b"2"), T, "no signature matches"),
        (sign(new_secret(), "42", BODY, timestamp=T), BODY, T, "no signature matches"),
        (_with(GOOD, webhook_timestamp=str(T + 1)), BODY, T, "no signature matches"),
        (GOOD, BODY, T + 301, "seconds off"),
        (GOOD, BODY, T - 301, "seconds off"),
        (_with(GOOD, webhook_timestamp="soon"), BODY, T, "Unix seconds"),
        ({"webhook-id": "42"}, BODY, T, "headers are needed"),
        ({}, BODY, T, "headers are needed"),
    ],
)
def test_a_receiver_refuses_tampered_forged_stale_or_malformed_deliveries(headers, body, now, reason):
    with pytest.raises(InvalidSignature, match=reason):
        verify(SECRET, headers, body, now=now)


def test_a_secret_from_before_standard_webhooks_verifies_with_the_library_prefix_or_not():
    old = "9f2c4e" * 10 + "abcd"  # 64 hex characters, as endpoints were given
    secret = "whsec_" + old  # what the migration stores
    headers = sign(secret, "7", BODY, timestamp=T)

    with time_machine.travel(datetime.fromtimestamp(T, tz=UTC), tick=False):
        Webhook(old).verify(BODY, headers)
        Webhook(secret).verify(BODY, headers)


def test_the_legacy_header_is_the_old_one_under_the_old_key():
    old = "9f2c4e" * 10 + "abcd"
    digest = hmac.new(old.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()

    assert legacy_sign("whsec_" + old, BODY, timestamp=T) == f"t={T},v1={digest}"
