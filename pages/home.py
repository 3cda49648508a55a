"""What the home page shows: outages now, the most reported services of the last
hour, recently resolved outages, and a service search that forgives typos."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Sum

from pages.charts import sparkline
from reports.catalog import get_catalog
from reports.models import Service
from spikes import timeseries
from spikes.models import ALL_REGIONS, Incident, Level, SeriesMinute, Spike

TOP_SERVICES = 10
RECENT_RESOLVED = 10


@dataclass
class Outage:
    """One service's open outage: its main spike and the regions also spiking."""

    service: Service
    spike: Spike
    regions: list[str] = field(default_factory=list)


@dataclass
class OutagesNow:
    incidents: list[tuple[Incident, list[Outage]]]
    danger: list[Outage]
    warning: list[Outage]
    related: list[Outage]  # sympathetic spikes: "possibly related to ..."

    @property
    def any(self) -> bool:
        return bool(self.incidents or self.danger or self.warning or self.related)


def _speaks_for_service(spike: Spike, current: Spike) -> bool:
    """The all-regions spike speaks for the service; among regional ones, the worse."""
    if current.region == ALL_REGIONS:
        return False
    return spike.region == ALL_REGIONS or (spike.level == Level.DANGER and current.level != Level.DANGER)


def _by_service(spikes: list[Spike]) -> list[Outage]:
    outages: dict[int, Outage] = {}
    for spike in spikes:
        outage = outages.setdefault(spike.service_id, Outage(spike.service, spike))
        if spike.region:
            outage.regions.append(spike.region)
        if outage.spike is not spike and _speaks_for_service(spike, outage.spike):
            outage.spike = spike
    for outage in outages.values():
        outage.regions.sort()
    return sorted(outages.values(), key=lambda o: (o.spike.level != Level.DANGER, o.spike.started_at))


def outages_now() -> OutagesNow:
    spikes = list(
        Spike.objects.open()
        .select_related("service", "incident__group", "related_to__service")
        .order_by("started_at")
    )
    related = [s for s in spikes if s.related_to_id]
    in_incident: dict[int, list[Spike]] = {}
    incidents: dict[int, Incident] = {}
    alone = []
    for spike in spikes:
        if spike.related_to_id:
            continue
        if spike.incident_id:
            incidents[spike.incident_id] = spike.incident
            in_incident.setdefault(spike.incident_id, []).append(spike)
        else:
            alone.append(spike)
    alone_outages = _by_service(alone)
    return OutagesNow(
        incidents=[(incidents[pk], _by_service(group)) for pk, group in in_incident.items()],
        danger=[o for o in alone_outages if o.spike.level == Level.DANGER],
        warning=[o for o in alone_outages if o.spike.level != Level.DANGER],
        related=_by_service(related),
    )


@dataclass(frozen=True)
class TopService:
    service: Service
    reporters: int
    sparkline: str
    values: list[int]


def top_services(now: datetime, limit: int = TOP_SERVICES) -> list[TopService]:
    """The services with most distinct reporters in the last hour, each with its
    hour in 5-minute buckets (from the same time series the charts use). Whole
    buckets only: a bucket in progress would look like a drop at the end."""
    end = timeseries.floor_to(now, 300)
    start = end - timedelta(hours=1)
    ranked = list(
        SeriesMinute.objects.filter(series__region=ALL_REGIONS, minute__gte=start, minute__lt=end)
        .values("series__service_id")
        .annotate(n=Sum("reporters"))
        .order_by("-n")
        .values_list("series__service_id", "n")[:limit]
    )
    services = Service.objects.active().in_bulk([pk for pk, _ in ranked])
    result = []
    for service_id, total in ranked:
        if service_id not in services:
            continue
        values = [b.reporters for b in timeseries.buckets(service_id, start, end, 300)]
        result.append(TopService(services[service_id], total, sparkline(values), values))
    return result


def recent_resolved(limit: int = RECENT_RESOLVED) -> list[Spike]:
    return list(
        Spike.objects.filter(ended_at__isnull=False, region=ALL_REGIONS)
        .not_dismissed()
        .select_related("service")
        .order_by("-ended_at")[:limit]
    )


def search(query: str, limit: int = 20) -> list[str]:
    """Slugs of active services matching `query`: exact and substring matches
    first, then close spellings ("whatsap", "instagarm") by difflib's ratio."""
    needle = " ".join(query.lower().split())
    if not needle:
        return []
    entries = [e for e in get_catalog().services.values() if e.is_active]
    names = {e.slug: e.name.lower() for e in entries}
    found = [
        slug for slug, name in sorted(names.items(), key=lambda kv: kv[1]) if needle in name or needle in slug
    ]
    if len(found) < limit:
        keys: dict[str, str] = {}
        for slug, name in names.items():
            keys.setdefault(name, slug)
            keys.setdefault(slug, slug)
            keys.setdefault(name.replace(" ", ""), slug)
        for key in difflib.get_close_matches(needle, keys, n=limit, cutoff=0.7):
            if keys[key] not in found:
                found.append(keys[key])
    return found[:limit]
