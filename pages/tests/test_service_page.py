"""The service page: "Is WhatsApp down right now?" answered at a glance."""

import os
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pages.tasks import refresh_breakdown
from pages.tests.conftest import NOW, baseline, counted, make_spike
from reports.models import Report
from reports.tests.factories import region

PAGE = "/status/whatsapp/"


def polyline(html: str, cls: str) -> list[tuple[float, float]]:
    """The points of every polyline of that class, in order (a missing bucket
    breaks the reports' line into several)."""
    return [
        tuple(map(float, p.split(",")))
        for points in re.findall(rf'<polyline class="{cls}" points="([^"]*)"', html)
        for p in points.split()
    ]


def test_it_says_there_are_no_problems_for_a_service_nobody_reported(client, frozen, quiet):
    html = client.get("/status/quietmail/").content.decode()

    assert "User reports indicate no current problems at QuietMail." in html
    assert "No reports in the last 24 hours." in html
    assert "No reports from any country in the last hour." in html
    assert "No comments yet." in html
    assert "no usual level known yet" in html
    # A flat line at zero: the 287 counted five-minute buckets, all on the x axis;
    # the one in progress is shaded as being counted, not drawn as a zero.
    points = polyline(html, "reports")
    assert len(points) == 287 and {y for _, y in points} == {226.0}
    assert '<g class="missing missing-uncounted">' in html and "counting…</text>" in html
    # The caption names the shading and stops there: no full stop after the ellipsis.
    assert "shaded: counting… Times in" in html
    # Every country drawn, none shaded.
    assert html.count('<path class="r0"') == html.count("<path ") > 150


def test_it_shows_problems_detected_since_the_onset_during_an_open_outage(client, outage_world):
    html = client.get(PAGE).content.decode()

    assert "Problems detected at WhatsApp</p>" in html
    assert 'Since <time datetime="2026-03-04T11:15:00Z" title="2026-03-04 11:15 UTC">11:15 UTC</time>' in html
    assert "A suspected outage from user reports, not an official confirmation." in html
    assert f'href="/outages/{outage_world["spike"].pk}/"' in html
    assert "banner-danger" in html


def test_it_says_possible_problems_at_the_warning_level(client, frozen, whatsapp):
    make_spike(whatsapp, started_at=NOW - timedelta(minutes=20), level="warning")

    html = client.get(PAGE).content.decode()

    assert "Possible problems at WhatsApp</p>" in html
    assert "banner-warning" in html


def test_an_outage_in_one_country_is_named_with_its_level(client, frozen, whatsapp):
    make_spike(whatsapp, started_at=NOW - timedelta(minutes=20), region="IN", level="danger")

    html = client.get(PAGE).content.decode()

    assert "Problems detected at WhatsApp in India</p>" in html
    assert "banner-danger" in html


def test_the_countries_spiking_with_a_global_outage_are_named(client, frozen, whatsapp):
    make_spike(whatsapp, started_at=NOW - timedelta(minutes=20))
    make_spike(whatsapp, started_at=NOW - timedelta(minutes=25), region="BR", level="warning")

    html = client.get(PAGE).content.decode()

    assert "Problems detected at WhatsApp</p>" in html
    assert "Most affected: Brazil." in html
    # Since the first of them: the Brazilian spike's onset.
    assert 'Since <time datetime="2026-03-04T11:35:00Z"' in html


def test_it_says_no_current_problems_once_the_outage_is_resolved(client, frozen, whatsapp):
    make_spike(whatsapp, started_at=NOW - timedelta(hours=5), ended_at=NOW - timedelta(hours=3))

    html = client.get(PAGE).content.decode()

    assert "User reports indicate no current problems at WhatsApp." in html


def test_it_marks_an_outage_the_provider_confirmed(client, frozen, whatsapp):
    make_spike(whatsapp, started_at=NOW - timedelta(minutes=30), verdict="confirmed", confirmed_by="provider")

    html = client.get(PAGE).content.decode()

    assert "Confirmed by the provider" in html
    assert "A suspected outage from user reports" not in html


