"""GET /metrics: reports accepted and refused, webhook deliveries, and the gauges the
apps register (the pipeline's: spikes/tests/test_monitoring.py); only for the monitoring system."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from outagewatch.metrics import WEBHOOK_DELIVERIES
from outagewatch.tests.support import database_url, sample, scrape
from reports.tests.factories import ServiceFactory

ROOT = Path(__file__).resolve().parents[2]
API = "/api/v1/reports/"
GOOD = {"service": "whatsapp", "problem": "pictures", "region": "IN"}


@pytest.fixture
def whatsapp(db):
    return ServiceFactory(slug="whatsapp", name="WhatsApp", problems=["messages", "pictures"])


def post(client, body, **extra):
    return client.post(API, json.dumps(body), content_type="application/json", **extra)


def test_it_counts_accepted_reports_by_source(client, whatsapp):
    api_before = sample("outagewatch_reports_accepted_total", source="api")
    web_before = sample("outagewatch_reports_accepted_total", source="web")

    assert post(client, GOOD).status_code == 201
    assert client.post("/status/whatsapp/report/", {"problem": "pictures", "region": "IN"}).status_code == 302

    assert sample("outagewatch_reports_accepted_total", source="api") == api_before + 1
    assert sample("outagewatch_reports_accepted_total", source="web") == web_before + 1


@pytest.mark.parametrize(
    ("body", "extra", "reason"),
    [
        ({**GOOD, "problem": "faxes"}, {}, "invalid"),
        ({**GOOD, "comment": "x" * 5000}, {}, "too_large"),
    ],
)
def test_it_counts_refused_reports_by_reason(client, whatsapp, body, extra, reason):
    before = sample("outagewatch_reports_rejected_total", source="api", reason=reason)

    assert post(client, body, **extra).status_code >= 400

    assert sample("outagewatch_reports_rejected_total", source="api", reason=reason) == before + 1


def test_it_counts_a_wrong_content_type_as_unsupported(client, whatsapp):
    before = sample("outagewatch_reports_rejected_total", source="api", reason="unsupported_media_type")

    assert client.post(API, "service=whatsapp", content_type="text/plain").status_code == 415

    after = sample("outagewatch_reports_rejected_total", source="api", reason="unsupported_media_type")
    assert after == before + 1


def test_it_counts_rate_limited_reports(client, whatsapp, settings):
    settings.REPORT_RATE_LIMIT = (1, 60)
    before = sample("outagewatch_reports_rejected_total", source="web", reason="rate_limited")
    form = {"problem": "pictures", "region": "IN"}

    client.post("/status/whatsapp/report/", form)
    assert client.post("/status/whatsapp/report/", form).status_code == 429

    assert sample("outagewatch_reports_rejected_total", source="web", reason="rate_limited") == before + 1


def _all_report_answers() -> float:
    return sum(
        s.value
        for family in REGISTRY.collect()
        if family.name in ("outagewatch_reports_accepted", "outagewatch_reports_rejected")
        for s in family.samples
        if s.name.endswith("_total")
    )


def test_other_pages_are_not_counted_as_reports(client, whatsapp):
    post(client, GOOD)
    before = _all_report_answers()

    client.get("/status/whatsapp/")
    client.post("/", {"problem": "pictures"})
    client.post("/api/v1/nothing-here/", {})

    assert before >= 1
    assert _all_report_answers() == before


def test_it_offers_the_webhook_delivery_counter_to_the_partner_code(client, db):
    WEBHOOK_DELIVERIES.labels(outcome="delivered").inc()

    assert scrape(client)[("outagewatch_webhook_deliveries_total", (("outcome", "delivered"),))] >= 1


def test_it_refuses_a_scraper_from_a_public_address_and_says_how_to_get_in(client, db):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 403
    assert "METRICS_TOKEN" in response.content.decode()


def test_a_scraper_with_the_token_gets_in_from_anywhere(client, db, settings):
    settings.METRICS_TOKEN = "s3cret-scrape-token"

    assert scrape(client, REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")
    wrong = client.get("/metrics", REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION="Bearer guess")
    assert wrong.status_code == 403


def test_behind_a_proxy_the_real_client_address_decides(client, db, settings):
    # Every request comes from the proxy's private address; the client is in X-Forwarded-For.
    settings.NUM_PROXIES = 1

    response = client.get("/metrics", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.7")

    assert response.status_code == 403


def test_in_multiprocess_mode_it_adds_up_every_process(tmp_path, db):
    # Two processes accept a report each, as two gunicorn workers would; a third
    # serves /metrics. They share only PROMETHEUS_MULTIPROC_DIR (and the database).
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    env = os.environ | {
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "DATA_DIR": str(tmp_path),
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "outagewatch.settings",
    }
    count = (
        "import django; django.setup(); from outagewatch.metrics import count_report_response; "
        "count_report_response('api-report-create', 201)"
    )
    scrape_it = (
        "import django; django.setup(); from django.test import Client; "
        "print(Client(HTTP_HOST='localhost').get('/metrics', REMOTE_ADDR='127.0.0.1').content.decode())"
    )
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], cwd=ROOT, env=env, check=True, timeout=60)

    result = subprocess.run(
        [sys.executable, "-c", scrape_it], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert 'outagewatch_reports_accepted_total{source="api"} 2.0' in result.stdout
    assert 'outagewatch_open_spikes{level="danger"} 0.0' in result.stdout
