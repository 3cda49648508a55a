"""Issue 10: the site at the moment that matters, in a real browser (chromium)
while an outage is live: one test per point of the issue, and the screenshots of
the pages a reader sees then, on a phone and on a desktop."""

from __future__ import annotations

import csv
import http.server
import io
import os
import struct
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from django.db import connection

from pages.tests import live
from pages.tests.browser import load_regions
from pages.tests.conftest import DESKTOP, PHONE
from reports.models import Report
from spikes.counting import count_range
from spikes.models import SeriesMinute
from spikes.tests.factories import add_reports
from spikes.tests.processes import ROOT, database_url

pytestmark = pytest.mark.browser


@pytest.fixture
def outage(transactional_db) -> live.LiveOutage:
    load_regions()  # the previous test's flush emptied them
    return live.build()


@pytest.mark.parametrize("visitor", [PHONE, DESKTOP], ids=["phone", "desktop"], indirect=True)
def test_the_pages_of_a_live_outage_read_right_on_a_phone_and_a_desktop(visitor, outage):
    page = visitor.page
    width = page.viewport_size["width"]
    for path, name in [
        ("/", "home"),
        ("/status/whatsapp/", "service"),
        (f"/outages/{outage.spike.pk}/", "spike"),
        (f"/incidents/{outage.spike.incident_id}/", "incident"),
        ("/status/netflix/", "service-recovering"),
        ("/outages/", "archive"),
        ("/methodology/", "methodology"),
    ]:
        response = visitor.visit(path, name)
        assert response.status == 200, path
        # Nothing sticks out sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path


def drawn_values(page, selector: str = "svg.series-chart") -> list[int]:
    """The reporters each drawn point of a chart stands for, read back from the SVG."""
    return page.evaluate(
        """(selector) => {
          const svg = document.querySelector(selector);
          const yMax = +svg.dataset.yMax, top = +svg.dataset.top, bottom = +svg.dataset.bottom;
          const values = [];
          for (const line of svg.querySelectorAll("polyline.reports")) {
            for (let i = 0; i < line.points.numberOfItems; i++) {
              values.push(Math.round((bottom - line.points.getItem(i).y) / (bottom - top) * yMax));
            }
          }
          return values;
        }""",
        selector,
    )


def last_counted_minute(outage: live.LiveOutage) -> int:
    """Distinct reporters of WhatsApp's last counted minute, all regions."""
    return (
        SeriesMinute.objects.filter(
            series__service=outage.whatsapp, series__region="", minute__lt=outage.counted_until
        )
        .order_by("-minute")
        .values_list("reporters", flat=True)
        .first()
    )


@pytest.mark.parametrize("visitor", [DESKTOP], indirect=True)
def test_1_charts_end_with_the_last_counted_bucket_and_show_the_intake_gap_as_missing(visitor, outage):
    page = visitor.page
    visitor.visit("/status/whatsapp/?range=1h&interval=1m", "chart-1h-live")
    values = drawn_values(page)
    # The line ends on the last counted minute (the outage's 50 reporters), not on
    # the zeros of minutes nobody has counted yet; those are shaded "counting…".
    assert values[-1] == last_counted_minute(outage) == 50
    assert 0 not in values[-5:]
    assert page.locator("svg.series-chart .missing-uncounted").count() == 1
    assert "counting…" in page.locator("svg.series-chart").text_content()
    # The table and the CSV end on the same counted minute.
    page.get_by_text("The chart's numbers as a table").click()
    last_row = page.locator(".chart-table tbody tr").last.locator("td").all_inner_texts()
    assert last_row[2] == "50"
    with page.expect_download() as download:
        page.get_by_role("link", name="Data as CSV").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
    assert rows[-1][2] == "50" and rows[-1][0] < outage.counted_until.strftime("%Y-%m-%dT%H:%M:%SZ")

    # The day: the intake gap three hours ago is a shaded break, never zeros.
    visitor.visit("/status/whatsapp/", "chart-24h-gap")
    gap = page.locator("svg.series-chart .missing-gap")
    assert gap.count() == 1 and "no data: intake down" in page.locator("svg.series-chart").text_content()
    assert page.locator("svg.series-chart polyline.reports").count() >= 2  # the line breaks there
    day_csv = page.request.get(visitor.live_url + "/status/whatsapp/reports.csv").text()
    gap_rows = [r for r in csv.reader(io.StringIO(day_csv)) if r[-1] == "intake gap: no data"]
    assert len(gap_rows) >= 1 and all(r[1] == r[2] == "" for r in gap_rows)
    # The live embed draws the same.
    visitor.visit("/status/whatsapp/embed/", "embed-live")
    assert page.locator(".missing-gap").count() == 1 and drawn_values(page)[-1] > 0


