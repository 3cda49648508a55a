"""Polling status pages against a status server of our own on 127.0.0.1: every
case gives a clear stored state, never a crash and never a stuck poller."""

import time
from datetime import timedelta

import pytest

from statuspages import polling
from statuspages.models import ProviderIncident, ProviderIncidentChange, SourceKind, StatusSource
from statuspages.tests import documents as doc
from statuspages.tests.factories import NOW

SUMMARY = "/api/v2/summary.json"
INCIDENTS = "/api/v2/incidents.json"


def poll(source: StatusSource, at=NOW) -> StatusSource:
    StatusSource.objects.filter(pk=source.pk).update(next_poll_at=at)
    polling.poll_round(now=at)
    source.refresh_from_db()
    return source


def problems(source: StatusSource) -> list[str]:
    return [p.reason for p in source.problems.order_by("at", "id")]


def test_it_reads_the_indicator_the_components_and_an_incident(status_server, make_source):
    started = NOW - timedelta(minutes=10)
    status_server.serve(
        SUMMARY,
        doc.summary(
            "minor",
            "Partially Degraded Service",
            components=[doc.component("Messaging"), doc.component("Media", "partial_outage")],
            incidents=[
                doc.incident(
                    "p1", "Media messages fail to send", started, components=[doc.component("Media")]
                )
            ],
        ),
    )
    source = poll(make_source(status_server.url(SUMMARY)))

    assert (source.indicator, source.description) == ("minor", "Partially Degraded Service")
    assert source.affected_components == [
        {"name": "Media", "status": "partial_outage", "label": "Partial outage"}
    ]
    assert (source.failures, source.last_success_at, source.claimed_until) == (0, NOW, None)
    assert source.next_poll_at == NOW + timedelta(seconds=120)
    incident = ProviderIncident.objects.get()
    assert (incident.title, incident.status, incident.impact, incident.components) == (
        "Media messages fail to send",
        "investigating",
        "minor",
        ["Media"],
    )
    assert (incident.started_at, incident.acknowledged_at, incident.url) == (
        started,
        started,
        "https://stspg.io/p1",
    )
    assert [u.body for u in incident.updates.all()] == ["We are investigating."]
    assert [c.kind for c in incident.changes.all()] == ["opened"]


def test_a_component_only_degradation_has_no_incident(status_server, make_source):
    status_server.serve(
        SUMMARY,
        doc.summary(
            "minor",
            "Minor Service Outage",
            components=[doc.component("Messaging"), doc.component("Voice calls", "degraded_performance")],
        ),
    )
    source = poll(make_source(status_server.url(SUMMARY)))

    assert source.indicator == "minor"
    assert [c["label"] for c in source.affected_components] == ["Degraded performance"]
    assert not ProviderIncident.objects.exists()


def test_scheduled_maintenance_is_stored_as_such_and_is_not_under_way_until_it_starts(
    status_server, make_source
):
    start, end = NOW + timedelta(hours=2), NOW + timedelta(hours=4)
    planned = doc.maintenance("m1", "Media servers upgrade", NOW - timedelta(days=1), start, end)
    status_server.serve(SUMMARY, doc.summary(maintenances=[planned]))
    source = poll(make_source(status_server.url(SUMMARY)))

    maintenance = ProviderIncident.objects.get()
    assert maintenance.is_maintenance and maintenance.status == "scheduled"
    assert (maintenance.started_at, maintenance.scheduled_for, maintenance.scheduled_until) == (
        start,
        start,
        end,
    )
    assert not ProviderIncident.objects.going_on().exists()

    status_server.serve(
        SUMMARY,
        doc.summary(
            "maintenance",
            "Service Under Maintenance",
            maintenances=[
                doc.maintenance(
                    "m1", "Media servers upgrade", NOW - timedelta(days=1), start, end, "in_progress"
                )
            ],
        ),
    )
    source = poll(source, at=start + timedelta(minutes=5))

    assert source.indicator == "maintenance"
    assert list(ProviderIncident.objects.going_on()) == [maintenance]


