"""Grouping spikes into incidents, and "possibly related" sympathetic spikes."""

from datetime import timedelta

from reports.tests.factories import ServiceFactory, ServiceGroupFactory
from spikes import pipeline
from spikes.models import ALL_REGIONS, Incident, Spike
from spikes.tests.factories import ONSET, learn_history, outage


def all_regions_spike(service):
    return Spike.objects.get(service=service, region=ALL_REGIONS)


def test_spikes_of_one_owner_starting_together_are_one_incident(whatsapp, instagram):
    learn_history(whatsapp, instagram)
    outage(whatsapp)
    outage(instagram, start=ONSET + timedelta(minutes=3))

    pipeline.run_pass(ONSET + timedelta(minutes=20))

    first, second = all_regions_spike(whatsapp), all_regions_spike(instagram)
    assert first.incident_id is not None
    assert first.incident_id == second.incident_id
    incident = Incident.objects.get()
    assert incident.kind == "group" and incident.group.slug == "meta"
    assert "grouped" in [c.kind for c in second.changes.all()]


def test_spikes_of_different_owners_are_not_grouped(whatsapp):
    gmail = ServiceFactory(slug="gmail", group=ServiceGroupFactory(slug="alphabet"), problems=["login"])
    learn_history(whatsapp, gmail)
    outage(whatsapp)
    outage(gmail, start=ONSET + timedelta(minutes=2))

    pipeline.run_pass(ONSET + timedelta(minutes=20))

    assert all_regions_spike(whatsapp).incident_id is None
    assert all_regions_spike(gmail).incident_id is None


def test_same_owner_spikes_hours_apart_are_separate(whatsapp, instagram):
    learn_history(whatsapp, instagram)
    outage(whatsapp)
    outage(instagram, start=ONSET + timedelta(hours=2))

    pipeline.run_pass(ONSET + timedelta(hours=3))

    assert Incident.objects.count() == 0


def test_five_apps_of_one_owner_failing_together_are_that_owners_incident(db):
    meta = ServiceGroupFactory(slug="meta-five")
    services = [ServiceFactory(slug=f"meta-app-{i}", group=meta, problems=["login"]) for i in range(5)]
    learn_history(*services)
    for i, service in enumerate(services):
        outage(service, start=ONSET + timedelta(minutes=i))

    pipeline.run_pass(ONSET + timedelta(minutes=25))

    incident = Incident.objects.get()
    assert incident.kind == "group" and incident.group == meta
    assert {s.service_id for s in incident.spikes.all()} == {s.pk for s in services}


def test_many_services_failing_at_once_are_one_widespread_incident(db):
    services = [
        ServiceFactory(slug=f"app-{i}", group=ServiceGroupFactory(slug=f"owner-{i}"), problems=["login"])
        for i in range(5)
    ]
    learn_history(*services)
    for i, service in enumerate(services):
        outage(service, start=ONSET + timedelta(minutes=i))

    pipeline.run_pass(ONSET + timedelta(minutes=25))

    incident = Incident.objects.get(kind="widespread")
    assert {s.service.slug for s in incident.spikes.filter(region=ALL_REGIONS)} == {s.slug for s in services}


def test_an_internet_provider_spiking_during_a_big_outage_is_possibly_related(whatsapp):
    isp = ServiceFactory(slug="comcast", category="isp", problems=["internet"])
    learn_history(whatsapp, isp)
    outage(whatsapp, per_minute=80)
    outage(isp, per_minute=20, start=ONSET + timedelta(minutes=4))

    pipeline.run_pass(ONSET + timedelta(minutes=25))

    sympathetic = all_regions_spike(isp)
    assert sympathetic.related_to == all_regions_spike(whatsapp)
    assert sympathetic.incident_id is None
    assert "Possibly related to the WhatsApp outage" in sympathetic.changes.get(kind="related").note


def test_an_internet_provider_failing_alone_is_an_outage_of_its_own(db):
    isp = ServiceFactory(slug="comcast", category="isp", problems=["internet"])
    learn_history(isp)
    outage(isp)

    pipeline.run_pass(ONSET + timedelta(minutes=20))

    assert all_regions_spike(isp).related_to is None