def refresh_in_another_process(kind: str, service_id: int) -> None:
    """What a Celery worker does: the background refresh, in a process of its own
    (on the embedded default, the web server and the worker are separate processes)."""
    conf = connection.settings_dict
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "outagewatch.settings"}
    env["DATABASE_URL"] = (
        database_url() if conf["ENGINE"].endswith("postgresql") else f"sqlite:///{conf['NAME']}"
    )
    code = f"import django; django.setup(); from pages.tasks import refresh_breakdown; refresh_breakdown({kind!r}, {service_id})"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, timeout=120)


@pytest.mark.parametrize("visitor", [DESKTOP], indirect=True)
def test_2_the_map_shows_the_last_hour_and_a_refresh_made_elsewhere(visitor, outage):
    page = visitor.page
    visitor.visit("/status/whatsapp/", "map-live")
    # Twenty-five minutes of outage stand out in the last hour (over a day, they
    # read "usual level" next to a day of usual reports).
    shades = {
        code: page.locator(f'.world-map path[data-code="{code}"]').get_attribute("class")
        for code in ("BR", "IN", "GB")
    }
    assert shades == {"BR": "r4", "IN": "r4", "GB": "r3"}
    assert page.locator("table.sortable tbody tr").first.locator("td").first.inner_text() == "Brazil"
    assert "Germany" not in page.locator("table.sortable").inner_text()

    # Reports from Germany are counted, and a worker process refreshes the map.
    add_reports(outage.whatsapp, outage.now - timedelta(minutes=10), 10, 9, region="DE", reporter="de")
    count_range(outage.now - timedelta(minutes=10), outage.now)
    refresh_in_another_process("regions-1h", outage.whatsapp.pk)

    visitor.visit("/status/whatsapp/", "map-refreshed")
    assert "Germany" in page.locator("table.sortable").inner_text()
    assert page.locator('.world-map path[data-code="DE"]').get_attribute("class") != "r0"


@pytest.mark.parametrize(
    "visitor", [PHONE, PHONE | {"java_script_enabled": False}], ids=["with-js", "without-js"], indirect=True
)
def test_3_the_report_button_comes_first_and_the_thanks_is_where_the_reader_lands(visitor, outage):
    page = visitor.page
    visitor.visit("/status/whatsapp/", "report-first")
    first = page.get_by_role("button", name="Messages", exact=True).bounding_box()
    chart = page.locator("svg.series-chart").bounding_box()
    # On the first screen of a phone, above the chart.
    assert first["y"] + first["height"] <= 844 and first["y"] < chart["y"]

    page.get_by_role("button", name="Pictures").click()
    page.wait_for_load_state()
    visitor.screenshot("after-report")
    thanks = page.locator(".thanks")
    assert "your report of a problem with WhatsApp (Pictures)" in thanks.inner_text()
    box = thanks.bounding_box()  # relative to what the screen shows
    assert box["y"] >= 0 and box["y"] + box["height"] <= 844, (
        "the thanks is on the screen the reader lands on"
    )
    # The buttons are folded away: no invitation to report twice.
    assert not page.get_by_role("button", name="Pictures").is_visible()
    assert (
        Report.objects.filter(
            service=outage.whatsapp, problem__slug="pictures", region_id="US", source="web"
        ).count()
        == 1
    )


