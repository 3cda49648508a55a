"""GET /healthz checks the database and Redis, each for real, and runs the checks
the apps register (the detector's, spikes/tests/test_monitoring.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from outagewatch import health

ROOT = Path(__file__).resolve().parents[2]
CLOSED_PORT = "redis://127.0.0.1:1/0"
SERVING = "/healthz?only=database,redis"


@pytest.fixture
def registered():
    """Checks registered by a test, taken out again afterwards."""
    before = dict(health._registered)
    yield health.register
    health._registered.clear()
    health._registered.update(before)


@pytest.mark.redis
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the real Redis of REDIS_URL (CI sets it)")
def test_it_pings_the_real_redis_when_one_is_configured(client, db):
    response = client.get(SERVING)

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}


def test_it_answers_503_naming_a_redis_that_does_not_answer(client, db, settings):
    settings.REDIS_URL = CLOSED_PORT

    response = client.get(SERVING)

    assert response.status_code == 503
    assert response.json()["failed"] == ["redis"]
    assert response.json()["checks"]["redis"] == "error: ConnectionError"
    assert response.json()["checks"]["database"] == "ok"


def test_it_runs_the_checks_the_apps_register_after_its_own(client, db, settings, registered):
    settings.REDIS_URL = ""
    registered("disk", lambda: "ok")

    checks = client.get("/healthz").json()["checks"]

    assert list(checks)[0] == "database"
    assert checks["disk"] == "ok"


def test_a_registered_check_that_fails_or_raises_makes_it_unhealthy(client, db, registered):
    registered("disk", lambda: "only 2% free")
    registered("queue", lambda: 1 / 0)

    response = client.get("/healthz?only=disk,queue")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unhealthy",
        "checks": {"disk": "only 2% free", "queue": "error: ZeroDivisionError"},
        "failed": ["disk", "queue"],
    }


def test_a_load_balancer_can_ask_for_the_serving_checks_only(client, db, registered):
    registered("late", lambda: "stale")

    response = client.get("/healthz?only=database")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok"}


def test_an_unknown_check_is_refused_with_the_list_of_checks(client, db):
    response = client.get("/healthz?only=database,disk")

    assert response.status_code == 400
    assert "Unknown check 'disk'" in response.json()["detail"]
    assert "database" in response.json()["detail"]


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