def test_it_says_possibly_related_for_a_sympathetic_spike(client, frozen, whatsapp):
    isp = whatsapp.__class__.objects.create(slug="comcast", name="Comcast", category="isp")
    big = make_spike(whatsapp, started_at=NOW - timedelta(minutes=30))
    make_spike(isp, started_at=NOW - timedelta(minutes=25), level="warning", related_to=big)

    html = client.get("/status/comcast/").content.decode()

    assert f'Possibly related to the <a href="/outages/{big.pk}/">WhatsApp outage</a>' in html


def test_the_chart_draws_the_counted_reporters_and_the_expected_band(client, outage_world):
    html = client.get(PAGE + "?range=1h&interval=5m").content.decode()

    svg = re.search(
        r'<svg class="series-chart"[^>]*data-y-max="([\d.]+)" data-top="([\d.]+)" data-bottom="([\d.]+)"',
        html,
    )
    y_max, top, bottom = map(float, svg.groups())
    values = [round((bottom - y) / (bottom - top) * y_max) for _, y in polyline(html, "reports")]
    # 11:05 to 12:00: 2 usual reporters a minute, and 40 more a minute from 11:15
    # (30 in the US, 10 in India). The bucket in progress at 12:00 is not counted
    # yet: left out, not drawn as a drop to zero.
    assert values == [10, 10] + [210] * 9
    assert len(polyline(html, "expected")) == 12
    assert '<polygon class="band"' in html
    # The table carries the same numbers.
    table = re.findall(
        r"<tr><td><time[^>]*>[^<]*</time></td><td>(\d+)</td><td>(\d+)</td><td>([\d.]+)</td>", html
    )
    assert [int(reporters) for _, reporters, _ in table] == values
    assert {expected for *_, expected in table} == {"10.0"}


@pytest.mark.parametrize(
    ("query", "points"),
    [
        ("", 287),
        ("?range=1h", 59),
        ("?range=24h&interval=15m", 95),
        ("?range=7d", 167),
        ("?range=7d&interval=15m", 671),
    ],
)
def test_the_chart_switches_range_and_buckets(client, frozen, whatsapp, query, points):
    html = client.get(PAGE + query).content.decode()

    # Every bucket but the one in progress.
    assert len(polyline(html, "reports")) == points


def test_the_switch_links_keep_the_other_parameters(client, frozen, whatsapp):
    html = client.get(PAGE + "?range=24h&interval=15m&sort=name").content.decode()

    assert 'href="?range=7d&amp;sort=name">7d</a>' in html
    assert 'href="?range=24h&amp;interval=5m&amp;sort=name">5m</a>' in html
    # A week of 1- or 5-minute buckets is not offered.
    week = client.get(PAGE + "?range=7d").content.decode()
    assert "interval=1m" not in week and "interval=5m" not in week


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?interval=2m", "interval must be one of 1m, 5m, 15m, 1h, not &#x27;2m&#x27;"),
        ("?range=1y", "range must be one of 1h, 24h, 7d, not &#x27;1y&#x27;"),
        ("?range=7d&interval=1m", "a 7d range needs buckets of 15m or more"),
        ("?range=1h&interval=1h", "1h buckets are too long for a 1h range"),
        ("?sort=color", "sort must be one of reports, ratio, name"),
        ("?map=1w", "map must be one of 15m, 1h, 24h, not &#x27;1w&#x27;"),
    ],
)
def test_bad_chart_options_get_a_400_that_says_why(client, frozen, whatsapp, query, message):
    response = client.get(PAGE + query)

    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize("download", ["reports.csv", "chart.png", "embed/"])
@pytest.mark.parametrize("page", [PAGE, "/de/status/whatsapp/"])
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?range=1y", "range must be one of 1h, 24h, 7d, not &#x27;1y&#x27;"),
        ("?range=7d&interval=1m", "a 7d range needs buckets of 15m or more"),
    ],
)
def test_bad_download_options_get_a_400_that_says_why(
    client, frozen, whatsapp, download, page, query, message
):
    # The CSV answered 500 here (its view's throwaway `_` hid gettext's), and so did
    # the embed (it did not catch the range's error at all).
    response = client.get(page + download + query)

    assert response.status_code == 400
    assert message in response.content.decode()