@pytest.mark.parametrize("visitor", [DESKTOP], indirect=True)
def test_4_one_outage_is_one_entry_named_by_country_with_an_incident_page(visitor, outage):
    page = visitor.page
    visitor.visit("/outages/", "archive-one-entry")
    rows = page.locator("table.archive tbody tr")
    whatsapp_rows = [
        rows.nth(i).inner_text() for i in range(rows.count()) if "WhatsApp" in rows.nth(i).inner_text()
    ]
    # The live outage (all regions, and Brazil, India, Britain) once, and yesterday's.
    assert len(whatsapp_rows) == 2
    assert "Brazil, India and the United Kingdom" in whatsapp_rows[0]
    assert page.locator("p.meta").first.inner_text() == "4 outages."
    feed = feedparser.parse(page.request.get(visitor.live_url + "/outages/feed/").body())
    assert [e.title for e in feed.entries].count("WhatsApp: problems detected") == 1
    assert "Netflix in Germany: recovering" in [e.title for e in feed.entries]

    visitor.visit("/", "home-one-entry")
    assert page.get_by_role("link", name="Netflix in Germany").count() == 1
    visitor.visit(f"/outages/{outage.spike.pk}/", "spike-links-incident")
    page.get_by_role("link", name="The whole incident on one page").click()
    page.wait_for_load_state()
    visitor.screenshot("incident-page")
    assert page.url.endswith(f"/incidents/{outage.spike.incident_id}/")
    assert page.locator("h1").inner_text().startswith("Meta services: problems detected")
    assert page.locator(".incident-member svg.series-chart").count() == 2


def times(page, selector: str) -> list[str]:
    return page.locator(f"{selector} time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")


@pytest.mark.parametrize("visitor", [DESKTOP | {"timezone_id": "America/Sao_Paulo"}], indirect=True)
def test_5_times_agree_everywhere_and_read_in_the_readers_zone(visitor, outage):
    page = visitor.page
    start = min(s.started_at for s in [outage.spike, *outage.regional])
    local = start.astimezone(ZoneInfo("America/Sao_Paulo"))
    iso = start.strftime("%Y-%m-%dT%H:%M:%SZ")

    visitor.visit("/status/whatsapp/", "times-service")
    since = page.locator(".banner .since time").first
    # The browser's zone from the first visit, with UTC beside it.
    assert since.inner_text() == local.strftime("%H:%M -03")
    assert page.locator(".banner .since .utc").first.inner_text() == start.strftime("(%H:%M UTC)")
    assert since.get_attribute("datetime") == iso
    # The same start on the outage's page, the home page and the incident page.
    visitor.visit(f"/outages/{outage.spike.pk}/", "times-spike")
    assert times(page, ".facts div:first-child dd")[0] == iso
    visitor.visit("/", "times-home")
    assert iso in times(page, ".incident li:has(a:text-is('WhatsApp'))")
    visitor.visit(f"/incidents/{outage.spike.incident_id}/", "times-incident")
    assert times(page, ".facts div:first-child dd")[0] == iso

    # An outage that ended: its end and its resolution, the same on facts and timeline.
    visitor.visit(f"/outages/{outage.past.pk}/", "times-ended")
    ended = times(page, ".facts div:has(dt:text-is('Ended')) dd")[0]
    resolved = times(page, ".facts div:has(dt:text-is('Resolved')) dd")[0]
    assert ended in times(page, ".timeline li.event-ended") and resolved in times(
        page, ".timeline li.event-resolved"
    )
    assert ended < resolved
    # Reports back at the usual level: the banner says so at once, not an hour later.
    visitor.visit("/status/netflix/", "times-recovering")
    assert "banner-recovering" in page.locator(".banner").get_attribute("class")
    # The zone switch: clocks by country, the reader's preselected.
    visitor.visit("/time-zone/", "zone-switch")
    select = page.get_by_label("Time zone")
    assert select.input_value() == "America/Sao_Paulo"
    assert select.locator("option").count() < 350
    assert "Brazil: Sao Paulo" in select.locator("option:checked").inner_text()


