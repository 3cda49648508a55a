"""Grouping spikes into incidents, and telling sympathetic spikes from outages.

- Spikes of one owner's services (the Meta family) that start within WINDOW of
  each other are one incident.
- When services of WIDESPREAD_OWNERS or more different owners start within WINDOW
  (a cloud or CDN failure), they are one widespread incident. Owners, not services:
  five Meta apps failing together are still Meta's incident.
- The spikes of one service that overlap (its all-regions series and the regions
  that spike with it, within WINDOW) are one outage, headed by the all-regions
  spike when there is one: the archive, the feeds and the home page show it once.
- When Facebook fails, people blame their internet provider: a spike of an ISP or
  a mobile carrier that starts while a bigger outage of another kind of service is
  under way is marked "possibly related to" it instead of counting as an outage
  of its own.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Max, Q

from reports.models import Category
from spikes.models import ALL_REGIONS, Incident, Spike, SpikeChange

# Meta's 2021 and 2024 outages hit its apps within a few minutes of each other;
# ten minutes covers that and the detector's own delay on the smaller apps.
WINDOW = timedelta(minutes=10)
WIDESPREAD_OWNERS = 5
SYMPATHETIC_CATEGORIES = {Category.ISP, Category.MOBILE}


def _excess(spike: Spike) -> float:
    return spike.peak_reports - spike.expected_reports


def _neighbours(spike: Spike):
    """Other services' spikes, in any region, starting within WINDOW, not over
    before this one began. Regions are not compared: a global outage raises the
    all-regions series and several regional ones, and all belong together."""
    return (
        Spike.objects.filter(
            started_at__gte=spike.started_at - WINDOW,
            started_at__lte=spike.started_at + WINDOW,
        )
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=spike.started_at))
        .exclude(service_id=spike.service_id)
        .exclude(related_to__isnull=False)
        .select_related("service", "incident")
    )


def join_outage(spike: Spike) -> None:
    """Make a spike that just opened part of its service's outage in progress: one
    of the service's spikes still open, or over less than WINDOW before this one
    began. Outages it bridges become one. The all-regions spike heads the outage;
    without one, its first spike does."""
    others = list(
        Spike.objects.filter(service_id=spike.service_id, started_at__lte=spike.started_at + WINDOW)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=spike.started_at - WINDOW))
        .exclude(pk=spike.pk)
        .not_dismissed()
        .only("pk", "part_of_id")
    )
    if not others:
        return
    heads = {other.part_of_id or other.pk for other in others}
    members = list(
        Spike.objects.filter(Q(pk__in=heads) | Q(part_of__in=heads)).only("pk", "region", "started_at")
    )
    candidates = [*members, spike]
    head = min(candidates, key=lambda s: (s.region != ALL_REGIONS, s.started_at, s.pk))
    Spike.objects.filter(pk__in=[m.pk for m in candidates]).exclude(pk=head.pk).update(part_of=head)
    Spike.objects.filter(pk=head.pk).update(part_of=None)
    spike.part_of_id = None if head.pk == spike.pk else head.pk


def place(spike: Spike) -> None:
    """Decide, for a spike that just opened, its outage, its incident or what it
    rides on."""
    join_outage(spike)
    neighbours = list(_neighbours(spike))
    category = spike.service.category
    if category in SYMPATHETIC_CATEGORIES:
        bigger = [
            other
            for other in Spike.objects.filter(
                Q(region=spike.region) | Q(region=""),
                ended_at__isnull=True,
                started_at__lte=spike.started_at + WINDOW,
            )
            .exclude(service__category__in=SYMPATHETIC_CATEGORIES)
            .select_related("service")
            if _excess(other) > _excess(spike)
        ]
        if bigger:
            cause = max(bigger, key=_excess)
            spike.related_to = cause
            spike.save(update_fields=["related_to"])
            SpikeChange.objects.create(
                spike=spike,
                at=spike.detected_at,
                kind=SpikeChange.Kind.RELATED,
                note=f"Possibly related to the {cause.service.name} outage",
            )
            return

    owners = {_owner(other.service) for other in neighbours} | {_owner(spike.service)}
    if len(owners) >= WIDESPREAD_OWNERS:
        _join(spike, neighbours, Incident.Kind.WIDESPREAD, group_id=None)
        return
    group_id = spike.service.group_id
    same_owner = [o for o in neighbours if group_id and o.service.group_id == group_id]
    if same_owner:
        _join(spike, same_owner, Incident.Kind.GROUP, group_id=group_id)


def _owner(service) -> tuple[str, int]:
    """A service's owner: its group, or the service itself when it has none."""
    return ("group", service.group_id) if service.group_id else ("service", service.pk)


def _join(spike: Spike, members: list[Spike], kind: str, group_id: int | None) -> None:
    incident = next((m.incident for m in members if m.incident and m.incident.kind == kind), None)
    if incident is None:
        incident = Incident.objects.create(
            kind=kind, group_id=group_id, started_at=min([spike.started_at, *(m.started_at for m in members)])
        )
    emptied = set()
    for member in [*members, spike]:
        if member.incident_id == incident.pk:
            continue
        if member.incident_id:
            emptied.add(member.incident_id)
        member.incident = incident
        member.save(update_fields=["incident"])
        SpikeChange.objects.create(
            spike=member, at=spike.detected_at, kind=SpikeChange.Kind.GROUPED, note=str(incident)[:200]
        )
    Incident.objects.filter(pk=incident.pk, started_at__gt=spike.started_at).update(
        started_at=spike.started_at
    )
    Incident.objects.filter(pk__in=emptied, spikes__isnull=True).delete()
    Incident.objects.filter(pk=incident.pk, ended_at__isnull=False).update(ended_at=None)


def close_if_over(spike: Spike) -> None:
    """An incident ends when the last of its spikes does."""
    if spike.incident_id is None:
        return
    incident = Incident.objects.get(pk=spike.incident_id)
    if incident.spikes.filter(ended_at__isnull=True).exists():
        return
    incident.ended_at = incident.spikes.aggregate(end=Max("ended_at"))["end"]
    incident.save(update_fields=["ended_at"])
