"""What the pipeline tells the operator: the detector check of /healthz and the
gauges and timings of /metrics (spikes/monitoring.py)."""

from __future__ import annotations

import socket
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from outagewatch.celery import app
from outagewatch.tests.support import sample, scrape
from spikes import tasks
from spikes.models import Level, PipelineState, Verdict
from spikes.tests.conftest import T0
from spikes.tests.factories import SpikeFactory
from spikes.tests.processes import needs_postgres_and_redis, wait_until


def _last_pass(seconds_ago: float) -> None:
    PipelineState.objects.update_or_create(
        pk=1, defaults={"last_pass_at": timezone.now() - timedelta(seconds=seconds_ago)}
    )


def test_it_reports_healthy_when_everything_answers(client, db, settings):
    _last_pass(30)

    response = client.get("/healthz")

    assert response.status_code == 200
    expected = {"database": "ok", "detector": "ok"} | ({"redis": "ok"} if settings.REDIS_URL else {})
    assert response.json() == {"status": "ok", "checks": expected, "failed": []}


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


def test_it_times_every_detection_pass(db):
    before = sample("outagewatch_detection_pass_seconds_count")
    app.conf.task_always_eager = True
    try:
        tasks.detection_pass.delay().get()
    finally:
        app.conf.task_always_eager = False

    assert sample("outagewatch_detection_pass_seconds_count") == before + 1


def test_it_shows_open_spikes_by_level_and_the_age_of_the_last_pass(client, whatsapp):
    SpikeFactory(service=whatsapp, level=Level.DANGER)
    SpikeFactory(service=whatsapp, region="US", level=Level.WARNING)
    SpikeFactory(service=whatsapp, region="IN", level=Level.WARNING)
    SpikeFactory(service=whatsapp, region="GB", level=Level.DANGER, verdict=Verdict.DISMISSED)
    SpikeFactory(service=whatsapp, region="FR", level=Level.DANGER, ended_at=T0 + timedelta(hours=1))
    PipelineState.objects.update_or_create(
        pk=1, defaults={"last_pass_at": datetime.now(UTC) - timedelta(seconds=42)}
    )

    metrics = scrape(client)

    assert metrics[("outagewatch_open_spikes", (("level", "danger"),))] == 1
    assert metrics[("outagewatch_open_spikes", (("level", "warning"),))] == 2
    assert 42 <= metrics[("outagewatch_detection_last_pass_age_seconds", ())] < 60


@needs_postgres_and_redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_serves_the_pass_durations_of_its_processes(workers, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    worker = workers(
        "metrics",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "worker-metrics"),
        WORKER_METRICS_PORT=str(port),
        WORKER_METRICS_ADDR="127.0.0.1",
    )

    def scrape_worker() -> str:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
                return response.read().decode()
        except OSError:
            return ""

    wait_until(scrape_worker, lambda: f"the worker's metrics port; worker log:\n{worker.output()}")
    tasks.detection_pass.delay()

    wait_until(
        lambda: "outagewatch_detection_pass_seconds_count 1.0" in scrape_worker(),
        lambda: f"the pass to be counted; worker log:\n{worker.output()}",
    )
