"""The per-client rate limit: 429 with Retry-After, counted in the real Redis."""

import json
import os

import pytest

from reports import ratelimit
from reports.models import Report

URL = "/api/v1/reports/"
BODY = json.dumps({"service": "whatsapp", "problem": "messages", "region": "US"})

needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs the real Redis of REDIS_URL (CI sets it)"
)


def post(client, address="198.51.100.9"):
    return client.post(URL, BODY, content_type="application/json", REMOTE_ADDR=address)


@needs_redis
@pytest.mark.redis
def test_the_count_is_kept_in_redis_under_a_hashed_key(client, whatsapp):
    import redis

    post(client, address="198.51.100.9")

    keys = [k.decode() for k in redis.Redis.from_url(os.environ["REDIS_URL"]).keys("*rl:report:*")]
    assert len(keys) == 1
    assert "198.51.100.9" not in keys[0]


@needs_redis
@pytest.mark.redis
def test_a_client_over_the_limit_gets_429_with_retry_after(client, whatsapp, settings):
    settings.REPORT_RATE_LIMIT = (3, 60)

    answers = [post(client) for _ in range(5)]

    assert [a.status_code for a in answers] == [201, 201, 201, 429, 429]
    refused = answers[-1]
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "Too many reports" in refused.json()["detail"]
    assert refused.json()["retry_after"] == int(refused["Retry-After"])
    assert Report.objects.count() == 3


@needs_redis
@pytest.mark.redis
def test_other_clients_are_not_held_back_by_one_abuser(client, whatsapp, settings):
    settings.REPORT_RATE_LIMIT = (2, 60)
    for _ in range(4):
        post(client, address="198.51.100.9")

    assert post(client, address="198.51.100.10").status_code == 201


@needs_redis
@pytest.mark.redis
def test_the_form_is_limited_too_and_says_when_to_come_back(client, whatsapp, settings):
    settings.REPORT_RATE_LIMIT = (1, 60)
    form = {"problem": "messages", "region": "US"}
    client.post("/status/whatsapp/report/", form)

    refused = client.post("/status/whatsapp/report/", form)

    assert refused.status_code == 429
    assert "Retry-After" in refused
    assert b"Please try again in" in refused.content
    assert Report.objects.count() == 1


def test_the_window_resets(db):
    first = [ratelimit.hit("k", 2, 60, now=1_000_020.0).allowed for _ in range(3)]
    next_window = ratelimit.hit("k", 2, 60, now=1_000_080.0)

    assert first == [True, True, False]
    assert next_window.allowed and next_window.remaining == 1


def test_it_lets_reports_through_when_the_cache_is_down(client, whatsapp, settings):
    # A real Redis client pointed at a port where nothing listens.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }
    settings.REPORT_RATE_LIMIT = (1, 60)

    answers = [post(client).status_code for _ in range(3)]

    assert answers == [201, 201, 201]
