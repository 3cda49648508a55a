"""What the home page shows: outages now, the most reported services of the last
hour, recently resolved outages, and a service search that forgives typos."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Sum
from django.utils.translation import gettext as _

from pages.charts import sparkline
from pages.fragments import counted_part
from pages.outages import entries, heads, in_countries
from reports import names as localnames
from reports.catalog import get_catalog
from reports.models import Service
from spikes import timeseries
from spikes.models import ALL_REGIONS, Incident, Series, SeriesMinute, ServiceStatus, Spike, StatusLevel

TOP_SERVICES = 10
RECENT_RESOLVED = 10


@dataclass(frozen=True)
class Outage:
    """One service's answer to "is it down?" as the home page lists it."""

    status: ServiceStatus
    region_names: dict[str, str]

    @property
    def spike(self) -> Spike:
        return self.status.lead

    @property
    def service(self) -> Service:
        return self.spike.service

    @property
    def title(self) -> str:
        """ "WhatsApp", or "WhatsApp in Brazil and India" when only regions spike."""
        if not self.status.is_regional:
            return self.service.name
        return _("%(service)s in %(countries)s") % {
            "service": self.service.name,
            "countries": in_countries(self.countries),
        }

    @property
    def countries(self) -> list[str]:
        return sorted(
            (self.region_names.get(code, code) for code in self.status.regions), key=localnames.sort_key
        )


@dataclass
class OutagesNow:
    incidents: list[tuple[Incident, list[Outage]]]
    danger: list[Outage]
    warning: list[Outage]
    recovering: list[Outage]
    related: list[Outage]  # sympathetic spikes: "possibly related to ..."

    @property
    def any(self) -> bool:
        return bool(self.incidents or self.danger or self.warning or self.recovering or self.related)


def outages_now(names: dict[str, str]) -> OutagesNow:
    """Every service with problems, once: grouped by incident, then by level."""
    outages = sorted(
        (Outage(status, names) for status in Spike.objects.statuses().values()),
        key=lambda o: (o.status.since, o.service.name),
    )
    now = OutagesNow([], [], [], [], [])
    incidents: dict[int, tuple[Incident, list[Outage]]] = {}
    for outage in outages:
        incident = next((s.incident for s in outage.status.spikes if s.incident_id), None)
        if outage.spike.related_to_id:
            now.related.append(outage)
        elif incident is not None:
            incidents.setdefault(incident.pk, (incident, []))[1].append(outage)
        elif outage.status.level == StatusLevel.RECOVERING:
            now.recovering.append(outage)
        elif outage.status.level == StatusLevel.DANGER:
            now.danger.append(outage)
        else:
            now.warning.append(outage)
    now.incidents = sorted(incidents.values(), key=lambda pair: pair[0].started_at)
    return now


@dataclass(frozen=True)
class TopService:
    service: Service
    reporters: int
    sparkline: str
    values: list[int]


def top_services(now: datetime, limit: int = TOP_SERVICES) -> list[TopService]:
    """The services with most distinct reporters in the last 60 counted minutes,
    each with that hour in twelve 5-minute buckets ending at the last counted minute
    (from the same time series the charts use). Counted minutes only: one in
    progress would look like a drop at the end. Not whole clock buckets either: the
    list would then lag up to five minutes behind an outage's onset (in the demo,
    Facebook ranked with 93 reporters and a flat line six minutes into its outage)."""
    counted = timeseries.counted_until(now)
    end = timeseries.floor_to(counted if counted is not None else now, 60)
    # Made once per counted minute (pages.fragments): ten series' hours of minutes.
    return counted_part(
        f"pages:top:{int(end.timestamp())}:{limit}", lambda: _top_services(end, counted, limit)
    )


def _top_services(end: datetime, counted: datetime | None, limit: int) -> list[TopService]:
    start = end - timedelta(hours=1)
    ranked = list(
        # By the all-regions series' (series, minute) index (pages.editions.top_services_in).
        SeriesMinute.objects.filter(
            series__in=Series.objects.filter(region=ALL_REGIONS), minute__gte=start, minute__lt=end
        )
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
        minutes = [b.reporters for b in timeseries.buckets(service_id, start, end, 60, counted=counted)]
        values = [sum(minutes[i : i + 5]) for i in range(0, len(minutes), 5)]
        result.append(TopService(services[service_id], total, sparkline(values), values))
    return result


def recent_resolved(names: dict[str, str], limit: int = RECENT_RESOLVED):
    """The outages that ended last, one entry each."""
    return entries(
        list(
            heads(recovery=False)
            .filter(ended_at__isnull=False)
            .not_dismissed()
            .exclude(Exists(Spike.objects.filter(part_of=OuterRef("pk"), ended_at__isnull=True)))
            .order_by("-ended_at")[:limit]
        ),
        names,
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