def test_an_incident_updated_then_resolved_keeps_every_update(status_server, make_source):
    opened = NOW - timedelta(minutes=30)
    first = doc.update("u1", "investigating", "We are investigating reports of failed media.", opened)
    second = doc.update(
        "u2", "identified", "The cause is found: a bad deploy.", opened + timedelta(minutes=12)
    )
    third = doc.update("u3", "resolved", "This incident has been resolved.", opened + timedelta(minutes=40))
    status_server.serve(
        SUMMARY, doc.summary("minor", incidents=[doc.incident("p1", "Media", opened, updates=[first])])
    )
    source = poll(make_source(status_server.url(SUMMARY)), at=opened + timedelta(minutes=1))

    status_server.serve(
        SUMMARY,
        doc.summary(
            "minor", incidents=[doc.incident("p1", "Media", opened, "identified", updates=[second, first])]
        ),
    )
    poll(source, at=opened + timedelta(minutes=13))
    # Resolved: gone from the summary, listed with its resolution in incidents.json.
    status_server.serve(SUMMARY, doc.summary())
    status_server.serve(
        INCIDENTS,
        doc.incidents_list(
            doc.incident(
                "p1",
                "Media",
                opened,
                "resolved",
                updates=[third, second, first],
                resolved_at=opened + timedelta(minutes=40),
            )
        ),
    )
    poll(source, at=opened + timedelta(minutes=45))

    incident = ProviderIncident.objects.get()
    assert (incident.status, incident.resolved_at) == ("resolved", opened + timedelta(minutes=40))
    assert [(u.status, u.body) for u in incident.updates.all()] == [
        ("investigating", "We are investigating reports of failed media."),
        ("identified", "The cause is found: a bad deploy."),
        ("resolved", "This incident has been resolved."),
    ]
    assert [c.kind for c in incident.changes.all()] == ["opened", "updated", "resolved"]
    assert incident.acknowledged_at == opened


def test_an_incident_that_vanishes_without_incidents_json_is_resolved_when_we_saw_it_go(
    status_server, make_source
):
    opened = NOW - timedelta(minutes=30)
    status_server.serve(SUMMARY, doc.summary("minor", incidents=[doc.incident("p1", "Media", opened)]))
    source = poll(make_source(status_server.url(SUMMARY)), at=opened + timedelta(minutes=1))
    status_server.serve(SUMMARY, doc.summary())  # and incidents.json answers 404

    poll(source)

    incident = ProviderIncident.objects.get()
    assert (incident.status, incident.resolved_at) == ("resolved", NOW)
    assert incident.changes.last().kind == ProviderIncidentChange.Kind.RESOLVED


def test_a_304_keeps_what_the_page_said_and_sends_the_validators(status_server, make_source):
    status_server.serve(
        SUMMARY,
        doc.summary("major", "Major Outage"),
        etag='"v1"',
        headers={"Last-Modified": "Thu, 05 Mar 2026 18:00:00 GMT"},
    )
    source = poll(make_source(status_server.url(SUMMARY)))
    assert (source.etag, source.last_modified) == ('"v1"', "Thu, 05 Mar 2026 18:00:00 GMT")

    later = NOW + timedelta(minutes=2)
    source = poll(source, at=later)

    sent = status_server.requests_to(SUMMARY)[-1].headers
    assert (sent["If-None-Match"], sent["If-Modified-Since"]) == ('"v1"', "Thu, 05 Mar 2026 18:00:00 GMT")
    assert (source.indicator, source.description, source.last_success_at, source.etag) == (
        "major",
        "Major Outage",
        later,
        '"v1"',
    )


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (
            {"body": '{"status": {"indicator": "none"', "content_type": "application/json"},
            "is not valid JSON",
        ),
        ({"body": "oops", "status": 500, "content_type": "text/plain"}, "HTTP 500"),
        (
            {"body": "<!DOCTYPE html><html><body>Sign in</body></html>", "content_type": "text/html"},
            "HTML where JSON was expected",
        ),
        ({"body": '{"status": {"indicator": 42}}'}, "status.indicator is '42', not one of none, minor"),
        ({"body": '{"components": []}'}, "status is missing: not a Statuspage summary.json"),
        ({"body": '{"status": {"indicator": "none"}, "incidents": "none"}'}, "incidents is str, not a list"),
        ({"body": "[1, 2]"}, "expected a JSON object, got list"),
        ({"body": b"\xff\xfe\x00garbage"}, "not UTF-8"),
        ({"body": b"x" * 10_000_001}, "larger than 2000000 bytes"),
    ],
)
def test_a_bad_answer_is_recorded_against_the_source_with_its_reason(
    status_server, make_source, answer, reason
):
    status_server.serve(SUMMARY, **answer)
    source = poll(make_source(status_server.url(SUMMARY)))

    assert reason in source.last_error
    assert reason in problems(source)[-1]
    assert (source.failures, source.failing_since, source.claimed_until) == (1, NOW, None)
    assert source.next_poll_at >= NOW + timedelta(seconds=120)
    assert source.indicator == "" and not source.is_fresh(NOW)


