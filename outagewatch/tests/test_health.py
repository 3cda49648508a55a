"""GET /healthz checks the database, Redis and the detector's freshness, each for real."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from spikes.models import PipelineState

ROOT = Path(__file__).resolve().parents[2]
CLOSED_PORT = "redis://127.0.0.1:1/0"


def _last_pass(seconds_ago: float) -> None:
    PipelineState.objects.update_or_create(
        pk=1, defaults={"last_pass_at": timezone.now() - timedelta(seconds=seconds_ago)}
    )


@pytest.fixture
def fresh_pass(db):
    _last_pass(30)


def test_it_reports_healthy_when_everything_answers(client, fresh_pass, settings):
    response = client.get("/healthz")

    assert response.status_code == 200
    expected = {"database": "ok", "detector": "ok"} | ({"redis": "ok"} if settings.REDIS_URL else {})
    assert response.json() == {"status": "ok", "checks": expected, "failed": []}


@pytest.mark.redis
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the real Redis of REDIS_URL (CI sets it)")
def test_it_pings_the_real_redis_when_one_is_configured(client, fresh_pass):
    assert client.get("/healthz").json()["checks"]["redis"] == "ok"


def test_it_answers_503_naming_a_redis_that_does_not_answer(client, fresh_pass, settings):
    settings.REDIS_URL = CLOSED_PORT

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["failed"] == ["redis"]
    assert response.json()["checks"]["redis"] == "error: ConnectionError"
    assert response.json()["checks"]["database"] == "ok"


def test_it_answers_503_when_the_last_detection_pass_is_stale(client, db, settings):
    settings.DETECTOR_STALE_SECONDS = 300
    _last_pass(912)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["failed"] == ["detector"]
    assert "ended 912 s ago (limit 300 s)" in response.json()["checks"]["detector"]


def test_a_pass_within_the_limit_is_fresh(client, db, settings):
    settings.DETECTOR_STALE_SECONDS = 300
    _last_pass(290)

    assert client.get("/healthz?only=detector").status_code == 200


def test_it_answers_503_before_any_detection_pass_has_run(client, db):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert "no detection pass has run yet" in response.json()["checks"]["detector"]


def test_a_load_balancer_can_ask_for_the_serving_checks_only(client, db, settings):
    _last_pass(3600)

    response = client.get("/healthz?only=database")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok"}


def test_an_unknown_check_is_refused_with_the_list_of_checks(client, db):
    response = client.get("/healthz?only=database,disk")

    assert response.status_code == 400
    assert "Unknown check 'disk'" in response.json()["detail"]


def test_it_answers_503_naming_a_database_that_does_not_answer(tmp_path):
    # A process of its own, whose DATABASE_URL points at a port where nothing listens.
    script = (
        "import django, json; django.setup(); from django.test import Client; "
        "r = Client(HTTP_HOST='localhost').get('/healthz?only=database'); print(r.status_code, r.content.decode())"
    )
    env = os.environ | {
        "DATABASE_URL": "postgres://nobody:secret@127.0.0.1:1/nothing",
        "DJANGO_SETTINGS_MODULE": "outagewatch.settings",
        "DATA_DIR": str(tmp_path),
        "LOG_LEVEL": "CRITICAL",  # stdout is for the answer only
    }

    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    status, body = result.stdout.split(" ", 1)
    assert status == "503", result.stderr
    assert json.loads(body)["failed"] == ["database"]
    assert json.loads(body)["checks"]["database"] == "error: OperationalError"
