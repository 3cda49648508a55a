from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from partners import keys
from partners.tests.receiver import Receiver, serve
from reports.tests.factories import ServiceFactory
from spikes.models import Incident, Series, Spike, SpikeChange

# A Monday, so that weekly baseline slots line up with the start of the history.
T0 = datetime(2026, 3, 2, tzinfo=UTC)


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def comcast(db):
    return ServiceFactory(slug="comcast", name="Comcast", category="isp", problems=["internet"])


def make_spike(service, started_at, region="", level="danger", verdict="suspected", ended_at=None, **fields):
    """A spike as the detector stores it, with its 'opened' change."""
    series, _ = Series.objects.get_or_create(service=service, region=region)
    spike = Spike.objects.create(
        series=series,
        service=service,
        region=region,
        level=level,
        verdict=verdict,
        started_at=started_at,
        detected_at=started_at + timedelta(minutes=3),
        peak_at=started_at + timedelta(minutes=10),
        peak_reports=fields.pop("peak_reports", 120),
        expected_reports=fields.pop("expected_reports", 4.0),
        ended_at=ended_at,
        problems=fields.pop("problems", {"pictures": 0.7, "messages": 0.3}),
        regions=fields.pop("regions", {"US": 1.0}),
        **fields,
    )
    SpikeChange.objects.create(spike=spike, at=spike.detected_at, kind="opened", level=level)
    return spike


def make_incident(group, spikes):
    incident = Incident.objects.create(
        kind="group", group=group, started_at=min(s.started_at for s in spikes)
    )
    for spike in spikes:
        spike.incident = incident
        spike.save(update_fields=["incident"])
    return incident


@pytest.fixture
def reader_key(db):
    key, raw = keys.issue_key("Example ISP", ["read"], rate_per_minute=100, daily_quota=1000)
    return key, raw


@pytest.fixture
def receiver():
    """A partner's webhook receiver, a real HTTP server on 127.0.0.1."""
    receiver = Receiver()
    server = serve(receiver)
    yield receiver
    server.shutdown()
    server.server_close()