def test_an_unknown_service_is_a_404_that_suggests_near_misses(client, frozen, whatsapp):
    response = client.get("/status/whatsap/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "There is no service “whatsap” here." in html
    assert "Did you mean:" in html and '<a href="/status/whatsapp/">WhatsApp</a>' in html
    assert 'role="search"' in html
    assert client.get("/status/nope/").status_code == 404


def test_a_slug_in_the_wrong_case_redirects_to_the_service(client, frozen, whatsapp):
    response = client.get("/status/WhatsApp/?range=1h")

    assert response.status_code == 301 and response["Location"] == "/status/whatsapp/?range=1h"
    assert client.get("/status/WHATSAPP/feed/").status_code == 404  # only pages, not feeds


def test_most_reported_problems_come_from_the_open_outage(client, outage_world):
    html = client.get(PAGE).content.decode()

    assert "Most reported problems in this outage" in html
    shares = re.findall(
        r'<span class="share-label">([^<]+)</span> <meter min="0" max="100" value="(\d+)"', html
    )
    assert shares == [("Pictures", "70"), ("Messages", "30")]


def test_without_an_outage_problems_are_the_last_days_counts(client, frozen, whatsapp):
    counted(whatsapp, NOW - timedelta(hours=2), 60, 3, problem="login")
    counted(whatsapp, NOW - timedelta(hours=1), 60, 1, problem="messages", reporter="m")
    counted(whatsapp, NOW - timedelta(hours=30), 60, 9, problem="pictures", reporter="old")

    html = client.get(PAGE).content.decode()

    shares = re.findall(
        r'<span class="share-label">([^<]+)</span> <meter min="0" max="100" value="(\d+)"', html
    )
    assert shares == [("Login", "75"), ("Messages", "25")]


def problem_shares_on_the_page(client) -> list[tuple[str, str]]:
    html = client.get(PAGE).content.decode()
    return re.findall(
        r'<span class="share-label">([^<]+)</span> <meter min="0" max="100" value="(\d+)"', html
    )


def test_a_breakdown_older_than_five_minutes_is_served_at_once_and_refreshed_by_a_task(
    client, frozen, whatsapp, time_machine
):
    counted(whatsapp, NOW - timedelta(hours=2), 60, 3, problem="login")
    assert problem_shares_on_the_page(client) == [("Login", "100")]

    counted(whatsapp, NOW - timedelta(minutes=50), 45, 4, problem="messages", reporter="m")
    time_machine.move_to(NOW + timedelta(minutes=6), tick=False)
    with CaptureQueriesContext(connection) as queries:
        assert problem_shares_on_the_page(client) == [("Login", "100")]
    # ... without the day's scan of the counts: that is the task's job.
    assert not [q for q in queries if "spikes_minutecount" in q["sql"]]

    refresh_breakdown.apply(args=("problems", whatsapp.pk))  # what the worker runs
    assert problem_shares_on_the_page(client) == [("Login", "50"), ("Messages", "50")]


def test_the_map_shows_the_last_hour_against_its_usual_level(client, outage_world):
    html = client.get(PAGE).content.decode()

    # US: 120 usual + 1,350 outage reporters in the last hour, against 1.5 a minute (90).
    assert "Where reports come from, last hour" in html
    assert re.search(r"<td>United States</td><td>1,470</td><td>90</td><td>16.3×</td>", html)
    assert re.search(r'<path class="r4" d="[^"]+" data-code="US">', html)


def test_regions_are_shaded_against_their_usual_level_and_sortable(client, outage_world):
    html = client.get(PAGE + "?map=24h").content.decode()

    # Over a day the same outage is lost in the usual reports:
    # US: 600 usual + 1,350 outage reporters against 1.5 a minute over a day (2,160).
    assert re.search(r"<td>United States</td><td>1,950</td><td>2,160</td><td>0.9×</td>", html)
    assert re.search(r"<td>India</td><td>450</td><td>–</td><td>not known yet</td>", html)
    assert '<path class="r1" d="' in html and 'data-code="US"' in html
    assert re.search(r'<path class="rn" d="[^"]+" data-code="IN"><title>India: 450 reporters</title>', html)
    by_name = client.get(PAGE + "?map=24h&sort=name").content.decode()
    assert by_name.index("<td>India</td>") < by_name.index("<td>United States</td>")
    by_reports = client.get(PAGE + "?map=24h&sort=reports").content.decode()
    assert by_reports.index("<td>United States</td>") < by_reports.index("<td>India</td>")


def test_a_region_far_above_its_usual_level_is_shaded_darkest(client, frozen, whatsapp):
    baseline(whatsapp, 0.01, region="DE")
    counted(whatsapp, NOW - timedelta(minutes=30), 30, 5, region="DE")

    html = client.get(PAGE).content.decode()

    assert re.search(r'<path class="r4" d="[^"]+" data-code="DE">', html)


def test_comments_are_escaped_and_hidden_ones_left_out(client, frozen, whatsapp):
    problem = whatsapp.ordered_problem_types()[0]
    for text, hidden in [("<b>pictures fail</b>", False), ("rude words", True)]:
        Report.objects.create(
            service=whatsapp,
            problem=problem,
            region=region("IN"),
            comment=text,
            comment_hidden=hidden,
            source="web",
        )

    html = client.get(PAGE).content.decode()

    assert "&lt;b&gt;pictures fail&lt;/b&gt;" in html and "<b>pictures fail</b>" not in html
    assert "rude words" not in html


def test_it_links_the_status_page_the_other_services_of_the_group_and_the_feeds(
    client, frozen, whatsapp, instagram
):
    html = client.get(PAGE).content.decode()

    assert 'href="https://status.example.com/whatsapp"' in html
    assert '<a href="/status/instagram/">Instagram</a>' in html
    assert 'href="/status/whatsapp/feed/"' in html and 'href="/groups/meta/feed/"' in html


def test_the_report_form_is_on_the_page(client, frozen, whatsapp):
    html = client.get(PAGE).content.decode()

    assert 'action="/status/whatsapp/report/"' in html
    assert re.findall(r'<button type="submit" name="problem" value="([^"]+)"', html) == [
        "messages",
        "pictures",
        "voice-messages",
        "login",
    ]


def test_the_page_has_no_inline_script_or_style(client, outage_world):
    html = client.get(PAGE).content.decode()

    assert "<script>" not in html and " style=" not in html and " onclick=" not in html


def test_the_map_of_the_last_hour_is_refreshed_every_minute_and_never_served_past_five(
    client, frozen, whatsapp, time_machine
):
    baseline(whatsapp, 0.5, region="DE")
    counted(whatsapp, NOW - timedelta(minutes=30), 30, 2, region="DE")
    assert "<td>Germany</td><td>60</td>" in client.get(PAGE).content.decode()
    counted(whatsapp, NOW - timedelta(minutes=30), 30, 1, region="FR", reporter="fr")

    # A minute later the stale map is served while a task refreshes it...
    time_machine.move_to(NOW + timedelta(seconds=61), tick=False)
    with CaptureQueriesContext(connection) as queries:
        assert "<td>France</td>" not in client.get(PAGE).content.decode()
    assert not [q for q in queries if "spikes_seriesbaseline" in q["sql"]]
    # ... and five minutes without a refresh (no worker) it is computed at once.
    time_machine.move_to(NOW + timedelta(minutes=5), tick=False)
    assert "<td>France</td><td>30</td>" in client.get(PAGE).content.decode()


def test_the_embedded_defaults_cache_is_one_all_processes_share(tmp_path):
    """Without REDIS_URL the web server and the Celery worker are separate
    processes: what the worker stores (a refreshed map) the web must read."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env |= {"DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "outagewatch.settings"}
    setup = "import django; django.setup(); from django.core.cache import cache; "

    def run(code: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", setup + code],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout.strip()

    run("cache.set('pages:probe', 'from the worker', 60)")
    assert run("print(cache.get('pages:probe'))") == "from the worker"
