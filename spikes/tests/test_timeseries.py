"""A service's counts in buckets beside the expected level: what charts and the API show."""

from datetime import timedelta

import pytest

from spikes import pipeline, timeseries
from spikes.tests.conftest import T0
from spikes.tests.factories import add_reports

NOW = T0 + timedelta(days=2)


def test_a_service_nobody_reported_has_empty_buckets_and_no_expected_level(whatsapp):
    rows = timeseries.buckets(whatsapp, NOW - timedelta(hours=1), NOW, seconds=300)

    assert len(rows) == 12
    assert all(r.reports == 0 and r.reporters == 0 and r.expected is None for r in rows)
    assert rows[0].start == NOW - timedelta(hours=1)


def test_minutes_add_up_into_buckets_per_region_and_in_all_regions(whatsapp):
    add_reports(whatsapp, NOW - timedelta(minutes=10), minutes=10, per_minute=3, region="US")
    add_reports(whatsapp, NOW - timedelta(minutes=10), minutes=5, per_minute=2, region="DE", reporter="de")
    pipeline.run_pass(NOW)

    everywhere = timeseries.buckets(whatsapp, NOW - timedelta(minutes=15), NOW, seconds=300)
    germany = timeseries.buckets(whatsapp, NOW - timedelta(minutes=15), NOW, seconds=300, region="DE")

    assert [r.reporters for r in everywhere] == [0, 25, 15]
    assert [r.reports for r in germany] == [0, 10, 0]


def test_the_expected_level_and_its_band_come_from_the_baseline(whatsapp):
    add_reports(whatsapp, T0, minutes=2 * 1440, per_minute=4)
    pipeline.run_pass(NOW)
    pipeline.refresh_baselines(NOW)

    hourly = timeseries.buckets(whatsapp, NOW - timedelta(hours=3), NOW, seconds=3600)

    for row in hourly:
        assert row.reporters == 240
        assert row.expected == pytest.approx(240, rel=0.15)
        assert row.low < row.expected < row.high


def test_ranges_are_widened_to_whole_buckets():
    first, last = timeseries.bucket_range(NOW + timedelta(minutes=7), NOW + timedelta(minutes=61), 900)

    assert (first, last) == (NOW, NOW + timedelta(minutes=75))


@pytest.mark.parametrize(
    ("start", "end", "seconds", "message"),
    [
        (NOW, NOW - timedelta(hours=1), 60, "must come after its start"),
        (NOW - timedelta(days=8), NOW, 3600, "at most 7 days"),
        (NOW - timedelta(hours=1), NOW, 120, "interval must be one of 1m, 5m, 15m, 1h"),
    ],
)
def test_impossible_ranges_are_refused_with_a_reason(start, end, seconds, message):
    with pytest.raises(timeseries.RangeError, match=message):
        timeseries.bucket_range(start, end, seconds)


def test_interval_names_are_parsed_or_refused():
    assert timeseries.parse_interval("15m") == 900
    with pytest.raises(timeseries.RangeError, match="not '2m'"):
        timeseries.parse_interval("2m")
