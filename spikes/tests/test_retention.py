"""Retention: raw reports older than the retention period are deleted in batches;
counts, series, spikes and incidents stay; running it again changes nothing."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from outagewatch.celery import app
from reports.models import Report
from spikes import counting, retention, tasks
from spikes.models import Incident, MinuteCount, PipelineState, Series, SeriesMinute, Spike
from spikes.tests.factories import add_reports

NOW = timezone.now().replace(second=0, microsecond=0)
OLD = NOW - timedelta(days=100)
RECENT = NOW - timedelta(days=10)


@pytest.fixture
def history(whatsapp):
    """15 reports 100 days ago (one with a comment), 15 ten days ago, all counted,
    and a spike with its incident over the old ones."""
    add_reports(whatsapp, OLD, minutes=3, per_minute=5, reporter="old")
    add_reports(whatsapp, RECENT, minutes=3, per_minute=5, reporter="new")
    Report.objects.filter(created_at__lt=OLD + timedelta(minutes=1)).update(comment="pictures won't load")
    for start in (OLD, RECENT):
        counting.count_range(start, start + timedelta(minutes=3))
    PipelineState.objects.update_or_create(pk=1, defaults={"counted_until": NOW - timedelta(minutes=5)})
    incident = Incident.objects.create(kind=Incident.Kind.GROUP, started_at=OLD)
    Spike.objects.create(
        series=Series.objects.get(service=whatsapp, region=""),
        service=whatsapp,
        level="danger",
        started_at=OLD,
        detected_at=OLD,
        peak_at=OLD,
        peak_reports=5,
        expected_reports=0.5,
        ended_at=OLD + timedelta(minutes=3),
        incident=incident,
    )
    return whatsapp


def everything_but_reports():
    return (
        list(MinuteCount.objects.order_by("pk").values()),
        list(SeriesMinute.objects.order_by("pk").values()),
        list(Series.objects.order_by("pk").values()),
        list(Spike.objects.order_by("pk").values()),
        list(Incident.objects.order_by("pk").values()),
    )


def test_it_deletes_old_reports_and_their_comments_and_keeps_recent_ones(history):
    deleted = retention.purge(retention.cutoff_for(NOW, days=90), batch_size=4)

    assert deleted == 15
    assert Report.objects.count() == 15
    assert not Report.objects.filter(created_at__lt=NOW - timedelta(days=90)).exists()
    assert not Report.objects.exclude(comment="").exists()


def test_counts_series_spikes_and_incidents_are_untouched(history):
    before = everything_but_reports()

    retention.purge(retention.cutoff_for(NOW, days=90))

    assert everything_but_reports() == before
    assert sum(MinuteCount.objects.values_list("reports", flat=True)) == 30


def test_a_second_run_finds_nothing_more_to_do(history):
    cutoff = retention.cutoff_for(NOW, days=90)
    retention.purge(cutoff)
    after_first = (list(Report.objects.order_by("pk").values_list("pk", flat=True)), everything_but_reports())

    assert retention.purge(cutoff) == 0
    assert (list(Report.objects.order_by("pk").values_list("pk", flat=True)), everything_but_reports()) == (
        after_first
    )


def test_reports_not_yet_counted_are_kept_whatever_their_age(history):
    PipelineState.objects.filter(pk=1).update(counted_until=OLD + timedelta(minutes=1))

    retention.purge(retention.cutoff_for(NOW, days=90))

    assert Report.objects.count() == 30


def test_nothing_is_purged_before_anything_was_counted(history):
    PipelineState.objects.filter(pk=1).update(counted_until=None)

    assert retention.purge(retention.cutoff_for(NOW, days=1)) == 0


def test_the_command_purges_with_a_progress_bar_and_says_how_many(history):
    out, err = StringIO(), StringIO()

    call_command("purge_reports", "--days", "30", "--batch-size", "7", stdout=out, stderr=err)

    assert out.getvalue().startswith("Deleted 15 reports created before ")
    assert "15/15" in err.getvalue()
    assert Report.objects.count() == 15


def test_a_dry_run_only_counts(history):
    out = StringIO()

    call_command("purge_reports", "--dry-run", stdout=out)

    assert "Would delete 15 reports" in out.getvalue()
    assert Report.objects.count() == 30


def test_the_command_follows_the_retention_setting(history, settings):
    settings.REPORT_RETENTION_DAYS = 5
    out = StringIO()

    call_command("purge_reports", stdout=out)

    assert out.getvalue().startswith("Deleted 30 reports")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "0"], "--days must be at least 1"),
        (["--batch-size", "0"], "--batch-size must be at least 1"),
    ],
)
def test_the_command_refuses_nonsense_with_a_reason(history, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("purge_reports", *args)
    assert Report.objects.count() == 30


def test_the_daily_task_purges_by_the_setting(history, settings):
    settings.REPORT_RETENTION_DAYS = 90
    app.conf.task_always_eager = True
    try:
        assert tasks.purge_old_reports.delay().get() == 15
        assert tasks.purge_old_reports.delay().get() == 0
    finally:
        app.conf.task_always_eager = False
    assert Report.objects.count() == 15


def test_the_task_is_on_the_beat_schedule_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["purge-old-reports"]

    assert entry["task"] == "spikes.tasks.purge_old_reports"
    # Once a day, every day of the week.
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({3}, {17})
    assert entry["schedule"].day_of_week == set(range(7))
