"""The signature a receiver checks: t=<unix time>,v1=<HMAC-SHA256 of "<t>.<body>">."""

import hashlib
import hmac

import pytest

from partners.signing import InvalidSignature, sign, verify

SECRET = "s3cret"
BODY = b'{"type":"spike.opened","data":{"id":1}}'
T = 1_772_732_580


def test_it_signs_the_timestamp_and_the_body_as_documented():
    digest = hmac.new(b"s3cret", b"1772732580." + BODY, hashlib.sha256).hexdigest()

    assert sign(SECRET, BODY, timestamp=T) == f"t={T},v1={digest}"


def test_a_receiver_accepts_a_fresh_untouched_delivery():
    assert verify(SECRET, sign(SECRET, BODY, timestamp=T), BODY, now=T + 10) == T


@pytest.mark.parametrize(
    ("header", "body", "now", "reason"),
    [
        (sign(SECRET, BODY, timestamp=T), BODY.replace(b"1", b"2"), T, "does not match"),
        (sign("another secret", BODY, timestamp=T), BODY, T, "does not match"),
        (sign(SECRET, BODY, timestamp=T).replace(f"t={T}", f"t={T + 1}"), BODY, T, "does not match"),
        (sign(SECRET, BODY, timestamp=T), BODY, T + 301, "seconds off"),
        (sign(SECRET, BODY, timestamp=T), BODY, T - 301, "seconds off"),
        ("v1=abc", BODY, T, "t=<unix time>"),
        ("t=soon,v1=abc", BODY, T, "t=<unix time>"),
        ("", BODY, T, "no X-Outagewatch-Signature"),
    ],
)
def test_a_receiver_refuses_tampered_forged_stale_or_malformed_deliveries(header, body, now, reason):
    with pytest.raises(InvalidSignature, match=reason):
        verify(SECRET, header, body, now=now)
