"""The site in a real browser (Debian's chromium through Playwright), under the
strict Content-Security-Policy production will send: reporting from a phone,
the chart drawing the counted reports, the spike downloads, the zone switch."""

from __future__ import annotations

import csv
import io
import struct
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from pages.tests.browser import load_regions
from pages.tests.conftest import baseline, counted, make_spike
from reports.models import Report
from reports.tests.factories import ServiceFactory, ServiceGroupFactory
from spikes.models import PipelineState
from spikes.timeseries import floor_to

pytestmark = pytest.mark.browser


@pytest.fixture
def whatsapp(transactional_db):
    load_regions()  # the previous test's flush emptied them
    meta = ServiceGroupFactory(slug="meta", name="Meta")
    return ServiceFactory(
        slug="whatsapp",
        name="WhatsApp",
        group=meta,
        problems=["messages", "pictures", "voice-messages", "login"],
    )


@pytest.mark.parametrize(
    "visitor", [{"viewport": {"width": 390, "height": 844}, "is_mobile": True}], indirect=True
)
def test_a_person_reports_a_problem_from_a_phone(visitor, whatsapp):
    page = visitor.page
    visitor.visit("/status/whatsapp/", "service-page")
    # Nothing sticks out sideways on a 390 px screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_label("Where are you?").select_option("IN")
    page.get_by_text("Add a comment (optional)").click()
    page.get_by_label("Anything to add?").fill("pictures stuck at the clock icon")
    page.get_by_role("button", name="Pictures").click()
    page.wait_for_url("**/status/whatsapp/#report")
    visitor.screenshot("after-report")

    assert "your report of pictures problems with WhatsApp in India is recorded" in page.inner_text(".thanks")
    report = Report.objects.get()
    assert (report.problem.slug, report.region_id, report.comment) == (
        "pictures",
        "IN",
        "pictures stuck at the clock icon",
    )


@pytest.mark.parametrize(
    "visitor", [{"viewport": {"width": 390, "height": 844}, "is_mobile": True}], indirect=True
)
def test_a_refused_report_shows_the_service_page_again_with_the_reason_on_a_phone(
    visitor, whatsapp, settings
):
    settings.REPORT_RATE_LIMIT = (1, 60)
    page = visitor.page
    visitor.visit("/status/whatsapp/", "service-page")
    page.get_by_role("button", name="Login").click()
    page.wait_for_url("**/status/whatsapp/#report")

    page.get_by_text("Report another problem with WhatsApp").click()
    page.get_by_label("Where are you?").select_option("BR")
    page.get_by_role("button", name="Pictures").click()
    page.wait_for_load_state()
    visitor.screenshot("refused-report")

    assert "Too many reports from your connection" in page.inner_text(".errors")
    assert page.get_by_role("heading", name="Is WhatsApp down right now?").is_visible()
    assert page.locator("#chart-heading").count() == 1 and page.locator("#regions-heading").count() == 1
    assert page.get_by_label("Where are you?").input_value() == "BR"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert Report.objects.count() == 1
    # The browser logs the page's 429 status as a failed load: that one is expected.
    assert [p for p in visitor.problems if "429 (Too Many Requests)" not in p] == []
    visitor.problems.clear()
    # Shown at the form's target, the page's own links still work.
    page.get_by_role("link", name="7d").click()
    page.wait_for_url("**/status/whatsapp/?range=7d")


