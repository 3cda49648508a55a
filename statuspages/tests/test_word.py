"""The provider's word on a service: only ever what a recent poll read."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from statuspages.tests.factories import NOW, ProviderIncidentFactory, StatusSourceFactory
from statuspages.word import State, provider_word, words_for


def test_a_page_that_keeps_failing_is_unreachable_never_operational(whatsapp):
    StatusSourceFactory(
        service=whatsapp, indicator="none", failures=3, failing_since=NOW - timedelta(minutes=14)
    )

    word = provider_word(whatsapp, NOW)

    assert (word.state, word.says, word.since) == (
        "unreachable",
        "Status page unreachable",
        NOW - timedelta(minutes=14),
    )
    assert not word.says_operational and not word.is_readable


def test_a_page_not_read_lately_is_not_taken_at_its_old_word(whatsapp):
    StatusSourceFactory(service=whatsapp, indicator="none", last_success_at=NOW - timedelta(hours=1))

    assert provider_word(whatsapp, NOW).state == State.STALE


def test_a_page_read_lately_says_what_it_said(whatsapp):
    StatusSourceFactory(service=whatsapp)

    word = provider_word(whatsapp, NOW)

    assert (word.state, word.says, word.components) == ("operational", "All systems operational", [])


def test_a_degraded_component_and_an_incident_are_problems_since_the_incident(whatsapp):
    source = StatusSourceFactory(
        service=whatsapp,
        indicator="minor",
        affected_components=[
            {"name": "Media", "status": "degraded_performance", "label": "Degraded performance"}
        ],
    )
    incident = ProviderIncidentFactory(source=source, started_at=NOW - timedelta(minutes=10))
    ProviderIncidentFactory(source=source, resolved_at=NOW - timedelta(days=1))

    word = provider_word(whatsapp, NOW)

    assert (word.state, word.says, word.components) == ("problems", "Degraded performance", ["Media"])
    assert (word.since, word.incidents) == (NOW - timedelta(minutes=10), [incident])


def test_maintenance_under_way_and_maintenance_to_come(whatsapp, instagram):
    under_way = StatusSourceFactory(service=whatsapp, indicator="maintenance")
    ProviderIncidentFactory(source=under_way, is_maintenance=True, status="in_progress", impact="maintenance")
    later = StatusSourceFactory(service=instagram)
    planned = ProviderIncidentFactory(
        source=later, is_maintenance=True, status="scheduled", started_at=NOW + timedelta(hours=3)
    )

    words = words_for([whatsapp, instagram], NOW)

    assert (words[whatsapp.pk].state, words[whatsapp.pk].says) == ("maintenance", "Under maintenance")
    assert (words[instagram.pk].state, words[instagram.pk].upcoming) == ("operational", [planned])


def test_an_incident_on_an_operational_page_is_still_an_incident(whatsapp):
    source = StatusSourceFactory(service=whatsapp, indicator="none")
    ProviderIncidentFactory(source=source, impact="none")

    word = provider_word(whatsapp, NOW)

    assert (word.state, word.says) == ("problems", "Incident reported")


def test_a_service_without_a_source_has_no_word_and_many_cost_two_queries(whatsapp, instagram):
    assert provider_word(whatsapp, NOW) is None
    StatusSourceFactory(service=whatsapp)
    StatusSourceFactory(service=instagram)

    with CaptureQueriesContext(connection) as queries:
        words = words_for([whatsapp, instagram], NOW)

    assert len(words) == 2 and len(queries) == 2