def test_a_slow_answer_past_the_timeout_fails_in_time_and_frees_the_source(status_server, make_source):
    status_server.serve(SUMMARY, doc.summary(), delay=5)
    source = make_source(status_server.url(SUMMARY))

    began = time.monotonic()
    source = poll(source)

    assert time.monotonic() - began < 4.5  # the total limit is 3 s in these tests
    assert source.last_error == "No complete answer in time (2 s a read, 3 s in all)."
    assert (source.failures, source.claimed_until) == (1, None)


def test_a_redirect_to_a_private_address_is_refused_before_anything_is_sent_there(status_server, make_source):
    status_server.serve(
        SUMMARY, "", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
    )
    source = poll(make_source(status_server.url(SUMMARY)))

    assert "169.254.169.254, a link-local address; only public addresses can be reached" in source.last_error
    assert source.failures == 1


def test_a_redirect_to_a_public_place_on_the_same_server_is_followed(status_server, make_source):
    status_server.serve("/old", "", status=301, headers={"Location": SUMMARY})
    status_server.serve(SUMMARY, doc.summary("none"))
    source = poll(make_source(status_server.url("/old")))

    assert (source.failures, source.indicator) == (0, "none")


def test_an_entry_that_makes_no_sense_is_left_out_with_its_reason_and_the_rest_is_kept(
    status_server, make_source
):
    good = doc.incident("ok1", "Login fails <script>alert(1)</script> &amp; more", NOW - timedelta(minutes=5))
    ancient = doc.incident("old", "Ancient", NOW) | {"created_at": "1970-01-01T00:00:00Z"}
    no_name = doc.incident("noname", "", NOW)
    wrong_type = doc.incident("typed", "Typed", NOW) | {"incident_updates": "many"}
    status_server.serve(SUMMARY, doc.summary("minor", incidents=[good, ancient, no_name, wrong_type, "junk"]))
    source = poll(make_source(status_server.url(SUMMARY)))

    assert [i.title for i in ProviderIncident.objects.all()] == ["Login fails alert(1) & more"]
    assert problems(source) == [
        "incidents[1] left out: incident old's created_at is an absurd date: 1970-01-01",
        "incidents[2] left out: incident noname has no name",
        "incidents[3] left out: incident_updates is str, not a list",
        "incidents[4] left out: not an object",
    ]
    assert source.failures == 0


def test_a_source_that_keeps_failing_is_unreachable_since_its_first_failure(status_server, make_source):
    status_server.serve(SUMMARY, doc.summary("none"))
    source = poll(make_source(status_server.url(SUMMARY)))
    assert source.is_fresh(NOW) and not source.is_unreachable
    status_server.serve(SUMMARY, "down", status=503, content_type="text/plain")

    at = NOW
    for _ in range(3):
        at = StatusSource.objects.get(pk=source.pk).next_poll_at
        source = poll(source, at=at)

    assert source.is_unreachable and not source.is_fresh(at)
    assert source.failing_since == StatusSource.objects.get(pk=source.pk).failing_since
    assert source.failing_since < at and source.failures == 3
    assert source.indicator == "none"  # kept for the record, never shown as its word now


def test_the_backoff_doubles_with_jitter_and_is_capped():
    for failures, low, high in [(0, 120, 120), (1, 120, 240), (2, 240, 480), (3, 480, 960), (20, 1800, 3600)]:
        waits = [polling.backoff_seconds(120, failures) for _ in range(50)]
        assert low <= min(waits) and max(waits) <= high
    assert len({polling.backoff_seconds(120, 3) for _ in range(20)}) > 1


