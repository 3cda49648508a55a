"""Partner keys from creation to revocation, and the limits on every client."""

import re

import pytest
import time_machine
from django.contrib.messages import get_messages

from partners import keys
from partners.models import PartnerKey
from partners.tests.conftest import T0

URL = "/api/v1/problem-types/"


def test_a_key_made_in_the_admin_is_shown_once_and_stored_only_as_a_hash(admin_client, api, db):
    response = admin_client.post(
        "/admin/partners/partnerkey/add/",
        {"name": "Example ISP", "scopes": ["read"], "rate_per_minute": 100, "daily_quota": 1000},
        follow=True,
    )
    shown = " ".join(str(m) for m in get_messages(response.wsgi_request))
    raw = re.search(r"ow_[\w-]{40,}", shown).group()
    key = PartnerKey.objects.get()

    assert raw.startswith(key.prefix) and key.hashed_key == keys.hash_key(raw)
    assert raw not in str(PartnerKey.objects.values().get())
    assert raw not in admin_client.get(f"/admin/partners/partnerkey/{key.pk}/change/").content.decode()
    assert key.scopes == ["read"]
    assert api.get(URL, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200


def test_a_key_works_in_either_header_and_records_its_use(api, reader_key):
    key, raw = reader_key

    assert api.get(URL, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    assert api.get(URL, HTTP_X_API_KEY=raw).status_code == 200
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_a_revoked_key_is_refused_with_a_401_that_says_so(admin_client, api, reader_key):
    key, raw = reader_key
    admin_client.post("/admin/partners/partnerkey/", {"action": "revoke", "_selected_action": [key.pk]})

    response = api.get(URL, HTTP_X_API_KEY=raw)

    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"HTTP_X_API_KEY": "ow_notakey"}, "not known"),
        ({"HTTP_AUTHORIZATION": "Token abc"}, "Bearer"),
        ({"HTTP_AUTHORIZATION": "Bearer "}, "Bearer"),
    ],
)
def test_an_unknown_or_malformed_key_is_a_401_never_an_anonymous_read(api, db, headers, message):
    response = api.get(URL, **headers)

    assert response.status_code == 401
    assert message in response.json()["detail"]


def test_a_key_without_the_read_scope_cannot_read(api, db):
    _, raw = keys.issue_key("Webhooks only", ["webhooks"])

    response = api.get(URL, HTTP_X_API_KEY=raw)

    assert response.status_code == 403
    assert "read" in response.json()["detail"]


def test_every_answer_tells_the_key_what_is_left(api, reader_key):
    _, raw = reader_key
    with time_machine.travel(T0, tick=False):
        api.get(URL, HTTP_X_API_KEY=raw)
        response = api.get(URL, HTTP_X_API_KEY=raw)

    assert response["X-RateLimit-Limit"] == "100"
    assert response["X-RateLimit-Remaining"] == "98"
    assert response["X-RateLimit-Reset"] == "60"
    assert (response["X-Quota-Limit"], response["X-Quota-Remaining"]) == ("1000", "998")
    assert response["X-Quota-Reset"] == "86400"


def test_a_key_over_its_minute_limit_gets_a_429_with_retry_after(api, db):
    _, raw = keys.issue_key("Small", ["read"], rate_per_minute=3, daily_quota=100)
    with time_machine.travel(T0, tick=False):
        statuses = [api.get(URL, HTTP_X_API_KEY=raw).status_code for _ in range(4)]
        refused = api.get(URL, HTTP_X_API_KEY=raw)
    with time_machine.travel(T0.timestamp() + 60, tick=False):
        next_minute = api.get(URL, HTTP_X_API_KEY=raw)

    assert statuses == [200, 200, 200, 429]
    assert refused["Retry-After"] == "60" and refused["X-RateLimit-Remaining"] == "0"
    assert refused.json()["retry_after"] == 60
    assert "3 requests a minute" in refused.json()["detail"]
    assert refused["X-Quota-Remaining"] == "97"  # refused requests are not charged to the day
    assert next_minute.status_code == 200


def test_a_key_over_its_daily_quota_waits_for_midnight_utc(api, db):
    _, raw = keys.issue_key("Tiny quota", ["read"], rate_per_minute=100, daily_quota=2)
    with time_machine.travel(T0.timestamp() + 23 * 3600, tick=False):
        statuses = [api.get(URL, HTTP_X_API_KEY=raw).status_code for _ in range(2)]
        refused = api.get(URL, HTTP_X_API_KEY=raw)
    with time_machine.travel(T0.timestamp() + 24 * 3600, tick=False):
        next_day = api.get(URL, HTTP_X_API_KEY=raw)

    assert statuses == [200, 200]
    assert refused.status_code == 429
    assert refused["Retry-After"] == "3600" and refused["X-Quota-Remaining"] == "0"
    assert "Daily quota of 2" in refused.json()["detail"]
    assert next_day.status_code == 200


def test_anonymous_clients_share_a_low_limit_per_address(api, db, settings):
    settings.PARTNER_API_ANON_RATE = (2, 60)
    with time_machine.travel(T0, tick=False):
        statuses = [api.get(URL).status_code for _ in range(2)]
        refused = api.get(URL)
        other_address = api.get(URL, REMOTE_ADDR="10.0.0.9")
        _, raw = keys.issue_key("Partner", ["read"])
        with_key = api.get(URL, HTTP_X_API_KEY=raw)

    assert statuses == [200, 200]
    assert refused.status_code == 429 and "API key" in refused.json()["detail"]
    assert "X-Quota-Limit" not in refused
    assert other_address.status_code == 200
    assert with_key.status_code == 200


@pytest.mark.redis
def test_counters_live_in_redis_and_are_shared(api, db, settings):
    import os

    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs REDIS_URL")
    from django.core.cache import cache

    _, raw = keys.issue_key("Shared", ["read"], rate_per_minute=5)
    with time_machine.travel(T0, tick=False):
        api.get(URL, HTTP_X_API_KEY=raw)
        key_names = [k for k in cache._cache.get_client().keys("*") if b"api-key" in k]

    assert key_names, "the minute counter is in Redis"


def test_failed_key_authentications_are_limited_per_address(api, reader_key, settings):
    settings.PARTNER_API_BAD_KEY_RATE = (5, 60)
    _, good = reader_key
    with time_machine.travel(T0, tick=False):
        statuses = [api.get(URL, HTTP_AUTHORIZATION=f"Bearer ow_guess{n}").status_code for n in range(8)]
        good_key_here = api.get(URL, HTTP_AUTHORIZATION=f"Bearer {good}")
        anonymous_here = api.get(URL)
        elsewhere = api.get(URL, HTTP_AUTHORIZATION=f"Bearer {good}", REMOTE_ADDR="198.51.100.7")
    with time_machine.travel(T0.replace(minute=1), tick=False):
        next_minute = api.get(URL, HTTP_AUTHORIZATION=f"Bearer {good}")

    assert statuses == [401] * 5 + [429] * 3
    assert good_key_here.status_code == 429 and good_key_here["Retry-After"] == "60"
    assert "unknown or revoked API key" in good_key_here.json()["detail"]
    assert anonymous_here.status_code == 200 and elsewhere.status_code == 200
    assert next_minute.status_code == 200
