"""The detection pass end to end: reports in, spikes out, the same every time."""

import json
from datetime import timedelta

import pytest
import time_machine

from spikes import pipeline
from spikes.models import ALL_REGIONS, Spike
from spikes.tests.factories import (
    NOW,
    ONSET,
    add_reports,
    learn_history,
    outage,
    state_of_everything,
)


def test_a_quiet_service_raises_nothing(whatsapp):
    learn_history(whatsapp)
    add_reports(whatsapp, NOW, minutes=120, per_minute=4, reporter="later")

    pipeline.run_pass(NOW + timedelta(hours=2))

    assert Spike.objects.count() == 0


def test_an_outage_is_flagged_within_minutes_with_its_onset(whatsapp):
    learn_history(whatsapp)
    outage(whatsapp, problem="pictures")

    pipeline.run_pass(ONSET + timedelta(minutes=15))

    spike = Spike.objects.get(region=ALL_REGIONS)
    assert abs(spike.started_at - ONSET) <= timedelta(minutes=2)
    assert spike.detected_at - ONSET <= timedelta(minutes=4)
    assert spike.verdict == "suspected" and spike.ended_at is None
    assert spike.peak_reports >= 40
    assert max(spike.problems, key=spike.problems.get) == "pictures"
    assert spike.regions == {"US": 1.0}
    assert [c.kind for c in spike.changes.all()][0] == "opened"
    assert Spike.objects.filter(region="US").exists()


def test_running_a_pass_twice_changes_nothing(whatsapp):
    learn_history(whatsapp)
    outage(whatsapp)
    pipeline.run_pass(ONSET + timedelta(minutes=15))
    before = state_of_everything()

    pipeline.run_pass(ONSET + timedelta(minutes=15))

    assert state_of_everything() == before


def test_a_pass_catches_up_on_minutes_it_missed(whatsapp):
    learn_history(whatsapp)
    outage(whatsapp)

    # Beat stopped for an hour: one late pass sees every minute.
    pipeline.run_pass(ONSET + timedelta(hours=1))

    spike = Spike.objects.get(region=ALL_REGIONS)
    assert spike.detected_at - ONSET <= timedelta(minutes=4)


def test_the_spike_resolves_when_reports_are_back_to_normal(whatsapp):
    learn_history(whatsapp)
    outage(whatsapp, minutes=30)
    add_reports(whatsapp, ONSET, minutes=300, per_minute=4, reporter="normal")

    pipeline.run_pass(ONSET + timedelta(hours=5))

    spike = Spike.objects.get(region=ALL_REGIONS)
    assert spike.ended_at is not None and spike.verdict == "suspected"
    assert abs(spike.ended_at - (ONSET + timedelta(minutes=30))) <= timedelta(minutes=15)
    assert [c.kind for c in spike.changes.all()][-1] == "resolved"


def test_a_service_without_a_days_history_is_not_judged_yet(whatsapp):
    add_reports(whatsapp, NOW - timedelta(hours=3), minutes=180, per_minute=4)
    pipeline.refresh_baselines(NOW)
    outage(whatsapp)

    pipeline.run_pass(ONSET + timedelta(minutes=30))

    assert Spike.objects.count() == 0


@pytest.mark.django_db
def test_a_handful_of_reporters_flooding_raises_nothing(client, whatsapp, settings):
    learn_history(whatsapp)
    settings.REPORT_RATE_LIMIT = (10_000, 60)
    body = json.dumps({"service": "whatsapp", "problem": "messages", "region": "US"})
    with time_machine.travel(ONSET, tick=False) as clock:
        for _ in range(60):
            for flooder in range(5):
                client.post(
                    "/api/v1/reports/",
                    body,
                    content_type="application/json",
                    REMOTE_ADDR=f"198.51.100.{flooder}",
                )
            clock.shift(timedelta(minutes=1))
    # Every report is stored; each flooder counts once, since each of their
    # reports came within 15 minutes of their previous one.
    flood = whatsapp.reports.filter(created_at__gte=ONSET)
    assert (flood.count(), flood.filter(is_repeat=False).count()) == (300, 5)
    add_reports(whatsapp, NOW, minutes=75, per_minute=4, reporter="normal")

    pipeline.run_pass(ONSET + timedelta(minutes=65))

    assert Spike.objects.count() == 0


def test_an_intake_gap_raises_nothing(whatsapp, instagram):
    learn_history(whatsapp, instagram, per_minute=6)
    # Nothing at all for 40 minutes (the intake was down), then normal again.
    gap_end = NOW + timedelta(minutes=40)
    for service in (whatsapp, instagram):
        add_reports(service, gap_end, minutes=80, per_minute=6, reporter="after")

    pipeline.run_pass(gap_end + timedelta(minutes=80))

    assert Spike.objects.count() == 0


def test_the_people_who_reported_never_trail_the_peak_minute(whatsapp):
    learn_history(whatsapp)
    for minute, per_minute in enumerate([20, 40, 60, 80, 100, 120, 140]):
        outage(whatsapp, minutes=1, per_minute=per_minute, start=ONSET + timedelta(minutes=minute))

    # One pass a minute, as beat runs them, through the climb.
    for minute in range(1, 9):
        pipeline.run_pass(ONSET + timedelta(minutes=minute))
        for spike in Spike.objects.all():
            assert spike.people >= spike.peak_reports, (minute, spike.region)

    assert Spike.objects.get(region=ALL_REGIONS).peak_reports > 100