def test_a_source_is_polled_once_however_many_rounds_claim_at_once(status_server, make_source):
    status_server.serve(SUMMARY, doc.summary())
    source = make_source(status_server.url(SUMMARY))

    first, second = polling.claim_due(NOW, 10), polling.claim_due(NOW, 10)

    assert (first, second) == ([source.pk], [])
    assert not polling.claim(source.pk, NOW)
    polling.poll_claimed(first, NOW)
    assert len(status_server.requests_to(SUMMARY)) == 1
    assert polling.claim(source.pk, NOW)  # released once stored


def test_a_claim_left_by_a_killed_worker_lapses(status_server, make_source):
    source = make_source(status_server.url(SUMMARY))
    polling.claim_due(NOW, 10)

    assert polling.claim_due(NOW + timedelta(seconds=polling.CLAIM_SECONDS - 1), 10) == []
    assert polling.claim_due(NOW + timedelta(seconds=polling.CLAIM_SECONDS + 1), 10) == [source.pk]


def test_inactive_and_not_yet_due_sources_are_left_alone(status_server, make_source, instagram):
    make_source(status_server.url("/a"), is_active=False)
    make_source(status_server.url("/b"), service=instagram).__class__.objects.filter(
        url__endswith="/b"
    ).update(next_poll_at=NOW + timedelta(minutes=1))

    assert polling.poll_round(now=NOW).polled == 0
    assert status_server.seen == []


def test_a_page_shared_by_several_services_is_read_per_service(status_server, make_source, instagram):
    fortnite_down = doc.incident("f1", "Fortnite login", NOW, components=[doc.component("Fortnite")])
    status_server.serve(
        SUMMARY,
        doc.summary(
            "major",
            components=[
                doc.group("Fortnite", "g1", ["fn-login"]),
                doc.component("Login", "major_outage", id="fn-login", group_id="g1"),
                doc.component("Rocket League", "operational"),
            ],
            incidents=[fortnite_down],
        ),
    )
    url = status_server.url(SUMMARY)
    fortnite = poll(make_source(url, components=["Fortnite"]))
    rocket = poll(make_source(url, service=instagram, components=["Rocket League"]))

    assert (fortnite.indicator, [c["name"] for c in fortnite.affected_components]) == ("critical", ["Login"])
    assert (rocket.indicator, rocket.affected_components) == ("none", [])
    assert list(ProviderIncident.objects.values_list("service__slug", flat=True)) == ["whatsapp"]


def test_a_region_named_by_a_component_is_the_incidents_region(status_server, make_source):
    status_server.serve(
        SUMMARY,
        doc.summary(
            "minor",
            incidents=[
                doc.incident("in", "India", NOW, components=[doc.component("India")]),
                doc.incident(
                    "both", "Both", NOW, components=[doc.component("India"), doc.component("Media")]
                ),
            ],
        ),
    )
    poll(make_source(status_server.url(SUMMARY), component_regions={"India": "IN"}))

    assert dict(ProviderIncident.objects.values_list("provider_id", "regions")) == {"in": ["IN"], "both": []}


def test_a_feed_reads_entries_as_incidents(status_server, make_source):
    status_server.serve(
        "/history.rss",
        doc.rss(
            {
                "guid": "tag:status,2005:Incident/1",
                "title": "Delayed media messages",
                "published": NOW - timedelta(minutes=40),
                "description": doc.statuspage_updates_html(
                    ("Mar 5, 18:15 UTC", "Monitoring", "A fix is in place."),
                    ("Mar 5, 17:40 UTC", "Investigating", "We are looking into <b>delays</b>."),
                ),
            },
            {
                "guid": "tag:status,2005:Incident/0",
                "title": "Login problems",
                "published": NOW - timedelta(days=2),
                "description": doc.statuspage_updates_html(("Mar 3, 10:00 UTC", "Resolved", "All good.")),
            },
        ),
        content_type="application/rss+xml",
    )
    source = poll(make_source(status_server.url("/history.rss"), kind=SourceKind.FEED))

    assert source.indicator == "minor"
    going_on = ProviderIncident.objects.get(title="Delayed media messages")
    assert (going_on.status, going_on.resolved_at) == ("monitoring", None)
    assert [(u.status, u.body) for u in going_on.updates.all()] == [
        ("investigating", "We are looking into delays."),
        ("monitoring", "A fix is in place."),
    ]
    assert ProviderIncident.objects.get(title="Login problems").status == "resolved"


