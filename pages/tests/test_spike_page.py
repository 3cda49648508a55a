"""The spike page and its downloads: what a journalist cites, saves and embeds."""

import csv
import io
import re
import struct
from datetime import timedelta

import pytest

from pages.tests.conftest import NOW, baseline, counted, make_spike


def test_an_open_spike_shows_its_facts_timeline_breakdowns_and_incident(client, outage_world):
    spike = outage_world["spike"]

    html = client.get(f"/outages/{spike.pk}/").content.decode()

    assert "WhatsApp: problems detected," in html and "Ongoing." in html
    assert "<dt>Duration</dt><dd>45 min so far</dd>" in html
    assert "40 reporters in the minute of" in html and "against 2 expected (20.0×)" in html
    events = re.findall(r'<li class="event-(\w+)"><time[^>]*>([^<]+)</time>: ([^<]+)</li>', html)
    assert events == [
        ("onset", "4 Mar, 11:15 UTC", "Reports started rising (estimated onset)"),
        ("opened", "4 Mar, 11:18 UTC", "Detected: possible problems"),
        ("level_changed", "4 Mar, 11:20 UTC", "Level changed: problems detected"),
        ("peak", "4 Mar, 11:25 UTC", "Peak: 40 reporters a minute, 2 expected"),
    ]
    assert re.findall(
        r'<span class="share-label">([^<]+)</span> <meter min="0" max="1" value="([\d.]+)"', html
    ) == [
        ("Pictures", "0.7"),
        ("Messages", "0.3"),
        ("United States", "0.8"),
        ("India", "0.2"),
    ]
    assert "Other outages of this incident" in html and "Instagram</a>: problems detected" in html
    assert f'<link rel="canonical" href="http://testserver/outages/{spike.pk}/">' in html


def test_a_resolved_spike_shows_its_end_and_duration(client, outage_world):
    spike = outage_world["resolved"]

    html = client.get(f"/outages/{spike.pk}/").content.decode()

    assert "Resolved." in html and "<dt>Duration</dt><dd>2 h 00 min</dd>" in html
    assert re.findall(r'<li class="event-(\w+)">', html) == ["onset", "opened", "peak", "resolved"]


@pytest.mark.parametrize(
    ("verdict", "confirmed_by", "says"),
    [
        ("suspected", "", "Ongoing. Suspected from user reports, not confirmed."),
        ("confirmed", "provider", "Ongoing. Confirmed by the provider."),
        ("confirmed", "staff", "Ongoing. Confirmed by our staff."),
        ("dismissed", "", "Ongoing. Dismissed by our staff: not an outage."),
    ],
)
def test_the_banner_says_who_stands_behind_the_outage(client, frozen, whatsapp, verdict, confirmed_by, says):
    spike = make_spike(
        whatsapp, started_at=NOW - timedelta(minutes=20), verdict=verdict, confirmed_by=confirmed_by
    )

    html = client.get(f"/outages/{spike.pk}/").content.decode()

    assert says in " ".join(re.search(r'<p class="banner[^"]*">(.*?)</p>', html, re.S).group(1).split())


def test_the_chart_covers_hours_either_side_of_the_spike(client, outage_world):
    spike = outage_world["resolved"]  # 10:00 to 12:00 the day before

    html = client.get(f"/outages/{spike.pk}/").content.decode()

    # 07:00 to 15:00 in 5-minute buckets.
    points = re.search(r'<polyline class="reports" points="([^"]*)"', html).group(1).split()
    assert len(points) == 96


def test_an_unknown_spike_is_a_404(client, db):
    assert client.get("/outages/999999/").status_code == 404
    assert client.get("/outages/999999/reports.csv").status_code == 404
    assert client.get("/outages/abc/").status_code == 404


