"""No client address is kept anywhere: after a run of requests of every kind from one
address (reports by API, stream and form; anonymous reads; bad partner keys; failed
admin log-ins), neither a Redis key or value nor a database row holds it."""

import json
import os

import pytest
import redis
from django.db import connection
from django.test import Client

from reports import mover, stream
from reports.models import Report

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"), reason="needs the real Redis of REDIS_URL (CI sets it)"
    ),
]

ADDRESS = "203.0.113.77"
REPORT = {"service": "whatsapp", "problem": "pictures", "region": "IN", "comment": "photos stuck"}


@pytest.fixture
def visitor(settings):
    settings.REPORT_STREAM = True
    stream.reset()
    yield Client(REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT="Firefox/140")
    stream.client().delete(stream.STREAM, stream.DEAD_LETTERS)
    stream.reset()


def redis_holding(needle: str) -> list[bytes]:
    conn = redis.Redis.from_url(os.environ["REDIS_URL"])
    return [key for key in conn.scan_iter("*") if needle.encode() in key + (conn.dump(key) or b"")]


def tables_holding(needle: str) -> list[str]:
    with connection.cursor() as cursor:
        found = []
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT count(*) FROM "{table}" AS row WHERE row::text LIKE %s', [f"%{needle}%"])
            if cursor.fetchone()[0]:
                found.append(table)
        return found


def test_no_client_address_is_kept_in_redis_or_the_database(visitor, whatsapp, settings, django_user_model):
    if connection.vendor != "postgresql":
        pytest.skip("scans PostgreSQL rows as text")
    django_user_model.objects.create_superuser("ops", "ops@example.org", "a long passphrase")
    api = lambda path, **headers: visitor.get(path, **headers)  # noqa: E731
    answers = [
        visitor.post("/api/v1/reports/", json.dumps(REPORT), content_type="application/json").status_code,
        visitor.post("/status/whatsapp/report/", {"problem": "pictures", "region": "IN"}).status_code,
        api("/api/v1/services/").status_code,
        api("/api/v1/spikes/").status_code,
        api("/api/v1/regions/", HTTP_AUTHORIZATION="Bearer ow_not-a-key").status_code,
        visitor.post("/admin/login/", {"username": "ops", "password": "wrong"}).status_code,
    ]
    settings.REPORT_STREAM = False  # and once committed directly
    answers.append(
        visitor.post("/api/v1/reports/", json.dumps(REPORT), content_type="application/json").status_code
    )
    mover.drain()

    assert answers == [201, 302, 200, 200, 401, 200, 201]
    assert Report.objects.count() == 3
    counters = b" ".join(redis_holding("rl:") + redis_holding("admin-login"))
    for counter in (b"report:", b"api-anon:", b"api-bad-key:", b"admin-login-attempts:addr:"):
        assert counter in counters, f"no {counter} counter was made: the scan would prove nothing"
    assert redis_holding(ADDRESS) == []
    assert tables_holding(ADDRESS) == []