def test_an_atom_feed_without_update_markup_reads_its_words(status_server, make_source):
    status_server.serve(
        "/feed.atom",
        doc.atom(
            {
                "id": "gc-1",
                "title": "Multiple services: increased error rates",
                "content": "<p>We are investigating elevated errors.</p>",
                "published": NOW - timedelta(minutes=20),
                "updated": NOW - timedelta(minutes=5),
            },
            {
                "id": "gc-0",
                "title": "Cloud Storage latency",
                "content": "<p>The issue has been resolved for all affected users.</p>",
                "published": NOW - timedelta(hours=5),
                "updated": NOW - timedelta(hours=4),
            },
            {
                "id": "gc-old",
                "title": "Forgotten",
                "content": "<p>Investigating.</p>",
                "published": NOW - timedelta(days=3),
                "updated": NOW - timedelta(days=3),
            },
        ),
        content_type="application/atom+xml",
    )
    source = poll(make_source(status_server.url("/feed.atom"), kind=SourceKind.FEED))

    states = dict(ProviderIncident.objects.values_list("provider_id", "status"))
    assert states == {"gc-1": "investigating", "gc-0": "resolved", "gc-old": "stale"}
    assert source.indicator == "minor"
    assert list(ProviderIncident.objects.going_on().values_list("provider_id", flat=True)) == ["gc-1"]


def test_a_body_that_is_no_feed_is_refused(status_server, make_source):
    status_server.serve("/feed", '{"not": "a feed"}', content_type="application/json")
    source = poll(make_source(status_server.url("/feed"), kind=SourceKind.FEED))

    assert "not an RSS or Atom feed" in source.last_error


def test_other_json_is_read_through_the_sources_paths(status_server, make_source):
    status_server.serve(
        "/incidents.json",
        '[{"id": "g1", "external_desc": "Compute errors", "begin": "2026-03-05T18:00:00+00:00", "end": null,'
        ' "most_recent_update": {"text": "Mitigation in progress", "status": "SERVICE_DISRUPTION"}, "uri": "https://status.example.com/g1"},'
        ' {"id": "g0", "external_desc": "Old", "begin": "2026-03-01T10:00:00+00:00", "end": "2026-03-01T11:00:00+00:00"}]',
    )
    options = {
        "incidents": "",
        "title": "external_desc",
        "started_at": "begin",
        "resolved_at": "end",
        "status": "most_recent_update.status",
        "body": "most_recent_update.text",
        "url": "uri",
    }
    source = poll(make_source(status_server.url("/incidents.json"), kind=SourceKind.JSON, options=options))

    assert source.indicator == "minor"
    current = ProviderIncident.objects.get(provider_id="g1")
    assert (current.title, current.status, current.url) == (
        "Compute errors",
        "service_disruption",
        "https://status.example.com/g1",
    )
    assert [u.body for u in current.updates.all()] == ["Mitigation in progress"]
    assert ProviderIncident.objects.get(provider_id="g0").resolved_at is not None


def test_a_shared_feed_is_read_per_service_by_its_categories_or_titles(status_server, make_source, instagram):
    status_server.serve(
        "/feed.atom",
        doc.atom(
            {
                "id": "w1",
                "title": "Gmail: some users cannot send mail",
                "content": "<p>We are investigating.</p>",
                "published": NOW - timedelta(minutes=20),
                "updated": NOW - timedelta(minutes=5),
            },
            {
                "id": "w2",
                "title": "Delays for some users",
                "content": "<p>We are investigating.</p>",
                "category": "Google Drive",
                "published": NOW - timedelta(minutes=20),
                "updated": NOW - timedelta(minutes=5),
            },
        ),
        content_type="application/atom+xml",
    )
    url = status_server.url("/feed.atom")
    poll(make_source(url, kind=SourceKind.FEED, components=["Gmail"]))
    poll(make_source(url, kind=SourceKind.FEED, service=instagram, components=["Google Drive"]))

    assert sorted(ProviderIncident.objects.values_list("provider_id", "service__slug")) == [
        ("w1", "whatsapp"),
        ("w2", "instagram"),
    ]
