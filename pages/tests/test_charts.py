"""Chart geometry and the chart ranges a reader can ask for."""

from datetime import UTC, datetime, timedelta

import pytest

from pages import charts
from pages.html_parts import axis_number
from pages.ranges import parse_chart_range
from spikes.timeseries import GAP, UNCOUNTED, Bucket, RangeError

T = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def bucket(i, reporters, expected=None, missing=""):
    band = (None, None) if expected is None else (expected / 2, expected * 2)
    return Bucket(T + timedelta(minutes=i), reporters, reporters, expected, *band, missing)


def test_points_are_placed_by_value_on_a_rounded_scale():
    chart = charts.line_chart(
        [bucket(0, 0), bucket(1, 30), bucket(2, 60)], width=200, height=120, margin=(10, 10, 10, 10)
    )

    assert chart.y_max == 60
    assert chart.segments == ["10,110 100,60 190,10"]
    assert [t.label for t in chart.y_ticks] == [0, 20, 40, 60]
    assert chart.expected == "" and chart.band == ""


def test_missing_buckets_break_the_line_and_are_shaded_not_drawn_as_zero():
    rows = [
        bucket(0, 10),
        bucket(1, 0, missing=GAP),
        bucket(2, 20),
        bucket(3, 30),
        bucket(4, 2, missing=UNCOUNTED),
    ]

    chart = charts.line_chart(rows, width=200, height=120, margin=(10, 10, 10, 10))

    # The scale fits the counted values only (30), whatever the missing ones held.
    assert chart.y_max == 30
    assert chart.segments == ["10,76.7", "100,43.3 145,10"]
    assert [(s.kind, s.x0, s.x1) for s in chart.missing] == [(GAP, 32.5, 77.5), (UNCOUNTED, 167.5, 190)]
    assert [s.label for s in chart.missing] == ["no data: intake down", "counting…"]
    assert chart.peak.reporters == 30 and len(chart.dots) == 3


def test_the_band_goes_out_along_the_top_and_back_along_the_bottom():
    chart = charts.line_chart(
        [bucket(0, 1, 10), bucket(1, 1, 20)], width=200, height=120, margin=(10, 10, 10, 10)
    )

    assert chart.y_max == 40
    assert chart.expected == "10,85 190,60"
    assert chart.band == "10,60 190,10 190,85 10,97.5"


@pytest.mark.parametrize(
    ("peak", "ticks"),
    [
        (0, [0, 2, 4, 6]),
        (5, [0, 2, 4, 6]),
        (7, [0, 2, 4, 6, 8]),
        (12, [0, 5, 10, 15]),
        (38, [0, 10, 20, 30, 40]),
        (1234, [0, 500, 1000, 1500]),
    ],
)
def test_the_y_axis_ticks_are_round_whole_numbers(peak, ticks):
    chart = charts.line_chart([bucket(0, 0), bucket(1, peak)])

    assert [t.label for t in chart.y_ticks] == ticks
    assert chart.y_max == ticks[-1]


@pytest.mark.parametrize(
    ("value", "label"), [(0, "0"), (950, "950"), (1000, "1k"), (1500, "1.5k"), (12000, "12k")]
)
def test_axis_numbers_stay_short_enough_for_a_phone(value, label):
    assert axis_number(value) == label


def test_a_sparkline_spans_its_width_and_peaks_at_the_top():
    assert charts.sparkline([0, 5, 10], width=100, height=24) == "0,22 50,12 100,2"
    assert charts.sparkline([]) == ""


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ("24h", "5m", T - timedelta(hours=24) + timedelta(minutes=5), T + timedelta(minutes=5))),
        ({"range": "1h"}, ("1h", "1m", T - timedelta(minutes=59), T + timedelta(minutes=1))),
        ({"range": "7d"}, ("7d", "1h", T - timedelta(days=7) + timedelta(hours=1), T + timedelta(hours=1))),
        (
            {"range": "7d", "interval": "15m"},
            ("7d", "15m", T - timedelta(days=7) + timedelta(minutes=15), T + timedelta(minutes=15)),
        ),
    ],
)
def test_ranges_end_with_the_bucket_in_progress(params, expected):
    r = parse_chart_range(params, T + timedelta(seconds=30))

    assert (r.range, r.interval, r.start, r.end) == expected


def test_a_week_offers_only_15_minute_and_hourly_buckets():
    assert parse_chart_range({"range": "7d"}, T).allowed_intervals() == ["15m", "1h"]
    with pytest.raises(RangeError, match="a 7d range needs buckets of 15m or more"):
        parse_chart_range({"range": "7d", "interval": "5m"}, T)
