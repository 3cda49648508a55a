"""Query-count guards: each endpoint costs a fixed number of queries, however many
rows it shows. A change that adds an N+1 fails here."""

from datetime import timedelta

import pytest
from django.utils import timezone

from partners.tests.conftest import T0, make_incident, make_spike
from reports import fingerprint
from reports.tests.factories import ServiceFactory
from spikes import pipeline
from spikes.tests.factories import add_reports


@pytest.fixture(autouse=True)
def _the_days_address_key_is_read(db):
    """Per-address counters key the address under the day's fingerprint key, which
    a process reads (or makes) once a day, not per request: not counted here."""
    fingerprint.address_key("198.51.100.1", timezone.now())


@pytest.fixture
def busy(whatsapp, instagram, comcast, meta):
    for n in range(5):
        ServiceFactory(slug=f"extra-{n}", problems=["login", "feed"])
    spikes = [make_spike(whatsapp, T0), make_spike(instagram, T0), make_spike(comcast, T0, region="US")]
    for spike in spikes:
        spike.changes.create(at=T0 + timedelta(minutes=8), kind="level_changed", level="danger")
    make_incident(meta, spikes[:2])
    add_reports(whatsapp, T0, minutes=60, per_minute=3)
    pipeline.run_pass(T0 + timedelta(hours=1))
    return spikes


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        ("/api/v1/services/", 3),  # services; their problem types; open spikes
        ("/api/v1/services/whatsapp/", 3),
        ("/api/v1/problem-types/", 1),
        ("/api/v1/regions/", 1),
        ("/api/v1/live-status/", 2),  # services with problems; their open spikes
        ("/api/v1/spikes/", 1),
        ("/api/v1/spikes/?service=whatsapp&group=meta&region=all", 3),  # + the two slugs checked
        ("/api/v1/incidents/", 2),  # incidents; their spikes with services
        # service, series, its minutes, the intake gaps and how far counting got
        # (spikes.timeseries marks missing buckets), the baseline only once there is one
        (
            "/api/v1/services/whatsapp/series/?from=2026-03-02T00:00:00Z&until=2026-03-03T00:00:00Z&interval=1m",
            5,
        ),
    ],
)
def test_each_endpoint_costs_a_fixed_number_of_queries(api, busy, django_assert_num_queries, url, queries):
    with django_assert_num_queries(queries):
        assert api.get(url).status_code == 200


def test_a_spike_in_detail_costs_two_queries(api, busy, django_assert_num_queries):
    with django_assert_num_queries(2):  # the spike with its service; its history
        assert api.get(f"/api/v1/spikes/{busy[0].pk}/").status_code == 200


def test_a_key_adds_one_query_and_a_write_at_most_once_a_minute(
    api, busy, reader_key, django_assert_num_queries
):
    _, raw = reader_key
    with django_assert_num_queries(1 + 1 + 1):  # key, its last use, the spikes
        api.get("/api/v1/spikes/", HTTP_X_API_KEY=raw)
    with django_assert_num_queries(1 + 1):
        api.get("/api/v1/spikes/", HTTP_X_API_KEY=raw)