@pytest.mark.parametrize("visitor", [DESKTOP], indirect=True)
def test_6_numbers_a_journalist_can_quote_and_a_link_that_previews(visitor, outage):
    page = visitor.page
    visitor.visit(f"/outages/{outage.spike.pk}/", "numbers-spike")
    facts = dict(
        zip(page.locator(".facts dt").all_inner_texts(), page.locator(".facts dd").all_inner_texts())
    )
    people = Report.objects.filter(
        service=outage.whatsapp, created_at__gte=outage.spike.started_at, created_at__lt=outage.counted_until
    )
    assert facts["People who reported"].startswith(f"{people.values('fingerprint').distinct().count():,}")
    assert facts["Peak minute"].startswith("50 reporters at") and "against 2 expected" in facts["Peak minute"]
    assert facts["Peak 5 minutes"].startswith("250 reporters from")
    visitor.visit(f"/outages/{outage.netflix_spike.pk}/", "numbers-under-one")
    assert "against under 1 expected" in page.locator(".facts").inner_text()

    page.get_by_role("link", name="How we detect outages").click()
    page.wait_for_load_state()
    visitor.screenshot("methodology")
    headings = page.locator("h2").all_inner_texts()
    assert {
        "Possible problems and problems detected",
        "The usual level (baseline)",
        "What a spike is not",
    } <= set(headings)

    visitor.visit("/status/whatsapp/", "numbers-service")
    image = page.locator('meta[property="og:image"]').get_attribute("content")
    assert page.locator('meta[name="twitter:card"]').get_attribute("content") == "summary_large_image"
    png = page.request.get(image)
    assert png.headers["content-type"] == "image/png"
    assert struct.unpack(">II", png.body()[16:24]) == (1200, 624)
    assert page.request.get(visitor.live_url + "/status/whatsapp/reports.csv").ok
    visitor.visit("/status/whatsapp/embed/", "live-embed")
    assert "WhatsApp: problems detected since" in page.locator(".embed-title").inner_text()


@pytest.fixture
def http_page_embedding(live_server):
    """A page on another origin, over plain http, that embeds the live widget."""
    html = f'<!doctype html><title>A blog</title><iframe src="{live_server.url}/status/whatsapp/embed/" width="600" height="380"></iframe>'

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(html.encode())

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.mark.parametrize("visitor", [DESKTOP], indirect=True)
def test_7_pages_of_a_product_not_of_a_framework(visitor, outage, http_page_embedding):
    page = visitor.page
    response = visitor.visit("/status/WhatsApp/", "slug-in-the-wrong-case")
    assert page.url.endswith("/status/whatsapp/") and response.status == 200
    assert response.all_headers()["content-encoding"] == "gzip"
    missing = visitor.visit("/status/whatsap/", "near-miss")
    assert missing.status == 404
    visitor.problems.remove("Failed to load resource: the server responded with a status of 404 (Not Found)")
    assert (
        page.get_by_role("link", name="WhatsApp", exact=True).first.get_attribute("href")
        == "/status/whatsapp/"
    )
    assert (
        page.get_by_role("search").count() >= 1
        and page.get_by_role("link", name="Archive", exact=True).count() == 1
    )
    visitor.visit("/outages/?service=WhatsApp", "archive-by-name")
    assert page.locator("table.archive tbody tr").count() == 2
    visitor.visit("/", "one-search-box")
    assert page.get_by_role("search").count() == 1
    visitor.visit("/admin/login/", "admin-branded")
    assert page.locator("#site-name").inner_text() == "outagewatch admin"
    visitor.visit("/api/v1/redoc/", "redoc-no-cdn")
    page.get_by_text("outagewatch partner API").first.wait_for()
    assert (
        page.get_by_role("link", name="the partner API guide").first.get_attribute("href") == "/developers/"
    )
    visitor.visit("/developers/", "partner-api-guide")
    assert page.locator("h2#webhooks").count() == 1
    # An http page elsewhere embeds the live widget (EMBED_FRAME_ANCESTORS, default any site).
    page.goto(http_page_embedding)
    frame = page.frame_locator("iframe")
    assert "outagewatch user reports" in frame.locator(".source").inner_text()
    visitor.screenshot("embedded-on-an-http-page")


@pytest.mark.parametrize("visitor", [PHONE], indirect=True)
def test_7_axis_labels_are_readable_on_a_phone(visitor, outage):
    page = visitor.page
    visitor.visit("/status/whatsapp/", "phone-axes")
    heights = page.locator(
        "svg.series-chart text.y-label, svg.series-chart text.x-label:not(.odd)"
    ).evaluate_all("els => els.map(e => e.getBoundingClientRect().height)")
    # About 12 px text, not the 6 px of a desktop chart shrunk to a phone.
    assert heights and min(heights) >= 11
