"""The home page: outages now, the most reported services, search, resolved outages."""

import re
from datetime import timedelta

import time_machine
from django.utils import timezone

from pages import homepage
from pages.tests.conftest import NOW, counted, counting_done, make_spike
from reports.tests.factories import ServiceFactory


def test_with_nothing_going_on_it_says_so(client, frozen, quiet):
    html = client.get("/").content.decode()

    assert "No outages right now: user reports are at their usual levels." in html
    assert "No reports in the last hour." in html
    assert "No outages have ended yet." in html
    # One search box: the page's own, not the header's as well.
    assert html.count('role="search"') == 1
    assert '<a href="/status/quietmail/">QuietMail</a>' in html


def test_outages_of_one_owner_are_grouped_as_one_incident(client, outage_world):
    html = client.get("/").content.decode()

    incident = re.search(r'<article class="incident">(.*?)</article>', html, re.S).group(1)
    assert f'<a href="/incidents/{outage_world["incident"].pk}/">Meta services</a> since' in incident
    assert "WhatsApp</a>: problems detected since" in incident
    assert "Instagram</a>: problems detected since" in incident


def test_outages_are_listed_by_level_and_sympathetic_ones_as_possibly_related(client, frozen, whatsapp):
    isp = ServiceFactory(slug="comcast", name="Comcast", category="isp")
    mail = ServiceFactory(slug="gmail", name="Gmail", category="email")
    big = make_spike(whatsapp, started_at=NOW - timedelta(minutes=30))
    make_spike(mail, started_at=NOW - timedelta(minutes=20), level="warning")
    make_spike(isp, started_at=NOW - timedelta(minutes=25), level="warning", related_to=big)

    html = client.get("/").content.decode()

    danger = html.index("<h3>Problems detected</h3>")
    warning = html.index("<h3>Possible problems</h3>")
    related = html.index("<h3>Possibly related</h3>")
    assert danger < html.index("WhatsApp</a>: problems detected") < warning
    assert warning < html.index("Gmail</a>: possible problems") < related
    assert f'Comcast</a>: possibly related to the <a href="/outages/{big.pk}/">WhatsApp outage</a>' in html
    # The ISP is not counted as an outage of its own.
    now_section = html[: html.index("Most reported in the last hour")]
    assert now_section.count("Comcast</a>") == 1


def test_a_service_spiking_globally_and_in_regions_is_one_entry(client, frozen, whatsapp):
    make_spike(whatsapp, started_at=NOW - timedelta(minutes=30), region="US")
    overall = make_spike(whatsapp, started_at=NOW - timedelta(minutes=29))
    make_spike(whatsapp, started_at=NOW - timedelta(minutes=28), region="IN", level="warning")

    now = homepage.outages_now({"IN": "India", "US": "United States"})

    assert len(now.danger) == 1 and now.warning == []
    assert now.danger[0].spike == overall and now.danger[0].countries == ["India", "United States"]
    html = client.get("/").content.decode()
    now_section = html[: html.index("Most reported in the last hour")]
    assert now_section.count("WhatsApp</a>") == 1
    assert "(most affected: India, United States)" in now_section


def test_an_outage_of_single_countries_is_named_by_country(client, frozen, whatsapp):
    make_spike(whatsapp, started_at=NOW - timedelta(minutes=30), region="BR")
    make_spike(whatsapp, started_at=NOW - timedelta(minutes=28), region="IN", level="warning")

    html = client.get("/").content.decode()

    assert "WhatsApp in Brazil and India</a>: problems detected since" in html


def test_the_most_reported_services_of_the_hour_come_with_sparklines(client, frozen, whatsapp, instagram):
    counted(whatsapp, NOW - timedelta(minutes=30), 30, 4)
    counted(instagram, NOW - timedelta(minutes=10), 10, 2, reporter="ig")
    counted(instagram, NOW - timedelta(hours=3), 60, 50, reporter="old")

    html = client.get("/").content.decode()

    listed = re.findall(
        r'<li><a href="/status/([a-z]+)/">[^<]+</a>\s*<svg class="sparkline"[^>]*aria-label="[^"]*: ([\d, ]+)">',
        html,
    )
    assert listed == [
        ("whatsapp", "0, 0, 0, 0, 0, 0, 20, 20, 20, 20, 20, 20"),
        ("instagram", "0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 10"),
    ]
    assert "120 reporters" in html and "20 reporters" in html


def test_an_outage_minutes_old_already_ranks_the_service_and_ends_its_sparkline(
    client, db, whatsapp, instagram
):
    counted(instagram, NOW - timedelta(hours=1), 63, 3, reporter="ig")
    counted(whatsapp, NOW - timedelta(hours=1), 60, 1)
    counted(whatsapp, NOW, 3, 50, reporter="outage")  # three minutes into an outage

    with time_machine.travel(NOW + timedelta(minutes=3), tick=False):
        counting_done()
        top = homepage.top_services(timezone.now())

    # The last 60 counted minutes, not the last whole five-minute bucket (which
    # would end at NOW and miss the outage).
    assert [(t.service.slug, t.reporters) for t in top] == [("whatsapp", 57 + 150), ("instagram", 180)]
    assert top[0].values[-1] == 2 + 150 and len(top[0].values) == 12


def test_the_search_forgives_typos(client, frozen, whatsapp, instagram, quiet):
    for typo, slug in [
        ("whatsap", "whatsapp"),
        ("instagarm", "instagram"),
        ("Quiet Mail", "quietmail"),
        ("gram", "instagram"),
    ]:
        html = client.get("/", {"q": typo}).content.decode()
        results = re.search(r'<ul class="service-list results">(.*?)</ul>', html, re.S).group(1)
        assert f'href="/status/{slug}/"' in results, typo


def test_a_search_with_no_match_says_so(client, frozen, whatsapp):
    html = client.get("/", {"q": "zzzzqqq"}).content.decode()

    assert "No service matches “zzzzqqq”" in html


def test_recently_resolved_outages_are_listed_newest_first(client, frozen, whatsapp, instagram):
    make_spike(whatsapp, started_at=NOW - timedelta(hours=9), ended_at=NOW - timedelta(hours=8))
    make_spike(instagram, started_at=NOW - timedelta(hours=5), ended_at=NOW - timedelta(hours=4))

    html = client.get("/").content.decode()

    section = html[html.index("Recently ended") :]
    assert section.index("Instagram</a>: problems detected from") < section.index(
        "WhatsApp</a>: problems detected from"
    )
