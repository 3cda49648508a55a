"""The outage archive: filters, pagination, and bad filters answered with a 400."""

import re
from datetime import timedelta

import pytest

from pages import views
from pages.tests.conftest import NOW, make_spike
from reports.tests.factories import ServiceFactory, ServiceGroupFactory


@pytest.fixture
def archive(frozen, whatsapp, instagram):
    alphabet = ServiceGroupFactory(slug="alphabet", name="Alphabet")
    gmail = ServiceFactory(slug="gmail", name="Gmail", group=alphabet, category="email")
    return {
        "wa_open": make_spike(whatsapp, started_at=NOW - timedelta(minutes=30)),
        "wa_in": make_spike(
            whatsapp,
            started_at=NOW - timedelta(days=3),
            region="IN",
            level="warning",
            ended_at=NOW - timedelta(days=3) + timedelta(hours=1),
        ),
        "ig_old": make_spike(
            instagram,
            started_at=NOW - timedelta(days=10),
            ended_at=NOW - timedelta(days=10) + timedelta(hours=2),
        ),
        "gmail": make_spike(
            gmail,
            started_at=NOW - timedelta(days=1),
            level="warning",
            verdict="confirmed",
            confirmed_by="staff",
        ),
    }


def listed(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr class="level-\w+">\s*<td><a href="/outages/(\d+)/">', html)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["wa_open", "gmail", "wa_in", "ig_old"]),
        ({"service": "whatsapp"}, ["wa_open", "wa_in"]),
        ({"service": "WhatsApp"}, ["wa_open", "wa_in"]),
        ({"service": " gmail "}, ["gmail"]),
        ({"group": "meta"}, ["wa_open", "wa_in", "ig_old"]),
        ({"group": "alphabet"}, ["gmail"]),
        ({"region": "in"}, ["wa_in"]),
        ({"region": "all"}, ["wa_open", "gmail", "ig_old"]),
        ({"level": "warning"}, ["gmail", "wa_in"]),
        ({"state": "ended"}, ["wa_in", "ig_old"]),
        ({"state": "open"}, ["wa_open", "gmail"]),
        ({"verdict": "confirmed"}, ["gmail"]),
        ({"verdict": "suspected", "state": "ended"}, ["wa_in", "ig_old"]),
        ({"started_after": "2026-03-01"}, ["wa_open", "gmail", "wa_in"]),
        ({"started_before": "2026-02-28"}, ["ig_old"]),
        ({"started_after": "2026-03-01", "started_before": "2026-03-03", "service": "whatsapp"}, ["wa_in"]),
    ],
)
def test_the_archive_filters_outages(client, archive, query, expected):
    response = client.get("/outages/", query)

    assert response.status_code == 200
    assert listed(response.content.decode()) == [archive[name].pk for name in expected]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"service": "nope"}, "There is no service called &#x27;nope&#x27;: use its name or slug"),
        ({"group": "nobody"}, "There is no owner with that name"),
        ({"region": "XX"}, "&#x27;XX&#x27; is not a region"),
        ({"level": "apocalyptic"}, "Select a valid choice"),
        ({"verdict": "fixed"}, "Select a valid choice"),
        ({"state": "paused"}, "Select a valid choice"),
        ({"started_after": "last tuesday"}, "Enter a valid date"),
        (
            {"started_after": "2026-03-05", "started_before": "2026-03-01"},
            "The end of the date range comes before its start",
        ),
    ],
)
def test_bad_filters_get_a_400_that_says_which_and_why(client, archive, query, message):
    response = client.get("/outages/", query)

    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_archive_is_paginated(client, archive, monkeypatch):
    monkeypatch.setattr(views, "ARCHIVE_PAGE_SIZE", 3)

    first = client.get("/outages/").content.decode()
    second = client.get("/outages/", {"page": 2}).content.decode()
    beyond = client.get("/outages/", {"page": "lots"})

    assert len(listed(first)) == 3 and listed(second) == [archive["ig_old"].pk]
    assert "Page 1 of 2" in first and 'href="?page=2">Older</a>' in first
    assert beyond.status_code == 200


def test_an_empty_archive_says_so(client, frozen, whatsapp):
    html = client.get("/outages/").content.decode()

    assert "No outage matches these filters." in html
