"""How fast does each provider own up? For every outage the crowd reported, the
minutes from our detection to the provider's first word about it, or that it
never said anything; and a provider's record over the last RECORD_DAYS.

An outage here is what the site lists as one (a spike heading it, its regional
spikes folded in: Spike.part_of) that reached "problems detected" and was not
dismissed. It is decided once it has been over for GRACE (providers
often post an incident after the fact), and only when the provider's status page
was read after the outage ended: a page we could not read never counts against
its provider.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from reports.models import Service
from spikes.models import Level, Spike
from statuspages.matching import incidents_of
from statuspages.models import Acknowledgement, ProviderIncident, StatusSource
from statuspages.word import sources_of

GRACE = timedelta(hours=2)
# Outages over for longer than this without a decision (the task was down) are
# left undecided rather than judged on stale data.
DECIDE_WITHIN = timedelta(days=2)
RECORD_DAYS = 90


def _is_outage(spike: Spike) -> bool:
    """A spike heading an outage (its regional spikes are parts of it, counted once)
    of which some spike reached "problems detected"."""
    members = [spike, *spike.parts.all()]
    return any(s.level == Level.DANGER or s.changes.filter(level=Level.DANGER).exists() for s in members)


def _page_was_read_after(spike: Spike) -> bool:
    return StatusSource.objects.filter(
        service_id=spike.service_id, is_active=True, last_success_at__gte=spike.ended_at
    ).exists()


def decide(now: datetime) -> int:
    """Decide the outages whose grace period has passed; returns how many."""
    spikes = (
        Spike.objects.not_dismissed()
        .filter(
            ended_at__lte=now - GRACE,
            ended_at__gte=now - GRACE - DECIDE_WITHIN,
            acknowledgement__isnull=True,
            part_of__isnull=True,
            service__status_sources__is_active=True,
        )
        .distinct()
    )
    decided = 0
    for spike in spikes:
        if not _is_outage(spike) or not _page_was_read_after(spike):
            continue
        first = (
            ProviderIncident.objects.filter(matches__spike__in=[spike, *spike.parts.all()])
            .order_by("acknowledged_at")
            .values_list("pk", "acknowledged_at")
            .first()
        )
        acknowledged_at = first[1] if first else None
        Acknowledgement.objects.get_or_create(
            spike=spike,
            defaults={
                "service_id": spike.service_id,
                "incident_id": first[0] if first else None,
                "detected_at": spike.detected_at,
                "acknowledged_at": acknowledged_at,
                "lag_seconds": round((acknowledged_at - spike.detected_at).total_seconds())
                if acknowledged_at
                else None,
                "decided_at": now,
            },
        )
        decided += 1
    return decided


@dataclass(frozen=True)
class Record:
    """ "WhatsApp's status page acknowledged 7 of 9 outages, a median 23 minutes
    after users reported them." """

    source_name: str
    outages: int
    acknowledged: int
    median_lag_minutes: float | None
    days: int = RECORD_DAYS

    @property
    def never(self) -> int:
        return self.outages - self.acknowledged

    @property
    def sentence(self) -> str:
        if not self.outages:
            return f"No outage reported by users in the last {self.days} days to compare {self.source_name} with."
        said = f"{self.source_name} acknowledged {self.acknowledged} of {self.outages} outages"
        if self.median_lag_minutes is None:
            return f"{said} in the last {self.days} days."
        lag = round(self.median_lag_minutes)
        if lag < 0:
            when = f"a median {-lag} minutes before users reported them"
        elif lag == 0:
            when = "within a minute of users reporting them (median)"
        else:
            when = f"a median {lag} minutes after users reported them"
        return f"{said}, {when} (last {self.days} days)."


def records_for(
    services: Iterable[Service], now: datetime, days: int = RECORD_DAYS, names: dict[int, str] | None = None
) -> dict[int, Record]:
    """{service id: its provider's record} for the services with an active status
    source, in two queries however many services (one, given their sources' `names`)."""
    if names is None:
        names = {}
        for service_id, name in (
            StatusSource.objects.filter(service__in=list(services), is_active=True)
            .order_by("service_id", "pk")
            .values_list("service_id", "name")
        ):
            names.setdefault(service_id, name)
    lags: dict[int, list[int | None]] = {pk: [] for pk in names}
    for service_id, lag in (
        Acknowledgement.objects.filter(service_id__in=list(names))
        .since(now - timedelta(days=days))
        .values_list("service_id", "lag_seconds")
    ):
        lags[service_id].append(lag)
    records = {}
    for service_id, rows in lags.items():
        known = [lag for lag in rows if lag is not None]
        records[service_id] = Record(
            source_name=names[service_id],
            outages=len(rows),
            acknowledged=len(known),
            median_lag_minutes=statistics.median(known) / 60 if known else None,
            days=days,
        )
    return records


def record_for(service: Service, now: datetime, days: int = RECORD_DAYS) -> Record | None:
    """The provider's record, or None when the service has no status source."""
    sources = sources_of(service)
    names = {service.pk: sources[0].name} if sources else {}
    return records_for([service], now, days, names=names).get(service.pk)


def first_acknowledgement(spike: Spike) -> datetime | None:
    """When the provider first spoke of this spike's outage (live, before it is decided)."""
    return min((i.acknowledged_at for i in incidents_of(spike)), default=None)
