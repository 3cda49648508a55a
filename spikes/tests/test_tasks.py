"""The Celery tasks wire the pipeline: a pass fans out over chunks of series."""

from datetime import timedelta

import pytest
import time_machine

from outagewatch.celery import app
from spikes import pipeline, tasks
from spikes.models import ALL_REGIONS, PipelineState, Series, Spike
from spikes.tests.factories import ONSET, learn_history, outage


@pytest.fixture
def eager_celery():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_the_minute_task_counts_and_detects_in_chunks(whatsapp, instagram, eager_celery, monkeypatch):
    learn_history(whatsapp, instagram)
    outage(whatsapp)
    monkeypatch.setattr(pipeline, "CHUNK_SIZE", 2)  # several chunks for four series

    with time_machine.travel(ONSET + timedelta(minutes=15), tick=False):
        summary = tasks.detection_pass.delay().get()

    assert summary["series"] == Series.objects.count() == 4
    assert summary["chunks"] == 2
    assert Spike.objects.filter(service=whatsapp).exists()
    assert not Spike.objects.filter(service=instagram).exists()
    assert PipelineState.load().last_pass_until == (ONSET + timedelta(minutes=15)).replace(second=0)


def test_the_baseline_task_refits_what_is_due(whatsapp, eager_celery):
    learn_history(whatsapp)
    Series.objects.update(baseline_updated_at=None)

    with time_machine.travel(ONSET, tick=False):
        refitted = tasks.refresh_baselines.delay().get()

    assert refitted == 2
    assert all(s.baseline_updated_at is not None for s in Series.objects.all())


def test_a_regional_baseline_keeps_its_countrys_clock_and_the_total_keeps_utc(whatsapp, eager_celery):
    learn_history(whatsapp)

    with time_machine.travel(ONSET, tick=False):
        tasks.refresh_baselines.delay().get()

    zones = {s.region: s.baseline.profile.get("zone", "") for s in Series.objects.select_related("baseline")}
    assert zones == {ALL_REGIONS: "", "US": "America/New_York"}
