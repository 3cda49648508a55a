"""Webhooks for verdicts and for the providers' word: spike.confirmed,
spike.dismissed and provider_incident.opened / updated / resolved, from the
outbox, once each, to the endpoints whose filters let them through."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User

from partners import keys, webhooks
from partners.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from partners.tests.conftest import T0, make_spike
from spikes import verdicts
from statuspages.models import ProviderIncidentChange, ProviderIncidentUpdate
from statuspages.tests.factories import ProviderIncidentFactory, StatusSourceFactory


@pytest.fixture
def endpoint(db):
    key, _ = keys.issue_key("Newsroom", ["read", "webhooks"])
    return WebhookEndpoint.objects.create(key=key, url="https://hooks.example.com/outagewatch")


@pytest.fixture
def started(endpoint):
    assert webhooks.collect_events() == []  # the first run only marks where news begins


def events():
    """The events sent, but for the spikes' openings (the test's own setting up)."""
    return WebhookEvent.objects.exclude(kind="spike.opened").order_by("pk")


def kinds() -> list[str]:
    return [e.kind for e in events()]


def test_a_confirmation_and_a_dismissal_are_sent_with_the_verdict(started, endpoint, whatsapp, instagram):
    staff = User.objects.create_superuser("tess", password="x")
    confirmed, dismissed = make_spike(whatsapp, T0), make_spike(instagram, T0)
    verdicts.confirm(confirmed.pk, verdicts.By.provider("WhatsApp status"), url="https://example.com/i/1")
    verdicts.dismiss(dismissed.pk, verdicts.By.staff(staff), "report_bombing", note="A botnet")
    verdicts.reopen(dismissed.pk, verdicts.By.staff(staff))  # not news for partners

    webhooks.collect_events()
    webhooks.collect_events()

    assert kinds() == ["spike.confirmed", "spike.dismissed"]
    data = [e.payload["data"] for e in events()]
    assert (data[0]["verdict"], data[0]["confirmed_by"], data[0]["verdict_url"]) == (
        "confirmed",
        "provider",
        "https://example.com/i/1",
    )
    # The payload is built when the outbox runs: the dismissal's event carries the spike as it is then.
    assert data[1]["id"] == dismissed.pk
    assert WebhookDelivery.objects.filter(endpoint=endpoint, event__in=events()).count() == 2


def test_a_provider_incident_is_sent_when_opened_updated_and_resolved(started, endpoint, whatsapp):
    incident = ProviderIncidentFactory(source=StatusSourceFactory(service=whatsapp), regions=["IN"])
    ProviderIncidentUpdate.objects.create(
        incident=incident, provider_id="u1", status="investigating", body="Looking into it.", at=T0
    )
    for kind in ["opened", "updated", "resolved"]:
        ProviderIncidentChange.objects.create(incident=incident, kind=kind, at=T0 + timedelta(minutes=5))

    webhooks.collect_events()
    webhooks.collect_events()

    assert kinds() == ["provider_incident.opened", "provider_incident.updated", "provider_incident.resolved"]
    data = events().first().payload["data"]
    assert (data["service"], data["kind"], data["title"], data["regions"]) == (
        "whatsapp",
        "incident",
        "Media messages fail to send",
        ["IN"],
    )
    assert data["latest_update"] == {
        "at": "2026-03-02T00:00:00Z",
        "status": "investigating",
        "body": "Looking into it.",
    }


@pytest.mark.parametrize(
    ("filters", "delivered"),
    [
        ({}, True),
        ({"regions": ["IN"]}, True),
        ({"regions": ["BR"]}, False),
        ({"min_level": "danger"}, True),  # the provider's word has no level: it is not filtered on one
    ],
)
def test_endpoint_filters_apply_to_provider_incidents(started, endpoint, whatsapp, filters, delivered):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(**filters)
    incident = ProviderIncidentFactory(source=StatusSourceFactory(service=whatsapp), regions=["IN"])
    ProviderIncidentChange.objects.create(incident=incident, kind="opened", at=T0)

    webhooks.collect_events()

    assert WebhookDelivery.objects.filter(endpoint=endpoint).exists() is delivered


def test_an_endpoint_for_other_services_gets_no_provider_incident(started, endpoint, whatsapp, instagram):
    endpoint.services.set([instagram])
    incident = ProviderIncidentFactory(source=StatusSourceFactory(service=whatsapp))
    ProviderIncidentChange.objects.create(incident=incident, kind="opened", at=T0)

    webhooks.collect_events()

    assert not WebhookDelivery.objects.exists()
