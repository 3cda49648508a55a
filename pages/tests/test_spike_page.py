"""The spike page and its downloads: what a journalist cites, saves and embeds."""

import csv
import io
import re
import struct
from datetime import timedelta

import pytest

from pages.tests.conftest import NOW, baseline, counted, make_spike
from spikes.models import IntakeGap


def test_an_open_spike_shows_its_facts_timeline_breakdowns_and_incident(client, outage_world):
    spike = outage_world["spike"]

    html = client.get(f"/outages/{spike.pk}/").content.decode()

    assert "WhatsApp: problems detected," in html and "Ongoing." in html
    assert "<dt>Duration</dt><dd>45 min so far</dd>" in html
    # The peaks from the counted minutes, each with its unit: 42 distinct reporters
    # a minute from 11:15 (2 usual, 30 in the US, 10 in India) against 2 expected.
    assert facts(html)["Peak minute"] == "42 reporters at 11:15 UTC, against 2 expected"
    assert facts(html)["Peak 5 minutes"] == "210 reporters from 11:15 UTC, against 10 expected"
    assert facts(html)["Ended"] == "not yet"
    events = re.findall(r'<li class="event-(\w+)"><time[^>]*>([^<]+)</time>: ([^<]+)</li>', html)
    assert events == [
        ("onset", "Mar 4, 11:15 UTC", "Started: reports began rising (estimated onset)"),
        ("peak", "Mar 4, 11:15 UTC", "Peak minute: 42 reporters against 2 expected"),
        ("opened", "Mar 4, 11:18 UTC", "Detected: possible problems"),
        ("level_changed", "Mar 4, 11:20 UTC", "Level changed: problems detected"),
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


def test_the_breakdowns_are_in_the_readers_language(client, outage_world):
    spike = outage_world["spike"]

    html = client.get(f"/outages/{spike.pk}/?lang=de").content.decode()

    assert re.findall(r'<span class="share-label">([^<]+)</span>', html) == [
        "Bilder",
        "Nachrichten",
        "Vereinigte Staaten",
        "Indien",
    ]


def test_a_resolved_spike_shows_its_end_and_duration(client, outage_world):
    spike = outage_world["resolved"]

    html = client.get(f"/outages/{spike.pk}/").content.decode()

    assert "Ended." in html and "<dt>Duration</dt><dd>2 h 00 min</dd>" in html
    # Ended and resolved are named apart, the same on the facts and the timeline.
    assert facts(html)["Ended"] == "Mar 3, 2026, 12:00 UTC reports back at their usual level"
    assert facts(html)["Resolved"] == "12:00 UTC closed after an hour at the usual level"
    assert re.findall(r'<li class="event-(\w+)">', html) == ["onset", "opened", "ended", "resolved"]


def facts(html: str) -> dict[str, str]:
    """The spike page's facts, as text."""
    pairs = re.findall(r"<dt>([^<]+)</dt><dd>(.*?)</dd>", html, re.S)
    return {name: " ".join(re.sub(r"<[^>]+>", "", value).split()) for name, value in pairs}


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
    assert "missing" not in re.search(r'<svg class="series-chart".*?</svg>', html, re.S).group(0)


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
        "note",
    ]
    # 3 hours before the onset until now (the end plus 3 hours is later), by
    # minute, up to the last counted one.
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
    assert response["Content-Disposition"].startswith('inline; filename="outagewatch-whatsapp-')
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
    assert [t.get_text() for t in axes.get_legend().get_texts()] == [
        "Usual range",
        "Expected",
        "Reports (distinct reporters)",
    ]
    assert [t.get_text() for t in figure.texts] == ["Source: outagewatch user reports"]
    drawn = next(line for line in axes.get_lines() if line.get_label() == "Reports (distinct reporters)")
    # One value per bucket, and the last repeated to draw its step to the end.
    assert list(drawn.get_ydata())[:-1] == [r.reporters for r in rows]


