"""Status sources and provider incidents as a poll would have stored them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import factory

from statuspages.models import ProviderIncident, SourceKind, StatusSource

# A Thursday evening, 18:20 UTC.
NOW = datetime(2026, 3, 5, 18, 20, tzinfo=UTC)


class StatusSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StatusSource

    service = None
    name = factory.LazyAttribute(lambda o: f"{o.service.name}'s status page")
    kind = SourceKind.STATUSPAGE
    url = factory.Sequence(lambda n: f"https://status{n}.example.com/api/v2/summary.json")
    page_url = factory.LazyAttribute(lambda o: o.url.removesuffix("/api/v2/summary.json"))
    indicator = "none"
    description = "All Systems Operational"
    last_success_at = NOW
    last_polled_at = NOW


class ProviderIncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderIncident

    source = None
    service = factory.SelfAttribute("source.service")
    provider_id = factory.Sequence(lambda n: f"inc{n}")
    title = "Media messages fail to send"
    status = "investigating"
    impact = "minor"
    started_at = NOW - timedelta(minutes=30)
    acknowledged_at = factory.SelfAttribute("started_at")
    url = factory.LazyAttribute(lambda o: f"https://stspg.io/{o.provider_id}")
