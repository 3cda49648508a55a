"""Atom feeds of outages: all, per service, per owner."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import feedparser
import pytest

from pages.tests.conftest import NOW, make_spike
from reports.tests.factories import ServiceFactory

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def outages(frozen, whatsapp, instagram):
    gmail = ServiceFactory(slug="gmail", name="Gmail", category="email")
    return [
        make_spike(whatsapp, started_at=NOW - timedelta(minutes=30)),
        make_spike(instagram, started_at=NOW - timedelta(days=1), ended_at=NOW - timedelta(hours=22)),
        make_spike(gmail, started_at=NOW - timedelta(days=2), level="warning"),
        make_spike(gmail, started_at=NOW - timedelta(days=3), region="GB", verdict="dismissed"),
    ]


def entries(client, url):
    response = client.get(url)
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return root, parsed


def test_the_feed_of_all_outages_is_valid_atom_newest_first_without_dismissed_ones(client, outages):
    root, parsed = entries(client, "/outages/feed/")

    assert root.find(f"{ATOM}title").text == "outagewatch: outages"
    assert [e.title for e in parsed.entries] == [
        "WhatsApp: problems detected",
        "Instagram: resolved",
        "Gmail: possible problems",
    ]
    first = parsed.entries[0]
    assert first.link == f"http://testserver/outages/{outages[0].pk}/"
    assert first.published == "2026-03-04T11:30:00+00:00"
    assert "Peak minute: 40 reporters against 2 expected." in first.summary
    assert all(e.find(f"{ATOM}id") is not None for e in root.findall(f"{ATOM}entry"))


def test_a_service_feed_has_only_that_services_outages(client, outages):
    _, parsed = entries(client, "/status/whatsapp/feed/")

    assert parsed.feed.title == "outagewatch: WhatsApp outages"
    assert [e.title for e in parsed.entries] == ["WhatsApp: problems detected"]


def test_a_group_feed_has_the_outages_of_the_owners_services(client, outages):
    _, parsed = entries(client, "/groups/meta/feed/")

    assert parsed.feed.title == "outagewatch: outages of Meta services"
    assert [e.title for e in parsed.entries] == ["WhatsApp: problems detected", "Instagram: resolved"]


def test_an_empty_feed_is_still_valid(client, frozen, quiet):
    _, parsed = entries(client, "/status/quietmail/feed/")

    assert parsed.entries == []


def test_feeds_of_unknown_services_and_groups_are_404(client, db):
    assert client.get("/status/nope/feed/").status_code == 404
    assert client.get("/groups/nobody/feed/").status_code == 404
