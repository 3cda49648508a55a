"""Seeding the demo: a small world (two Meta apps, two days, half volumes), stored
and replayed through the real pipeline; and what happens to a database that
already holds data."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lab.demo.plan import DemoPlan, PastOutage
from lab.demo.seed import Refused, check, seed, wipe
from lab.models import DemoRun
from reports.models import Report, Service
from spikes import fitting
from spikes.models import ALL_REGIONS, Incident, PipelineState, Series, SeriesMinute, Spike
from spikes.tests.factories import add_reports

NOW = datetime(2026, 3, 4, 5, 0, 30, tzinfo=UTC)  # a Wednesday morning
OUTAGE = PastOutage(("facebook", "instagram"), 1, time(16, 0), 60, 20, kind="group", group="meta")
OUTAGE_AT = datetime(2026, 3, 3, 16, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_plan(simulated_catalog) -> DemoPlan:
    simulated_catalog("facebook", "instagram")
    return DemoPlan.new(NOW, days=2, scale=0.5, services=("facebook", "instagram"))


def test_seeding_leaves_baselines_past_spikes_and_an_incident_that_a_reset_deletes(small_plan):
    ticks: list[tuple[float, str]] = []
    three_minutes_later = NOW + timedelta(minutes=3)

    seeded = seed(
        small_plan,
        lambda amount, phase: ticks.append((amount, phase)),
        lambda: three_minutes_later,
        (OUTAGE,),
    )

    # Every series of the world is there, counted, and judged on a ready baseline.
    overall = Series.objects.filter(region=ALL_REGIONS)
    assert overall.count() == 2
    for series in overall.select_related("baseline"):
        assert fitting.is_ready(fitting.Profile.from_dict(series.baseline.profile))
        assert series.detected_until == NOW.replace(second=0)
    assert SeriesMinute.objects.filter(minute__lt=small_plan.start + timedelta(days=1)).exists()
    # The outage of yesterday afternoon is in the archive, over, and one Meta incident.
    found = Spike.objects.filter(region=ALL_REGIONS).select_related("service")
    assert {spike.service.slug for spike in found} == {"facebook", "instagram"}
    for spike in Spike.objects.all():  # nothing else: no false alarm in two days
        # During the hour-long outage (a quiet region's share of it can take a while).
        assert OUTAGE_AT < spike.detected_at <= OUTAGE_AT + timedelta(minutes=60)
        assert spike.ended_at is not None
    incident = Incident.objects.get()
    assert incident.kind == Incident.Kind.GROUP and incident.group.slug == "meta"
    assert seeded.spikes == Spike.objects.count() and seeded.incidents == 1
    # The minutes the seeding took are stored too, and left for the live pass to count.
    assert Report.objects.filter(created_at__gte=NOW).exists()
    assert not Report.objects.filter(created_at__gte=three_minutes_later).exists()
    assert PipelineState.objects.get().counted_until == NOW.replace(second=0)
    run = DemoRun.objects.get()
    assert DemoPlan.from_dict(run.plan).history_until == three_minutes_later
    # The progress bar is told of every phase and reaches the whole.
    assert [phase for _, phase in ticks][-1] == "detecting"
    assert {phase for _, phase in ticks} == {"storing reports", "counting", "detecting"}
    assert sum(amount for amount, _ in ticks) == pytest.approx(100, abs=1)

    # A reset deletes it all again, but not the catalog.
    wipe()
    for model in (Report, SeriesMinute, Series, Spike, Incident, PipelineState, DemoRun):
        assert not model.objects.exists(), model
    assert Service.objects.filter(slug="facebook").exists()
    assert check(NOW) is None


def test_an_empty_database_is_seeded(small_plan):
    assert check(NOW) is None


def test_a_seeding_cut_short_leaves_the_database_as_it_was(small_plan):
    def interrupted(amount: float, phase: str) -> None:
        if phase == "counting":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        seed(small_plan, interrupted, outages=())

    assert not Report.objects.exists() and not DemoRun.objects.exists()
    assert check(NOW) is None


def someone_elses_reports() -> None:
    add_reports(Service.objects.get(slug="facebook"), NOW - timedelta(hours=1), minutes=2, per_minute=3)


def test_it_refuses_a_database_with_reports_it_did_not_make_and_names_the_reset(small_plan):
    someone_elses_reports()

    with pytest.raises(Refused) as refused:
        check(NOW)

    assert "did not make" in str(refused.value)
    assert "--reset" in str(refused.value)


def test_it_resumes_its_own_demo_while_its_world_lasts_and_then_refuses(small_plan):
    someone_elses_reports()
    DemoRun.objects.create(plan=small_plan.to_dict())

    assert check(NOW + timedelta(days=3)) == small_plan
    with pytest.raises(Refused, match="--reset"):
        check(small_plan.ends_at)


def test_the_command_refuses_foreign_data_and_seeds_after_a_reset():
    call_command("load_catalog", stdout=StringIO())
    someone_elses_reports()

    with pytest.raises(CommandError, match="--reset"):
        call_command("demo", "seed", "--days", "1", "--scale", "0.05", stdout=StringIO())
    assert Report.objects.count() == 6 and not DemoRun.objects.exists()

    out = StringIO()
    call_command("demo", "seed", "--reset", "--days", "1", "--scale", "0.05", stdout=out)
    assert "Deleted every report" in out.getvalue() and "Stored" in out.getvalue()
    assert DemoRun.objects.count() == 1 and Report.objects.exists()

    again = StringIO()
    call_command("demo", "seed", stdout=again)
    assert "Resuming the demo" in again.getvalue()
    assert DemoRun.objects.count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--days", "0.5"], "--days"), (["--scale", "0"], "--scale")],
    ids=["too few days", "no volume"],
)
def test_the_command_refuses_a_world_it_cannot_seed(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("demo", "seed", *args, stdout=StringIO())