def test_the_widget_may_be_framed_and_other_pages_may_not(client, outage_world):
    spike = outage_world["spike"]

    widget = client.get(f"/outages/{spike.pk}/embed/")
    page = client.get(f"/outages/{spike.pk}/")

    assert "X-Frame-Options" not in widget.headers
    # Any site may embed it, over http too, unless the operator names sites.
    assert "frame-ancestors *" in widget["Content-Security-Policy"]
    assert page["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    assert "Source: <a" in widget.content.decode() and 'class="reports"' in widget.content.decode()


def test_the_page_offers_the_downloads_and_a_copyable_embed_snippet(client, outage_world):
    spike = outage_world["spike"]

    html = client.get(f"/outages/{spike.pk}/").content.decode()

    assert f'href="/outages/{spike.pk}/chart.png" download' in html
    assert f'href="/outages/{spike.pk}/reports.csv" download' in html
    assert (
        f"&lt;iframe src=&quot;http://testserver/outages/{spike.pk}/embed/?lang=en&quot; width=&quot;600&quot;"
        in html
    )


def test_the_png_keeps_its_legend_off_the_data_and_its_peak_inside_the_frame(outage_world):
    from zoneinfo import ZoneInfo

    from pages.png import chart_figure
    from spikes import timeseries

    rows = timeseries.buckets(
        outage_world["spike"].service, NOW - timedelta(hours=2), NOW + timedelta(minutes=5), 300
    )

    figure = chart_figure("WhatsApp", rows, 300, ZoneInfo("UTC"), "UTC")
    figure.canvas.draw()

    axes = figure.axes[0]
    legend = axes.get_legend().get_window_extent()
    plot = axes.get_window_extent()
    assert legend.y1 <= plot.y0, "the legend is below the plot, not over it"
    peak = max(r.reporters for r in rows if r.is_counted)
    assert axes.get_ylim()[1] >= peak * 1.1
    # The bucket in progress is shaded as being counted, not drawn as a drop to zero.
    drawn = next(line for line in axes.get_lines() if line.get_label() == "Reports (distinct reporters)")
    assert str(drawn.get_ydata()[-2]) == "nan" and rows[-1].missing == "uncounted"
    assert "Counting…" in [t.get_text() for t in axes.get_legend().get_texts()]


def test_an_intake_gap_is_missing_in_the_csv_not_zero(client, outage_world):
    IntakeGap.objects.bulk_create(IntakeGap(minute=NOW - timedelta(minutes=m)) for m in (50, 49))
    spike = outage_world["spike"]

    rows = list(csv.reader(io.StringIO(client.get(f"/outages/{spike.pk}/reports.csv").content.decode())))

    gaps = [r for r in rows if r[-1] == "intake gap: no data"]
    assert [r[0] for r in gaps] == ["2026-03-04T11:10:00Z", "2026-03-04T11:11:00Z"]
    assert all(r[1] == r[2] == "" and r[3] != "" for r in gaps)


def test_the_incident_has_a_page_of_its_own_linked_from_its_spikes(client, outage_world):
    incident = outage_world["incident"]

    spike_page = client.get(f"/outages/{outage_world['spike'].pk}/").content.decode()
    html = client.get(f"/incidents/{incident.pk}/").content.decode()

    assert f'href="/incidents/{incident.pk}/"' in spike_page
    assert "Meta services: problems detected, Mar 4, 2026" in html
    assert html.count('class="series-chart"') == 2
    assert client.get("/incidents/999999/").status_code == 404


def test_a_regional_outage_says_under_one_expected_never_zero(client, frozen, whatsapp):
    spike = make_spike(whatsapp, started_at=NOW - timedelta(minutes=20), region="DE", expected_reports=0.05)

    html = client.get("/outages/").content.decode()

    assert "40 vs under 1 expected" in html and "vs 0 expected" not in html
    assert f'<a href="/outages/{spike.pk}/">WhatsApp</a>' in html and "<td>Germany</td>" in html
