"""The providers' side in the partner API: their incidents with updates and
matched spikes, and what their status pages say now with their record."""

from datetime import timedelta

import pytest
import time_machine

from partners.tests.conftest import make_spike
from statuspages import acknowledgements, matching
from statuspages.models import ProviderIncidentUpdate
from statuspages.tests.factories import NOW, ProviderIncidentFactory, StatusSourceFactory


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def provider(frozen, whatsapp, instagram):
    source = StatusSourceFactory(service=whatsapp, name="WhatsApp's status page", indicator="minor")
    spike = make_spike(whatsapp, NOW - timedelta(minutes=40))
    going_on = ProviderIncidentFactory(
        source=source, provider_id="p1", started_at=NOW - timedelta(minutes=30)
    )
    ProviderIncidentUpdate.objects.create(
        incident=going_on,
        provider_id="u1",
        status="investigating",
        body="Looking.",
        at=NOW - timedelta(minutes=30),
    )
    over = ProviderIncidentFactory(
        source=source,
        provider_id="p0",
        title="Login",
        started_at=NOW - timedelta(days=2),
        resolved_at=NOW - timedelta(days=2) + timedelta(hours=1),
    )
    planned = ProviderIncidentFactory(
        source=StatusSourceFactory(service=instagram),
        provider_id="m1",
        title="Upgrade",
        is_maintenance=True,
        status="scheduled",
        started_at=NOW - timedelta(minutes=5),
    )
    matching.match_incident(going_on.pk, NOW)
    return {"spike": spike, "going_on": going_on, "over": over, "planned": planned}


def ids(api, query=""):
    response = api.get(f"/api/v1/provider-incidents/?{query}")
    assert response.status_code == 200, response.content
    return [i["provider_id"] for i in response.json()["results"]]


def test_it_lists_provider_incidents_newest_first_with_their_matched_spikes(api, provider):
    first = api.get("/api/v1/provider-incidents/").json()["results"][0]

    assert ids(api) == ["m1", "p1", "p0"]
    assert first["kind"] == "maintenance"
    listed = api.get("/api/v1/provider-incidents/?service=whatsapp").json()["results"][0]
    assert (listed["title"], listed["source"], listed["spikes"]) == (
        "Media messages fail to send",
        "WhatsApp's status page",
        [provider["spike"].pk],
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("service=instagram", ["m1"]),
        ("group=meta", ["m1", "p1", "p0"]),
        ("kind=incident", ["p1", "p0"]),
        ("kind=maintenance", ["m1"]),
        ("going_on=true", ["p1"]),
        ("going_on=false", ["m1", "p0"]),
        ("since=2026-03-05T00:00:00Z", ["m1", "p1"]),
        ("until=2026-03-05T00:00:00Z", ["p0"]),
    ],
)
def test_provider_incidents_are_filtered(api, provider, query, expected):
    assert ids(api, query) == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("service=nope", "service"),
        ("kind=outage", "kind"),
        ("going_on=perhaps", "going_on"),
        ("since=yesterday", "since"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(api, provider, query, field):
    response = api.get(f"/api/v1/provider-incidents/?{query}")

    assert response.status_code == 400 and field in response.json()["errors"]


def test_one_provider_incident_comes_with_every_update(api, provider):
    body = api.get(f"/api/v1/provider-incidents/{provider['going_on'].pk}/").json()

    assert body["updates"] == [{"at": "2026-03-05T17:50:00Z", "status": "investigating", "body": "Looking."}]
    assert api.get("/api/v1/provider-incidents/999999/").status_code == 404


def test_a_spike_confirmed_by_the_provider_says_so_with_the_link(api, provider):
    body = api.get(f"/api/v1/spikes/{provider['spike'].pk}/").json()

    assert (body["verdict"], body["confirmed_by"], body["verdict_url"]) == (
        "confirmed",
        "provider",
        provider["going_on"].url,
    )
    assert body["history"][-1]["actor"] == "provider"
    assert [s["id"] for s in api.get("/api/v1/spikes/?verdict=confirmed").json()["results"]] == [
        provider["spike"].pk
    ]


def test_the_provider_status_says_what_each_page_says_and_its_record(api, provider, whatsapp):
    later = NOW + timedelta(hours=3)
    spike = provider["spike"]
    spike.ended_at = NOW - timedelta(minutes=10)
    spike.save()
    provider["going_on"].source.__class__.objects.update(last_success_at=later)

    with time_machine.travel(later, tick=False):
        acknowledgements.decide(later)
        listed = {row["service"]: row for row in api.get("/api/v1/provider-status/").json()}
        one = api.get("/api/v1/provider-status/whatsapp/").json()

    assert set(listed) == {"whatsapp", "instagram"}
    assert one == listed["whatsapp"]
    assert (one["state"], one["says"], one["incidents"]) == (
        "problems",
        "Degraded performance",
        [provider["going_on"].pk],
    )
    assert (one["record"]["outages"], one["record"]["acknowledged"]) == (1, 1)
    assert listed["instagram"]["record"] == {
        "days": 90,
        "outages": 0,
        "acknowledged": 0,
        "median_lag_minutes": None,
        "sentence": "No outage reported by users in the last 90 days to compare Instagram's status page with.",
    }
    assert api.get("/api/v1/provider-status/comcast/").status_code == 404
