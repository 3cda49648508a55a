"""Faults of detection, with the real parts: a Celery worker killed with SIGKILL in
the middle of a detection pass, and beat stopped for 15 minutes.

Select them with `-m faults`. The killed-worker test runs a real `celery worker`
subprocess against the test PostgreSQL and Redis, so it needs both and skips on
SQLite; every wait in it is bounded.
"""

from __future__ import annotations

import os
import signal
from datetime import timedelta

import psycopg2
import pytest
import time_machine
from django.utils import timezone

from outagewatch.celery import app
from reports.tests.factories import ServiceFactory
from spikes import counting, pipeline, tasks
from spikes.models import ALL_REGIONS, MinuteCount, PipelineState, Series, SeriesMinute, Spike, SpikeChange
from spikes.tests.factories import NOW, add_reports, learn_history, state_of_everything
from spikes.tests.processes import database_url, needs_postgres_and_redis, wait_until

pytestmark = pytest.mark.faults


@pytest.fixture
def live_outage():
    """Two quiet days up to 20 minutes ago, counted and detected; then an outage of
    WhatsApp in the US over the last 15 minutes, not yet seen by any pass."""
    whatsapp = ServiceFactory(slug="whatsapp", name="WhatsApp", problems=["messages", "pictures"])
    now = counting.floor_minute(timezone.now())
    seen_until = now - timedelta(minutes=20)
    add_reports(whatsapp, seen_until - timedelta(days=2), minutes=2 * 1440, per_minute=4, reporter="h")
    pipeline.run_pass(seen_until)
    pipeline.refresh_baselines(seen_until)
    add_reports(whatsapp, now - timedelta(minutes=15), minutes=15, per_minute=40, reporter="o")
    return whatsapp


class HeldSpike:
    """Another session's uncommitted open spike of a series. A worker that opens
    the same spike waits on the unique index for this session, in the middle of
    its detection transaction: that is where the tests kill it."""

    def __init__(self, series: Series) -> None:
        self.session = psycopg2.connect(database_url())
        # pg_stat_activity is read once per transaction: watch from a session of its own.
        self.watcher = psycopg2.connect(database_url())
        self.watcher.autocommit = True
        with self.session.cursor() as cursor:
            cursor.execute(
                "INSERT INTO spikes_spike (series_id, service_id, region, level, verdict, confirmed_by,"
                " dismissed_reason, verdict_note, verdict_url,"
                " started_at, detected_at, peak_at, peak_reports, expected_reports, problems, regions)"
                " VALUES (%s, %s, '', 'warning', 'suspected', '', '', '', '', now(), now(), now(), 1, 1, '{}', '{}')",
                [series.pk, series.service_id],
            )

    def waiting_backends(self) -> set[int]:
        """The database sessions waiting to insert a spike."""
        with self.watcher.cursor() as watch:
            watch.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND query LIKE %s",
                ['INSERT INTO "spikes_spike"%'],
            )
            return {row[0] for row in watch.fetchall()}

    def terminate(self, backends: set[int]) -> None:
        with self.watcher.cursor() as watch:
            for pid in backends:
                watch.execute("SELECT pg_terminate_backend(%s)", [pid])

    def release(self) -> None:
        self.session.rollback()
        self.session.close()
        self.watcher.close()


@needs_postgres_and_redis
# Committed for real: the worker is another process.
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_pass_leaves_no_duplicate_and_the_next_pass_completes(live_outage, workers):
    whatsapp = live_outage
    series = Series.objects.get(service=whatsapp, region=ALL_REGIONS)
    detected_before = dict(Series.objects.values_list("pk", "detected_until"))
    held = HeldSpike(series)
    try:
        first = workers("first")
        tasks.detection_pass.delay()
        wait_until(
            held.waiting_backends,
            lambda: f"the worker to reach the spike insert; worker log:\n{first.output()}",
        )
        first.kill()
    finally:
        held.release()

    # Killed mid-transaction: nothing of its work is stored.
    assert first.process.returncode == -signal.SIGKILL
    assert Spike.objects.count() == 0
    assert dict(Series.objects.values_list("pk", "detected_until")) == detected_before

    second = workers("second")
    tasks.detection_pass.delay()
    wait_until(
        lambda: (
            PipelineState.load().last_pass_at
            and Series.objects.filter(detected_until__gt=detected_before[series.pk]).count()
            == len(detected_before)
        ),
        lambda: f"the next pass to complete; worker log:\n{second.output()}",
    )
    wait_until(lambda: Spike.objects.filter(series=series).exists(), "the spike of the outage")
    tasks.detection_pass.delay()  # and one more pass, on the same minutes or the next
    wait_until(lambda: PipelineState.load().last_pass_at > timezone.now() - timedelta(seconds=5), "a pass")

    for each in Series.objects.all():
        assert Spike.objects.filter(series=each).count() <= 1, each
    assert Spike.objects.filter(series=series).count() == 1
    spike = Spike.objects.get(series=series)
    assert SpikeChange.objects.filter(spike=spike, kind="opened").count() == 1
    assert spike.started_at >= timezone.now() - timedelta(minutes=20)


