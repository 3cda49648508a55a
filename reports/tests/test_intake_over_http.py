"""Through a real HTTP server: every 201 is a stored report, and nothing else is."""

import json
import os
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from importlib import import_module

import pytest
from django.apps import apps

from reports import mover, stream
from reports.models import Report
from reports.tests.factories import ServiceFactory


def _post(url: str, body: bytes, content_type: str = "application/json") -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "path",
    [
        "direct",
        pytest.param(
            "stream",
            marks=pytest.mark.skipif(
                not os.environ.get("REDIS_URL"), reason="needs the real Redis of REDIS_URL"
            ),
        ),
    ],
)
def test_a_thousand_valid_reports_leave_exactly_a_thousand_rows(live_server, settings, path):
    # A transactional test before this one emptied every table, the regions too.
    import_module("reports.migrations.0002_load_regions").load_regions(apps, None)
    settings.REPORT_RATE_LIMIT = (100_000, 60)  # all come from 127.0.0.1
    settings.REPORT_STREAM = path == "stream"
    stream.reset()
    if path == "stream":
        stream.client().delete(stream.STREAM)
    ServiceFactory(slug="whatsapp", problems=["messages", "pictures"])
    url = live_server.url + "/api/v1/reports/"
    bodies = [
        json.dumps(
            {"service": "whatsapp", "problem": ("messages", "pictures")[i % 2], "region": "US"}
        ).encode()
        for i in range(1000)
    ]

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda body: _post(url, body), bodies))

    assert statuses.count(201) == 1000
    if path == "stream":
        assert mover.drain() == 1000  # what `manage.py move_reports` does meanwhile
    assert Report.objects.count() == 1000


@pytest.mark.django_db(transaction=True)
def test_bad_input_over_http_gets_only_4xx_and_stores_nothing(live_server):
    ServiceFactory(slug="whatsapp", problems=["messages"])
    url = live_server.url + "/api/v1/reports/"
    bad = [
        (b'{"service": "whatsapp"', "application/json"),
        (b"\xff\xfe\x00", "application/json"),
        (b"[" * 2000 + b"]" * 2000, "application/json"),
        (b"service=whatsapp", "application/x-www-form-urlencoded"),
        (
            json.dumps(
                {"service": "whatsapp", "problem": "messages", "region": "US", "comment": "x" * 9000}
            ).encode(),
            "application/json",
        ),
        (
            json.dumps(
                {"service": "whatsapp", "problem": "messages", "region": "US", "comment": "\u0000"}
            ).encode(),
            "application/json",
        ),
    ]

    statuses = [_post(url, body, content_type) for body, content_type in bad]

    assert all(400 <= s < 500 for s in statuses), statuses
    assert Report.objects.count() == 0
