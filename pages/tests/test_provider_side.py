"""Both sides on the site: what users report beside what the provider's status
page says (and where they disagree), the provider's words on the spike page, the
verdict in the archive, the feeds and the embed."""

import html
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User

from pages.tests.conftest import NOW, make_spike
from spikes import verdicts
from statuspages import matching
from statuspages.models import Acknowledgement, ProviderIncidentUpdate
from statuspages.tests.factories import ProviderIncidentFactory, StatusSourceFactory


def text(page: str) -> str:
    """What a reader reads: tags out, entities decoded, white space collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", page)).split())


def banner(client, service) -> str:
    html = client.get(f"/status/{service.slug}/").content.decode()
    return text(re.search(r'<section class="banner.*?</section>', html, re.S).group(0))


@pytest.fixture
def page(frozen, whatsapp):
    return StatusSourceFactory(
        service=whatsapp,
        name="WhatsApp's status page",
        last_success_at=NOW,
        indicator="minor",
        affected_components=[
            {"name": "Media", "status": "degraded_performance", "label": "Degraded performance"}
        ],
    )


def test_both_sides_agree(client, page, whatsapp):
    make_spike(whatsapp, started_at=NOW - timedelta(minutes=30))
    ProviderIncidentFactory(source=page, title="Media delays", started_at=NOW - timedelta(minutes=20))

    said = banner(client, whatsapp)

    assert "Problems detected at WhatsApp Since 11:30 UTC" in said
    assert (
        "WhatsApp's status page: Degraded performance, Media, since 11:40 UTC. “Media delays” (investigating)."
        in said
    )


def test_users_report_problems_while_the_page_says_all_is_well(client, page, whatsapp):
    page.indicator, page.affected_components = "none", []
    page.save()
    make_spike(whatsapp, started_at=NOW - timedelta(minutes=30))

    assert "Users report problems; WhatsApp's status page says all systems operational." in banner(
        client, whatsapp
    )


def test_the_provider_reports_an_incident_with_few_user_reports(client, page, whatsapp):
    ProviderIncidentFactory(source=page, title="Login errors", started_at=NOW - timedelta(minutes=15))

    said = banner(client, whatsapp)

    assert "User reports indicate no current problems at WhatsApp." in said
    assert "WhatsApp's status page reports an incident since 11:45 UTC; few user reports so far." in said


def test_scheduled_maintenance_is_shown_as_such(client, page, whatsapp):
    page.indicator = "maintenance"
    page.save()
    ProviderIncidentFactory(
        source=page,
        title="Database upgrade",
        is_maintenance=True,
        status="in_progress",
        impact="maintenance",
        scheduled_until=NOW + timedelta(hours=1),
    )
    ProviderIncidentFactory(
        source=page,
        title="Network work",
        is_maintenance=True,
        status="scheduled",
        started_at=NOW + timedelta(days=1),
    )

    said = banner(client, whatsapp)

    assert "scheduled maintenance under way, “Database upgrade” until 13:00 UTC." in said
    assert "Maintenance planned: “Network work”" in said


def test_an_unreachable_page_is_never_taken_as_operational(client, page, whatsapp):
    page.failures, page.failing_since = 4, NOW - timedelta(minutes=14)
    page.save()
    make_spike(whatsapp, started_at=NOW - timedelta(minutes=30))

    said = banner(client, whatsapp)

    assert "WhatsApp's status page: status page unreachable since Mar 4, 11:46 UTC." in said
    assert "operational" not in said


def test_the_service_page_shows_the_providers_record(client, page, whatsapp):
    for lag in (23, None):
        spike = make_spike(
            whatsapp,
            started_at=NOW - timedelta(days=3),
            ended_at=NOW - timedelta(days=3) + timedelta(hours=1),
        )
        Acknowledgement.objects.create(
            spike=spike,
            service=whatsapp,
            detected_at=spike.detected_at,
            acknowledged_at=spike.detected_at + timedelta(minutes=lag) if lag else None,
            lag_seconds=lag * 60 if lag else None,
        )

    said = text(client.get("/status/whatsapp/").content.decode())

    assert (
        "WhatsApp's status page acknowledged 1 of 2 outages, a median 23 minutes after users reported them"
        in said
    )
    assert "1 outage users reported was never acknowledged there." in said


def test_a_service_without_a_status_source_shows_only_the_crowd(client, frozen, whatsapp):
    html = client.get("/status/whatsapp/").content.decode()

    assert "provider-side" not in html and "provider-record" not in html


def test_the_spike_page_interleaves_the_providers_words_with_ours(client, page, whatsapp):
    spike = make_spike(whatsapp, started_at=NOW - timedelta(minutes=40))
    incident = ProviderIncidentFactory(
        source=page,
        title="Media <b>delays</b>",
        started_at=NOW - timedelta(minutes=30),
        acknowledged_at=spike.detected_at + timedelta(minutes=23),
    )
    ProviderIncidentUpdate.objects.create(
        incident=incident,
        provider_id="u1",
        status="investigating",
        body="We <script>look</script>.",
        at=incident.acknowledged_at,
    )
    matching.match_incident(incident.pk, NOW)

    html = client.get(f"/outages/{spike.pk}/").content.decode()

    assert re.findall(r'<li class="event-(\w+)">', html) == [
        "onset",
        "opened",
        "level_changed",
        "provider",
        "confirmed",
    ]
    assert (
        "WhatsApp&#x27;s status page, “Media &lt;b&gt;delays&lt;/b&gt;”: Investigating. We &lt;script&gt;look&lt;/script&gt;."
        in html
    )
    assert "<script>look" not in html
    said = text(html)
    assert "first spoke of it 4 Mar, 11:46 UTC, 23 min after we detected it" in said


def test_the_archive_shows_and_filters_the_verdict(client, frozen, whatsapp):
    staff = User.objects.create_superuser("tess", password="x")
    kept = make_spike(whatsapp, started_at=NOW - timedelta(hours=2))
    gone = make_spike(whatsapp, started_at=NOW - timedelta(days=2), region="IN")
    verdicts.confirm(kept.pk, verdicts.By.staff(staff))
    verdicts.dismiss(gone.pk, verdicts.By.staff(staff), "news_curiosity")

    dismissed = text(client.get("/outages/?verdict=dismissed").content.decode())

    assert "Dismissed: news-driven curiosity" in dismissed and "Confirmed by our staff" not in dismissed
    assert "Confirmed by our staff" in text(client.get("/outages/?verdict=confirmed").content.decode())


def test_the_feeds_and_the_embed_carry_the_verdict(client, page, whatsapp):
    spike = make_spike(whatsapp, started_at=NOW - timedelta(minutes=30))
    incident = ProviderIncidentFactory(source=page, title="Media delays")
    matching.match_incident(incident.pk, NOW)

    feed = client.get("/outages/feed/").content.decode()
    embed = text(client.get(f"/outages/{spike.pk}/embed/").content.decode())

    assert "<title>WhatsApp: problems detected, confirmed by the provider</title>" in feed
    assert '<category term="confirmed"' in feed and '<category term="confirmed-by-provider"' in feed
    assert f"The provider's incident: {incident.url}" in html.unescape(html.unescape(feed))
    assert "Confirmed by the provider." in embed