# --- beat stopped for 15 minutes -----------------------------------------------------------


@pytest.fixture
def eager_celery():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def _reports_in_minutes(whatsapp, start, minutes: int) -> None:
    add_reports(whatsapp, start, minutes=minutes, per_minute=4, reporter="quiet")
    add_reports(whatsapp, start + timedelta(minutes=3), minutes=minutes - 3, per_minute=40, reporter="o")


def test_after_beat_stopped_for_15_minutes_one_pass_counts_and_detects_every_minute(whatsapp, eager_celery):
    learn_history(whatsapp)
    _reports_in_minutes(whatsapp, NOW, 15)

    # Beat stopped at NOW: no pass ran for 15 minutes. The first one after it:
    with time_machine.travel(NOW + timedelta(minutes=15, seconds=20), tick=False):
        tasks.detection_pass.delay().get()

    minutes = [NOW + timedelta(minutes=m) for m in range(15)]
    all_regions = Series.objects.get(service=whatsapp, region=ALL_REGIONS)
    counted = dict(
        SeriesMinute.objects.filter(series=all_regions, minute__gte=NOW).values_list("minute", "reporters")
    )
    assert counted == {m: 4 if m < NOW + timedelta(minutes=3) else 44 for m in minutes}
    assert MinuteCount.objects.filter(minute__gte=NOW).values("minute").distinct().count() == 15
    assert set(Series.objects.values_list("detected_until", flat=True)) == {NOW + timedelta(minutes=15)}
    assert PipelineState.load().last_pass_until == NOW + timedelta(minutes=15)
    spike = Spike.objects.get(series=all_regions)
    assert NOW <= spike.started_at <= NOW + timedelta(minutes=6)


def test_the_late_pass_finds_what_passes_every_minute_would_have_found(whatsapp, eager_celery):
    learn_history(whatsapp)
    _reports_in_minutes(whatsapp, NOW, 15)
    start_state = list(Series.objects.order_by("pk").values("pk", "detector_state", "detected_until"))
    start_pipeline = PipelineState.objects.values("counted_until", "last_pass_until", "last_pass_at").get(
        pk=1
    )

    with time_machine.travel(NOW + timedelta(minutes=15, seconds=20), tick=False):
        tasks.detection_pass.delay().get()
    late = state_of_everything()

    # Rewind, and let beat run a pass every minute instead.
    SpikeChange.objects.all().delete()
    Spike.objects.all().delete()
    for row in start_state:
        Series.objects.filter(pk=row["pk"]).update(
            detector_state=row["detector_state"], detected_until=row["detected_until"]
        )
    PipelineState.objects.filter(pk=1).update(**start_pipeline)
    for minute in range(1, 16):
        with time_machine.travel(NOW + timedelta(minutes=minute, seconds=20), tick=False):
            tasks.detection_pass.delay().get()
    every_minute = state_of_everything()

    def without_ids(state):
        spikes, changes, series = state
        return (
            [{k: v for k, v in s.items() if k not in ("id", "incident_id", "part_of_id")} for s in spikes],
            [{k: v for k, v in c.items() if k != "spike_id"} for c in changes],
            series,
        )

    assert late[0], "the outage must be found"
    assert without_ids(late) == without_ids(every_minute)


@needs_postgres_and_redis
@pytest.mark.django_db(transaction=True)
def test_a_task_whose_process_is_killed_is_put_back_and_run_again_at_once(live_outage, workers):
    # acks_late + reject_on_worker_lost: when the process running a task dies, the
    # worker puts the task back on the queue and a new process runs it, no pass later.
    series = Series.objects.get(service=live_outage, region=ALL_REGIONS)
    held = HeldSpike(series)
    try:
        worker = workers("prefork", pool="prefork")
        tasks.detection_pass.delay()
        first_try = wait_until(
            held.waiting_backends, lambda: f"the task to reach the spike insert; log:\n{worker.output()}"
        )
        child = wait_until(worker.children, "the worker's process")[0]
        os.kill(child, signal.SIGKILL)
        # The killed process's database session is stuck in our lock wait, so it
        # cannot see its client is gone (an idle one would at once): end it, as
        # PostgreSQL would, so that its row locks go.
        held.terminate(first_try)
        wait_until(
            lambda: held.waiting_backends() - first_try,
            lambda: f"the task to run again in a new process; log:\n{worker.output()}",
        )
    finally:
        held.release()

    wait_until(
        lambda: Spike.objects.filter(series=series).exists(), lambda: f"the spike; log:\n{worker.output()}"
    )
    assert "WorkerLostError" in worker.output()
    assert Spike.objects.filter(series=series).count() == 1
    assert SpikeChange.objects.filter(spike__series=series, kind="opened").count() == 1
