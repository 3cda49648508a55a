"""The beat tasks end to end, and the admin where operators edit status sources."""

from datetime import timedelta

import time_machine

from spikes.models import Spike
from spikes.tests.factories import SpikeFactory
from statuspages import tasks
from statuspages.models import ProviderIncident, SourceKind, StatusSource
from statuspages.tests import documents as doc
from statuspages.tests.factories import NOW

SUMMARY = "/api/v2/summary.json"


def test_a_poll_round_stores_the_incident_and_confirms_the_spike_it_matches(
    status_server, make_source, whatsapp, eager_celery
):
    spike = SpikeFactory(service=whatsapp, started_at=NOW - timedelta(minutes=30))
    status_server.serve(
        SUMMARY, doc.summary("minor", incidents=[doc.incident("p1", "Media", NOW - timedelta(minutes=10))])
    )
    make_source(status_server.url(SUMMARY))

    with time_machine.travel(NOW, tick=False):
        result = tasks.poll_due_sources.delay().get()

    assert result == {"polled": 1, "changed": 1, "unchanged": 0, "failed": 0, "incidents": 1, "matched": 1}
    assert Spike.objects.get(pk=spike.pk).confirmed_by == "provider"
    with time_machine.travel(NOW + timedelta(seconds=30), tick=False):
        assert tasks.poll_due_sources.delay().get()["polled"] == 0  # not due again yet


def test_poll_now_polls_a_source_whatever_its_schedule(status_server, make_source, eager_celery):
    status_server.serve(SUMMARY, doc.summary("major"))
    source = make_source(status_server.url(SUMMARY))
    StatusSource.objects.filter(pk=source.pk).update(next_poll_at=NOW + timedelta(hours=1))

    assert tasks.poll_source.delay(source.pk).get()["polled"] == 1
    assert StatusSource.objects.get(pk=source.pk).indicator == "major"


def test_the_minute_task_matches_and_decides(whatsapp, make_source, eager_celery):
    source = make_source("https://status.example.com/api/v2/summary.json")
    StatusSource.objects.filter(pk=source.pk).update(last_success_at=NOW)
    spike = SpikeFactory(service=whatsapp, started_at=NOW - timedelta(minutes=20))
    ProviderIncident.objects.create(
        source=source,
        service=whatsapp,
        provider_id="x",
        title="Down",
        status="investigating",
        started_at=NOW - timedelta(minutes=10),
        acknowledged_at=NOW - timedelta(minutes=10),
    )

    with time_machine.travel(NOW, tick=False):
        assert tasks.match_spikes.delay().get() == {"matched": 1, "decided": 0}
    assert Spike.objects.get(pk=spike.pk).is_confirmed


def test_operators_open_every_status_page_of_the_admin(admin_client, make_source):
    source = make_source("https://status.example.com/api/v2/summary.json")
    for url in [
        "/admin/statuspages/statussource/",
        f"/admin/statuspages/statussource/{source.pk}/change/",
        "/admin/statuspages/statussource/add/",
        "/admin/statuspages/providerincident/",
        "/admin/statuspages/acknowledgement/",
    ]:
        assert admin_client.get(url).status_code == 200, url


def _form(service, **fields) -> dict:
    return {
        "service": service.pk,
        "name": "WhatsApp's status page",
        "kind": SourceKind.STATUSPAGE,
        "url": "https://status.example.com/api/v2/summary.json",
        "page_url": "",
        "region": "",
        "components": "[]",
        "component_regions": "{}",
        "options": "{}",
        "interval_seconds": 120,
        "is_active": "on",
        "problems-TOTAL_FORMS": 0,
        "problems-INITIAL_FORMS": 0,
    } | fields


def test_an_operator_adds_a_source_in_the_admin(admin_client, whatsapp):
    response = admin_client.post(
        "/admin/statuspages/statussource/add/", _form(whatsapp, components='["Media"]')
    )

    assert response.status_code == 302
    assert StatusSource.objects.get().components == ["Media"]


def test_the_admin_says_what_is_wrong_with_a_source(admin_client, whatsapp):
    cases = [
        ({"components": '"Media"'}, "A list of component names"),
        ({"component_regions": '{"Europe": "EU"}'}, "Not ISO 3166-1 codes: Europe: &#x27;EU&#x27;."),
        ({"region": "zz"}, "&#x27;ZZ&#x27; is not an ISO 3166-1 code"),
        ({"options": '{"title": "name"}'}, "Options are only read for the &#x27;other JSON&#x27; kind"),
        ({"kind": "json", "options": '{"colour": "x"}'}, "Unknown option &#x27;colour&#x27;"),
        ({"interval_seconds": 5}, "greater than or equal to 30"),
        ({"url": "ftp://status.example.com/"}, "Enter a web address starting with https://."),
    ]
    for fields, message in cases:
        response = admin_client.post("/admin/statuspages/statussource/add/", _form(whatsapp, **fields))
        assert response.status_code == 200 and message in response.content.decode(), fields
    assert not StatusSource.objects.exists()
