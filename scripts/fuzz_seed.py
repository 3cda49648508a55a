"""Seed the fuzzing database of scripts/fuzz-api: the catalog is loaded already;
add a few spikes, an incident and a partner key, and print the key.

    DJANGO_SETTINGS_MODULE=outagewatch.settings .venv/bin/python scripts/fuzz_seed.py
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outagewatch.settings")
django.setup()

from django.utils import timezone  # noqa: E402

from partners import keys  # noqa: E402
from partners.models import WebhookEndpoint  # noqa: E402
from reports.models import Service  # noqa: E402
from spikes.models import Incident, Series, Spike, SpikeChange  # noqa: E402
from statuspages import matching  # noqa: E402
from statuspages.models import ProviderIncident, ProviderIncidentUpdate, StatusSource  # noqa: E402


def seed() -> str:
    now = timezone.now().replace(second=0, microsecond=0)
    services = list(Service.objects.filter(group__isnull=False).order_by("slug")[:3])
    incident = Incident.objects.create(
        kind="group", group=services[0].group, started_at=now - timedelta(hours=1)
    )
    for n, service in enumerate(services):
        for region in ("", "US"):
            series, _ = Series.objects.get_or_create(service=service, region=region)
            started = now - timedelta(hours=n + 1)
            spike = Spike.objects.create(
                series=series, service=service, region=region, level="danger", started_at=started,
                detected_at=started + timedelta(minutes=3), peak_at=started + timedelta(minutes=10),
                peak_reports=120, expected_reports=4.0, problems={"login": 1.0}, regions={"US": 1.0},
                incident=incident if n == 0 else None,
            )  # fmt: skip
            SpikeChange.objects.create(spike=spike, at=spike.detected_at, kind="opened", level="danger")
    # A provider incident, from the catalog's status source of the first service
    # that has one, matched to its spike: /provider-incidents/ and /provider-status/.
    source = StatusSource.objects.order_by("pk").first()
    if source is not None:
        provider = ProviderIncident.objects.create(
            source=source, service=source.service, provider_id="fuzz-1", title="Login errors",
            status="investigating", impact="minor", started_at=now - timedelta(hours=1),
            acknowledged_at=now - timedelta(minutes=50), url="https://status.example.com/incidents/fuzz-1",
        )  # fmt: skip
        ProviderIncidentUpdate.objects.create(
            incident=provider, provider_id="u1", status="investigating", body="Looking into it.", at=now
        )
        StatusSource.objects.filter(pk=source.pk).update(last_success_at=now, indicator="minor")
        matching.match_incident(provider.pk, now)
    key, raw = keys.issue_key(
        "fuzzing", ["read", "webhooks"], rate_per_minute=1_000_000, daily_quota=10_000_000
    )
    WebhookEndpoint.objects.create(key=key, url="https://hooks.example.com/outagewatch")
    return raw


if __name__ == "__main__":
    print(seed())