def test_the_csv_holds_the_charted_series_in_utc(client, frozen, whatsapp):
    baseline(whatsapp, 2.0)
    spike = make_spike(
        whatsapp, started_at=NOW - timedelta(hours=2), ended_at=NOW - timedelta(hours=1, minutes=30)
    )
    counted(whatsapp, NOW - timedelta(hours=2), 30, 12)

    response = client.get(f"/outages/{spike.pk}/reports.csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="outagewatch-whatsapp-{spike.pk}.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "bucket_start_utc",
        "reports",
        "distinct_reporters",
        "expected",
        "expected_low",
        "expected_high",
    ]
    # 3 hours before the onset until now (the end plus 3 hours is later), by minute.
    assert rows[1][0] == "2026-03-04T07:00:00Z" and rows[-1][0] == "2026-03-04T11:59:00Z"
    by_time = {row[0]: row for row in rows[1:]}
    assert by_time["2026-03-04T10:00:00Z"][1:4] == ["12", "12", "2"]
    assert by_time["2026-03-04T10:30:00Z"][1:4] == ["0", "0", "2"]
    assert sum(int(row[2]) for row in rows[1:]) == 30 * 12
    assert all(float(row[4]) < 2 < float(row[5]) for row in rows[1:])


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("zone", ["", "Asia/Kolkata"])
def test_the_png_is_an_article_sized_chart(client, outage_world, zone):
    from matplotlib import image

    if zone:
        client.cookies["tz"] = zone
    response = client.get(f"/outages/{outage_world['spike'].pk}/chart.png")

    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith('attachment; filename="outagewatch-whatsapp-')
    assert png_size(response.content) == (1200, 624)
    pixels = image.imread(io.BytesIO(response.content))
    # The report line is drawn in its red (#a4161a).
    red = (abs(pixels[..., 0] - 0xA4 / 255) < 0.02) & (abs(pixels[..., 1] - 0x16 / 255) < 0.02)
    assert red.sum() > 500


def test_the_png_has_a_title_labelled_axes_a_legend_and_the_source_line(outage_world):
    from zoneinfo import ZoneInfo

    from pages.png import chart_figure
    from spikes import timeseries

    rows = timeseries.buckets(outage_world["spike"].service, NOW - timedelta(hours=1), NOW, 300)

    figure = chart_figure(
        "WhatsApp: user reports, 4 Mar 2026", rows, 300, ZoneInfo("Asia/Kolkata"), "Asia/Kolkata"
    )

    axes = figure.axes[0]
    assert axes.get_title(loc="left") == "WhatsApp: user reports, 4 Mar 2026"
    assert axes.get_ylabel() == "Reports per 5 minutes (distinct reporters)"
    assert axes.get_xlabel() == "Time (Asia/Kolkata)"
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ["Usual range", "Expected", "Reports"]
    assert [t.get_text() for t in figure.texts] == ["Source: outagewatch user reports"]
    drawn = next(line for line in axes.get_lines() if line.get_label() == "Reports")
    assert list(drawn.get_ydata()) == [r.reporters for r in rows]


def test_the_widget_may_be_framed_and_other_pages_may_not(client, outage_world):
    spike = outage_world["spike"]

    widget = client.get(f"/outages/{spike.pk}/embed/")
    page = client.get(f"/outages/{spike.pk}/")

    assert "X-Frame-Options" not in widget.headers
    assert "frame-ancestors https:" in widget["Content-Security-Policy"]
    assert page["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    assert "Source: <a" in widget.content.decode() and 'class="reports"' in widget.content.decode()


def test_the_page_offers_the_downloads_and_a_copyable_embed_snippet(client, outage_world):
    spike = outage_world["spike"]

    html = client.get(f"/outages/{spike.pk}/").content.decode()

    assert f'href="/outages/{spike.pk}/chart.png" download' in html
    assert f'href="/outages/{spike.pk}/reports.csv" download' in html
    assert (
        f"&lt;iframe src=&quot;http://testserver/outages/{spike.pk}/embed/&quot; width=&quot;600&quot;"
        in html
    )
