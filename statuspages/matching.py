"""The provider's word against the crowd's: a provider incident and a spike of
the same service, in the region the provider names (if it names one), whose
times overlap, are one outage. A new match confirms the spike "by the provider",
with a link to its incident (spikes.verdicts decides what that changes).

Matching runs after each poll that changed incidents and every minute over
recent spikes (a spike may open after the provider spoke). It reads spikes and
never writes anything the detector reads.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q

from spikes import verdicts
from spikes.models import Spike
from statuspages.models import IncidentMatch, ProviderIncident

# Providers open an incident a little before users notice, or date its start a
# few minutes off: times within this of each other still overlap.
SLACK = timedelta(minutes=15)
# How far back a new incident (a post-mortem published late) still finds spikes.
LOOKBACK = timedelta(days=7)


def _spikes_for(incident: ProviderIncident, now: datetime):
    end = (incident.resolved_at or now) + SLACK
    spikes = Spike.objects.filter(
        service_id=incident.service_id,
        started_at__lte=end,
        started_at__gte=now - LOOKBACK,
    ).filter(Q(ended_at__isnull=True) | Q(ended_at__gte=incident.started_at - SLACK))
    if incident.regions:
        spikes = spikes.filter(Q(region="") | Q(region__in=incident.regions))
    return spikes


def _incidents_for(spike: Spike, now: datetime):
    incidents = ProviderIncident.objects.filter(service_id=spike.service_id, is_maintenance=False).filter(
        started_at__lte=(spike.ended_at or now) + SLACK
    )
    incidents = incidents.filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=spike.started_at - SLACK))
    return [i for i in incidents.select_related("source") if i.covers(spike.region)]


def _match(incident: ProviderIncident, spike: Spike, now: datetime) -> bool:
    """Store the match (once) and confirm the spike; True if it is new."""
    try:
        with transaction.atomic():
            IncidentMatch.objects.create(incident=incident, spike=spike, matched_at=now)
    except IntegrityError:
        return False
    verdicts.confirm(
        spike.pk,
        verdicts.By.provider(incident.source.name),
        note=incident.title,
        url=incident.url or incident.source.link,
        at=now,
    )
    return True


def match_incident(incident_id: int, now: datetime) -> int:
    """Match one provider incident to the spikes it covers; returns new matches."""
    incident = ProviderIncident.objects.select_related("source").get(pk=incident_id)
    if incident.is_maintenance:
        return 0
    known = set(incident.matches.values_list("spike_id", flat=True))
    return sum(_match(incident, spike, now) for spike in _spikes_for(incident, now) if spike.pk not in known)


def match_spike(spike: Spike, now: datetime) -> int:
    known = set(spike.provider_matches.values_list("incident_id", flat=True))
    return sum(
        _match(incident, spike, now) for incident in _incidents_for(spike, now) if incident.pk not in known
    )


def match_recent(now: datetime) -> int:
    """Match the spikes going on, or over for less than a day, of services with a
    status source, to the incidents their providers published."""
    spikes = Spike.objects.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gte=now - timedelta(days=1)),
        service__status_sources__isnull=False,
    ).distinct()
    return sum(match_spike(spike, now) for spike in spikes)


def incidents_of(spike: Spike) -> list[ProviderIncident]:
    """The provider incidents matched to a spike, earliest first. Kept on the spike
    object: a page asks it for the timeline and for the first acknowledgement."""
    if "_provider_incidents" not in spike.__dict__:
        spike.__dict__["_provider_incidents"] = list(
            ProviderIncident.objects.filter(matches__spike=spike)
            .select_related("source")
            .prefetch_related("updates")
            .order_by("started_at")
        )
    return spike.__dict__["_provider_incidents"]
