"""The provider's word matched to the crowd's: same service, the provider's
region, overlapping time; and the provider's record of owning up."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from spikes import pipeline, verdicts
from spikes.incidents import join_outage
from spikes.models import Spike
from spikes.tests.factories import ONSET, SpikeFactory, learn_history, outage
from statuspages import acknowledgements, matching
from statuspages.models import Acknowledgement, IncidentMatch
from statuspages.tests.factories import NOW, ProviderIncidentFactory, StatusSourceFactory


@pytest.fixture
def source(whatsapp):
    return StatusSourceFactory(service=whatsapp, name="WhatsApp's status page")


def spike_at(service, minutes_ago: int, region: str = "", **fields) -> Spike:
    return SpikeFactory(
        service=service, region=region, started_at=NOW - timedelta(minutes=minutes_ago), **fields
    )


def test_an_overlapping_incident_confirms_the_spike_by_the_provider_with_its_link(source, whatsapp):
    spike = spike_at(whatsapp, 40)
    incident = ProviderIncidentFactory(source=source, started_at=NOW - timedelta(minutes=25))

    assert matching.match_incident(incident.pk, NOW) == 1

    spike.refresh_from_db()
    assert (spike.verdict, spike.confirmed_by, spike.verdict_url, spike.verdict_note) == (
        "confirmed",
        "provider",
        incident.url,
        "Media messages fail to send",
    )
    change = spike.changes.get(kind="confirmed")
    assert (change.actor, change.actor_name, change.at) == ("provider", "WhatsApp's status page", NOW)
    assert matching.match_incident(incident.pk, NOW) == 0  # once


@pytest.mark.parametrize(
    ("spike_start", "spike_end", "incident_start", "incident_end", "matches"),
    [
        (60, 10, 30, None, True),  # the incident opened during the spike
        (20, None, 90, 30, True),  # resolved 10 minutes before the spike began: within the slack
        (20, None, 120, 60, False),  # over long before
        (300, 200, 30, None, False),  # the spike was over long before
        (10, None, -5, None, True),  # the provider spoke first, just before
    ],
)
def test_only_overlapping_times_match(
    source, whatsapp, spike_start, spike_end, incident_start, incident_end, matches
):
    spike = spike_at(
        whatsapp, spike_start, ended_at=NOW - timedelta(minutes=spike_end) if spike_end is not None else None
    )
    incident = ProviderIncidentFactory(
        source=source,
        started_at=NOW - timedelta(minutes=incident_start),
        resolved_at=NOW - timedelta(minutes=incident_end) if incident_end is not None else None,
    )

    matching.match_incident(incident.pk, NOW)

    assert IncidentMatch.objects.filter(spike=spike).exists() is matches


def test_a_region_the_provider_names_matches_only_that_region_and_the_whole(source, whatsapp):
    everywhere, india, brazil = (
        spike_at(whatsapp, 20),
        spike_at(whatsapp, 20, "IN"),
        spike_at(whatsapp, 20, "BR"),
    )
    incident = ProviderIncidentFactory(source=source, regions=["IN"])

    matching.match_incident(incident.pk, NOW)

    assert set(IncidentMatch.objects.values_list("spike_id", flat=True)) == {everywhere.pk, india.pk}
    assert Spike.objects.get(pk=brazil.pk).verdict == "suspected"


def test_another_services_incident_and_a_maintenance_confirm_nothing(source, whatsapp, instagram):
    spike = spike_at(whatsapp, 20)
    other = ProviderIncidentFactory(source=StatusSourceFactory(service=instagram))
    planned = ProviderIncidentFactory(
        source=source, is_maintenance=True, status="in_progress", impact="maintenance"
    )

    matching.match_incident(other.pk, NOW)
    matching.match_incident(planned.pk, NOW)
    matching.match_spike(spike, NOW)

    assert Spike.objects.get(pk=spike.pk).verdict == "suspected"


def test_a_spike_that_opens_after_the_provider_spoke_is_matched_by_the_minute_task(source, whatsapp):
    incident = ProviderIncidentFactory(source=source, started_at=NOW - timedelta(minutes=30))
    matching.match_incident(incident.pk, NOW - timedelta(minutes=29))
    spike = spike_at(whatsapp, 10)

    assert matching.match_recent(NOW) == 1
    assert Spike.objects.get(pk=spike.pk).confirmed_by == "provider"


def test_a_staff_dismissal_stands_against_a_provider_match(source, whatsapp):
    spike = spike_at(whatsapp, 20)
    staff = User.objects.create_superuser("alice", password="x")
    verdicts.dismiss(spike.pk, verdicts.By.staff(staff), "report_bombing")

    matching.match_incident(ProviderIncidentFactory(source=source).pk, NOW)

    spike.refresh_from_db()
    assert (spike.verdict, IncidentMatch.objects.filter(spike=spike).count()) == ("dismissed", 1)


def over(service, hours_ago: float, region: str = "", level: str = "danger", minutes: int = 60) -> Spike:
    start = NOW - timedelta(hours=hours_ago)
    return SpikeFactory(
        service=service,
        region=region,
        level=level,
        started_at=start,
        ended_at=start + timedelta(minutes=minutes),
    )


def test_the_provider_record_counts_acknowledged_outages_and_the_median_lag(source, whatsapp):
    late, early, silent = over(whatsapp, 10), over(whatsapp, 30), over(whatsapp, 50)
    for spike, lag in [(late, 23), (early, -4)]:
        incident = ProviderIncidentFactory(
            source=source,
            started_at=spike.started_at,
            acknowledged_at=spike.detected_at + timedelta(minutes=lag),
            resolved_at=spike.ended_at,
        )
        matching.match_incident(incident.pk, spike.started_at + timedelta(minutes=30))

    assert acknowledgements.decide(NOW) == 3

    assert dict(Acknowledgement.objects.values_list("spike_id", "lag_seconds")) == {
        late.pk: 23 * 60,
        early.pk: -4 * 60,
        silent.pk: None,
    }
    record = acknowledgements.record_for(whatsapp, NOW)
    assert (record.outages, record.acknowledged, record.median_lag_minutes) == (3, 2, 9.5)
    assert record.sentence == (
        "WhatsApp's status page acknowledged 2 of 3 outages, a median 10 minutes after users reported them "
        "(last 90 days)."
    )
    assert acknowledgements.decide(NOW) == 0  # decided once


def test_what_is_not_an_outage_or_not_over_long_enough_is_not_counted(source, whatsapp, instagram):
    over(whatsapp, 10, level="warning")  # never reached problems detected
    over(whatsapp, 1)  # over for less than the grace period
    over(whatsapp, 20)  # counted once: the whole...
    join_outage(over(whatsapp, 20, region="IN", minutes=30))  # ...not again for one of its regions
    over(instagram, 10)  # no status source
    dismissed = over(whatsapp, 30)
    verdicts.dismiss(
        dismissed.pk, verdicts.By.staff(User.objects.create_superuser("a", password="x")), "test"
    )

    assert acknowledgements.decide(NOW) == 1
    assert Acknowledgement.objects.get().spike.region == ""


def test_an_unreadable_status_page_never_counts_against_its_provider(source, whatsapp):
    spike = over(whatsapp, 10)
    source.last_success_at = spike.ended_at - timedelta(minutes=5)  # unread since before the end
    source.save()

    assert acknowledgements.decide(NOW) == 0


def test_a_service_without_a_status_source_has_no_record(whatsapp):
    assert acknowledgements.record_for(whatsapp, NOW) is None


def test_detection_reads_nothing_of_the_providers(whatsapp, source):
    """With a status source failing and an incident stored, the detection pass
    never touches a statuspages table: provider signals cannot change what it raises."""
    source.failures, source.last_error = 5, "HTTP 503"
    source.save()
    ProviderIncidentFactory(source=source)
    learn_history(whatsapp)
    outage(whatsapp)

    with CaptureQueriesContext(connection) as queries:
        pipeline.run_pass(ONSET + timedelta(minutes=15))

    assert Spike.objects.filter(started_at__gte=ONSET - timedelta(minutes=5)).exists()
    assert not [q["sql"] for q in queries.captured_queries if "statuspages_" in q["sql"]]
