"""Per-minute counts: right, idempotent, and caught up after downtime."""

from datetime import timedelta

import time_machine

from reports.signals import reports_stored
from spikes import counting
from spikes.models import ALL_REGIONS, MinuteCount, PipelineState, Series, SeriesMinute, SubdivisionMinute
from spikes.tests.conftest import T0
from spikes.tests.factories import add_reports


def snapshot():
    return (
        sorted(
            MinuteCount.objects.values_list(
                "minute", "service_id", "region", "problem_id", "reports", "reporters"
            )
        ),
        sorted(SeriesMinute.objects.values_list("series__region", "minute", "reports", "reporters")),
    )


def test_it_counts_reports_and_distinct_reporters_per_minute(whatsapp):
    add_reports(whatsapp, T0, minutes=2, per_minute=3, region="US", problem="pictures")
    add_reports(whatsapp, T0, minutes=1, per_minute=2, region="IN", problem="messages", reporter="in")
    whatsapp.reports.filter(region_id="IN").update(is_repeat=True)

    counting.count_range(T0, T0 + timedelta(minutes=5))

    by_region = {
        region: list(
            SeriesMinute.objects.filter(series__region=region)
            .order_by("minute")
            .values_list("reports", "reporters")
        )
        for region in ("US", "IN", ALL_REGIONS)
    }
    assert by_region["US"] == [(3, 3), (3, 3)]
    assert by_region["IN"] == [(2, 0)]
    assert by_region[ALL_REGIONS] == [(5, 3), (3, 3)]
    assert MinuteCount.objects.get(minute=T0, region="US").problem.slug == "pictures"
    assert Series.objects.get(region="US").last_report_at == T0 + timedelta(minutes=1)


def test_counting_a_range_twice_changes_nothing(whatsapp):
    add_reports(whatsapp, T0, minutes=30, per_minute=4)
    counting.count_range(T0, T0 + timedelta(hours=1))
    first = snapshot()

    counting.count_range(T0, T0 + timedelta(hours=1))
    counting.count_range(T0 + timedelta(minutes=10), T0 + timedelta(minutes=20))

    assert snapshot() == first


def test_it_catches_up_after_downtime_without_counting_twice(whatsapp):
    add_reports(whatsapp, T0, minutes=600, per_minute=2)

    counting.catch_up(T0 + timedelta(minutes=5))
    counting.catch_up(T0 + timedelta(hours=11))  # ten hours without a pass
    counting.catch_up(T0 + timedelta(hours=11))

    totals = SeriesMinute.objects.filter(series__region=ALL_REGIONS)
    assert totals.count() == 600
    assert sum(totals.values_list("reporters", flat=True)) == 1200
    assert PipelineState.load().counted_until == T0 + timedelta(hours=11)


def test_a_report_committed_just_after_its_minute_is_still_counted(whatsapp):
    add_reports(whatsapp, T0, minutes=1, per_minute=1)
    counting.catch_up(T0 + timedelta(minutes=1, seconds=1))
    add_reports(whatsapp, T0, minutes=1, per_minute=1, reporter="late")

    counting.catch_up(T0 + timedelta(minutes=2, seconds=1))

    assert SeriesMinute.objects.get(series__region=ALL_REGIONS, minute=T0).reporters == 2


def test_reports_the_intake_stored_late_are_recounted_by_the_next_pass(whatsapp):
    # Counting went on to 12:20 while the database was down; the mover then stores
    # a report accepted at 12:00 and says so.
    accepted_at = T0 + timedelta(hours=12)
    add_reports(whatsapp, T0, minutes=60, per_minute=1)
    counting.catch_up(accepted_at + timedelta(minutes=20))
    add_reports(whatsapp, accepted_at, minutes=1, per_minute=1, reporter="late")
    counting.catch_up(accepted_at + timedelta(minutes=21))
    assert not SeriesMinute.objects.filter(minute=accepted_at).exists()  # without a word from the mover

    with time_machine.travel(accepted_at + timedelta(minutes=20, seconds=30), tick=False):
        reports_stored.send(sender=None, oldest=accepted_at + timedelta(seconds=30))
    counting.catch_up(accepted_at + timedelta(minutes=21))

    minute = SeriesMinute.objects.get(series__region=ALL_REGIONS, minute=accepted_at)
    assert (minute.reports, minute.reporters) == (1, 1)


def test_recent_reports_stored_by_the_mover_leave_the_watermark_alone(whatsapp):
    now = T0 + timedelta(hours=1)
    add_reports(whatsapp, T0, minutes=60, per_minute=1)
    counting.catch_up(now)

    with time_machine.travel(now + timedelta(seconds=10), tick=False):
        reports_stored.send(sender=None, oldest=now - timedelta(minutes=1))

    assert PipelineState.load().counted_until == now


def test_reports_naming_a_subdivision_are_also_counted_by_subdivision(whatsapp):
    start = T0
    add_reports(whatsapp, start, 2, 3, region="DE", reporter="by", subdivision="DE-BY")
    add_reports(whatsapp, start, 2, 1, region="DE", reporter="be", subdivision="DE-BE")
    add_reports(whatsapp, start, 2, 5, region="DE", reporter="de")

    counting.count_range(start, start + timedelta(minutes=2))
    counting.count_range(start, start + timedelta(minutes=2))  # again: the same rows

    rows = sorted(SubdivisionMinute.objects.values_list("minute", "region", "subdivision", "reporters"))
    assert rows == [
        (start, "DE", "DE-BE", 1),
        (start, "DE", "DE-BY", 3),
        (start + timedelta(minutes=1), "DE", "DE-BE", 1),
        (start + timedelta(minutes=1), "DE", "DE-BY", 3),
    ]
    # The per-minute counts are unchanged by it: one row per problem and region.
    assert list(MinuteCount.objects.filter(minute=start).values_list("region", "reporters")) == [("DE", 9)]
