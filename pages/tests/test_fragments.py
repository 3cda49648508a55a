"""The parts of pages made once for many readers (pages.fragments) are as fresh as
what they are made of, and speak the reader's language and time zone; the status
is never one of them."""

from datetime import timedelta

import time_machine

from pages.tests.conftest import NOW, baseline, counted, counting_done, make_spike
from reports.tests.factories import ServiceFactory
from spikes.counting import count_range
from spikes.models import PipelineState
from spikes.tests.factories import add_reports


def test_a_minute_counted_since_the_last_visit_is_on_the_cached_chart_at_once(client, frozen, whatsapp):
    counted(whatsapp, NOW - timedelta(minutes=32), 30, 2)
    add_reports(whatsapp, NOW - timedelta(minutes=2), 1, 7, reporter="late")
    # Counting lags two minutes behind: 11:58 is "counting…", left out of the table.
    PipelineState.objects.filter(pk=1).update(counted_until=NOW - timedelta(minutes=2))
    before = client.get("/status/whatsapp/?range=1h").content.decode()

    count_range(NOW - timedelta(minutes=2), NOW)
    counting_done()  # same clock, same range: only the counted minute moved
    after = client.get("/status/whatsapp/?range=1h").content.decode()

    assert "<td>7</td><td>7</td>" not in before
    assert "<td>7</td><td>7</td>" in after


def test_the_status_is_live_while_the_chart_of_the_same_minute_is_cached(client, frozen, whatsapp):
    counted(whatsapp, NOW - timedelta(minutes=30), 30, 2, region="IN")
    calm = client.get("/in/status/whatsapp/").content.decode()
    calm_edition = client.get("/in/").content.decode()

    make_spike(whatsapp, started_at=NOW - timedelta(minutes=10), region="IN")
    down = client.get("/in/status/whatsapp/").content.decode()
    down_edition = client.get("/in/").content.decode()

    assert "User reports indicate no current problems at WhatsApp." in calm
    assert "Problems detected at WhatsApp in India" in down
    assert "No outages in India right now" in calm_edition
    assert "No outages in India right now" not in down_edition


def test_the_cached_chart_is_written_in_the_readers_language_and_time_zone(client, frozen, whatsapp):
    baseline(whatsapp, 2.0)
    counted(whatsapp, NOW - timedelta(minutes=30), 30, 2)

    english = client.get("/status/whatsapp/?range=1h").content.decode()
    german = client.get("/status/whatsapp/?range=1h&lang=de").content.decode()
    client.cookies["tz"] = "Asia/Kolkata"
    india = client.get("/status/whatsapp/?range=1h").content.decode()

    assert "<td>2.0</td>" in english and "<td>2,0</td>" not in english
    assert "<td>2,0</td>" in german
    assert "Wed, Mar 4, 17:29 IST</time>" in india  # 11:59 UTC, the last counted minute
    assert "IST</time>" not in english


def test_the_most_reported_list_follows_the_counted_minutes(client, frozen, whatsapp, instagram):
    counted(whatsapp, NOW - timedelta(minutes=30), 30, 2)
    before = client.get("/").content.decode()

    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        counted(instagram, NOW, 1, 90, reporter="burst")
        after = client.get("/").content.decode()

    def ranked(page: str) -> str:
        return page.split('class="top-list"')[1].split("</ol>")[0]

    assert "Instagram" not in ranked(before)
    assert ranked(after).index("Instagram") < ranked(after).index("WhatsApp")


def test_a_service_added_to_the_catalog_is_listed_on_the_next_request(client, frozen, whatsapp):
    home = client.get("/").content.decode()
    edition = client.get("/in/?lang=de").content.decode()

    ServiceFactory(slug="newcomer", name="Newcomer")
    home_after = client.get("/").content.decode()
    edition_after = client.get("/in/?lang=de").content.decode()

    assert "Newcomer" not in home and "Newcomer" not in edition
    assert '<a href="/status/newcomer/">Newcomer</a>' in home_after
    assert '<a href="/in/status/newcomer/">Newcomer</a>' in edition_after