def test_the_chart_draws_its_points_from_the_counted_reports(visitor, whatsapp):
    now = timezone.now()
    start = floor_to(now, 60) - timedelta(minutes=40)
    per_minute = [1 + (m * 7) % 5 for m in range(30)]
    for m, n in enumerate(per_minute):
        counted(whatsapp, start + timedelta(minutes=m), 1, n, reporter=f"m{m}")
    baseline(whatsapp, 2.0)

    visitor.visit("/status/whatsapp/?range=1h&interval=1m", "chart-1h")

    drawn = visitor.page.evaluate(
        """() => {
          const svg = document.querySelector("svg.series-chart");
          const yMax = +svg.dataset.yMax, top = +svg.dataset.top, bottom = +svg.dataset.bottom;
          const values = [];
          for (const polyline of svg.querySelectorAll("polyline.reports")) {
            const line = polyline.points;
            for (let i = 0; i < line.numberOfItems; i++) {
              values.push(Math.round((bottom - line.getItem(i).y) / (bottom - top) * yMax));
            }
          }
          return {values, dots: svg.querySelectorAll(".dots circle").length,
                  band: !!svg.querySelector("polygon.band"), box: svg.getBoundingClientRect().width};
        }"""
    )
    # The chart's 60 one-minute buckets end with the minute in progress, which is
    # not drawn: only the minutes the counting pass has counted are.
    first = floor_to(timezone.now(), 60) - timedelta(minutes=59)
    offset = int((start - first).total_seconds() // 60)
    counts = [0] * 60
    for created in Report.objects.values_list("created_at", flat=True):
        counts[int((floor_to(created, 60) - first).total_seconds() // 60)] += 1
    drawn_minutes = int((PipelineState.load().counted_until - first).total_seconds() // 60)
    assert drawn["values"] == counts[:drawn_minutes] and drawn_minutes >= 58
    assert counts[offset : offset + 30] == per_minute
    assert drawn["dots"] == drawn_minutes and drawn["band"] and drawn["box"] > 300


def test_the_spike_page_downloads_its_series_as_csv_and_its_chart_as_png(visitor, whatsapp):
    now = timezone.now()
    baseline(whatsapp, 2.0)
    onset = floor_to(now, 60) - timedelta(minutes=90)
    counted(whatsapp, onset, 30, 12)
    spike = make_spike(whatsapp, started_at=onset, ended_at=onset + timedelta(minutes=30))
    page = visitor.page

    visitor.visit(f"/outages/{spike.pk}/", "spike-page")
    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Data as CSV").click()
    with page.expect_download() as png_download:
        page.get_by_role("link", name="Chart as a PNG image").click()

    assert csv_download.value.suggested_filename == f"outagewatch-whatsapp-{spike.pk}.csv"
    rows = list(csv.reader(io.StringIO(Path(csv_download.value.path()).read_text())))
    assert rows[0][:3] == ["bucket_start_utc", "reports", "distinct_reporters"]
    assert sum(int(r[2]) for r in rows[1:]) == 30 * 12
    assert {r[3] for r in rows[1:]} == {"2"}
    png = Path(png_download.value.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (1200, 624)
    visitor.visit(f"/outages/{spike.pk}/embed/", "embed-widget")
    assert "outagewatch user reports" in page.inner_text(".source")


@pytest.mark.parametrize("visitor", [{"timezone_id": "Asia/Tokyo"}], indirect=True)
def test_the_zone_switch_preselects_the_browsers_zone_and_sticks(visitor, whatsapp):
    started = floor_to(timezone.now(), 60) - timedelta(minutes=30)
    make_spike(whatsapp, started_at=started)
    page = visitor.page

    # The browser's zone from the first visit on, UTC beside it.
    visitor.visit("/status/whatsapp/", "before-switch")
    since = page.locator(".banner .since time").first
    assert since.inner_text() == started.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%H:%M JST")
    assert since.get_attribute("title") == started.strftime("%Y-%m-%d %H:%M UTC")
    page.get_by_role("link", name="Change time zone").click()
    page.wait_for_load_state()
    visitor.screenshot("zone-switch")
    assert page.get_by_label("Time zone").input_value() == "Asia/Tokyo"
    # Another zone, chosen by its country's name, sticks across pages.
    assert (
        page.get_by_label("Time zone")
        .locator('option[value="Europe/Paris"]')
        .first.inner_text()
        .startswith("France: Paris, UTC+0")
    )
    page.get_by_label("Time zone").select_option("Europe/Paris")
    page.get_by_role("button", name="Use this time zone").click()
    page.wait_for_url("**/status/whatsapp/")
    visitor.screenshot("after-switch")

    local = started.astimezone(ZoneInfo("Europe/Paris"))
    assert page.locator(".banner .since time").first.inner_text() == local.strftime("%H:%M %Z")
    visitor.visit("/outages/", "archive-after-switch")
    assert page.locator("table.archive time").first.inner_text().endswith(local.strftime("%Z"))
    assert "Times are shown in Europe/Paris" in page.inner_text("footer")


def test_the_api_docs_render_offline_under_the_content_security_policy(visitor, whatsapp):
    visitor.visit("/api/v1/docs/", "swagger-ui")
    visitor.page.locator(".swagger-ui .opblock").first.wait_for()
    operations = visitor.page.locator(".swagger-ui .opblock-summary-path").all_inner_texts()
    visitor.screenshot("swagger-ui-drawn")

    visitor.visit("/api/v1/redoc/", "redoc")
    visitor.page.get_by_text("outagewatch partner API").first.wait_for()
    visitor.screenshot("redoc-drawn")
    # Nothing is asked of Redoc's CDN (its badge's logo is not loaded), and the
    # description's pointer to the guide is a link.
    guide = visitor.page.get_by_role("link", name="the partner API guide").first
    assert guide.get_attribute("href") == "/developers/"

    assert any(path.startswith("/api/v1/services/") for path in operations)
    assert "/api/v1/reports/" in [path.replace("\u200b", "") for path in operations]
