"""Reporter fingerprints and repeats: who reported, without storing their address."""

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from reports import fingerprint
from reports.models import FingerprintKey, Report

URL = "/api/v1/reports/"
ADDRESS = "203.0.113.77"


def report(client, service="whatsapp", address=ADDRESS, agent="Firefox/140", headers=None, **fields):
    body = {"service": service, "problem": "messages", "region": "US", **fields}
    return client.post(
        URL,
        json.dumps(body),
        content_type="application/json",
        REMOTE_ADDR=address,
        HTTP_USER_AGENT=agent,
        **(headers or {}),
    )


def test_a_second_report_within_15_minutes_is_stored_as_a_repeat(client, whatsapp):
    with time_machine.travel(datetime(2026, 3, 5, 12, 0, tzinfo=UTC), tick=False) as clock:
        first = report(client)
        clock.shift(timedelta(minutes=14))
        second = report(client, problem="pictures")

    assert first.json()["is_repeat"] is False
    assert second.json()["is_repeat"] is True
    assert Report.objects.count() == 2
    assert Report.objects.distinct_reporters().count() == 1


def test_a_report_after_15_minutes_counts_again(client, whatsapp):
    with time_machine.travel(datetime(2026, 3, 5, 12, 0, tzinfo=UTC), tick=False) as clock:
        report(client)
        clock.shift(timedelta(minutes=15, seconds=1))
        later = report(client)

    assert later.json()["is_repeat"] is False


def test_reports_for_another_service_are_not_repeats(client, whatsapp):
    from reports.tests.factories import ServiceFactory

    ServiceFactory(slug="signal", problems=["messages"])
    report(client)

    assert report(client, service="signal").json()["is_repeat"] is False


def test_another_browser_at_the_same_address_is_another_reporter(client, whatsapp):
    report(client, agent="Firefox/140")

    assert report(client, agent="Safari/18").json()["is_repeat"] is False


def test_the_fingerprint_key_changes_every_day(db):
    day_one = datetime(2026, 3, 5, 23, 59, tzinfo=UTC)
    day_two = day_one + timedelta(minutes=2)

    assert fingerprint.reporter_fingerprint(ADDRESS, "ua", day_one) == fingerprint.reporter_fingerprint(
        ADDRESS, "ua", day_one - timedelta(hours=3)
    )
    assert fingerprint.reporter_fingerprint(ADDRESS, "ua", day_one) != fingerprint.reporter_fingerprint(
        ADDRESS, "ua", day_two
    )
    assert FingerprintKey.objects.count() == 2


def test_old_fingerprint_keys_are_purged(db):
    for day in (1, 2, 3, 4):
        fingerprint.reporter_fingerprint(ADDRESS, "ua", datetime(2026, 3, day, tzinfo=UTC))

    deleted = fingerprint.purge_old_keys(today=datetime(2026, 3, 4).date())

    assert deleted == 2
    assert sorted(k.day.day for k in FingerprintKey.objects.all()) == [3, 4]


@pytest.mark.django_db
def test_the_raw_address_is_stored_nowhere(client, whatsapp):
    report(client, comment="cannot send", agent="Mozilla/5.0 (X11; Linux x86_64)")
    client.post("/status/whatsapp/report/", {"problem": "login", "region": "US"}, REMOTE_ADDR=ADDRESS)

    dump = StringIO()
    call_command("dumpdata", stdout=dump)
    assert Report.objects.count() == 2
    assert ADDRESS not in dump.getvalue()
    assert "Mozilla/5.0" not in dump.getvalue()


def test_behind_a_proxy_the_forwarded_address_identifies_the_reporter(client, whatsapp, settings):
    settings.NUM_PROXIES = 1
    proxy = "10.0.0.2"
    report(client, address=proxy, headers={"HTTP_X_FORWARDED_FOR": "198.51.100.1"})
    second = report(client, address=proxy, headers={"HTTP_X_FORWARDED_FOR": "198.51.100.2"})

    assert second.json()["is_repeat"] is False
