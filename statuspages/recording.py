"""Storing what a status page says: the source's current word, and each incident
with its updates and its changes (opened, updated, resolved).

A page shared by several services (Epic Games' for Fortnite and Rocket League)
is read per service: a source with `components` keeps only those components and
the incidents that touch them (or name no component at all).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from statuspages.fetching import Fetched
from statuspages.formats import (
    CRITICAL,
    MAINTENANCE,
    MAJOR,
    MINOR,
    OPERATIONAL,
    Component,
    FormatError,
    Incident,
    Snapshot,
)
from statuspages.formats.feeds import parse_feed
from statuspages.formats.generic import parse_json
from statuspages.formats.statuspage import incidents_url, parse_incidents, parse_summary
from statuspages.models import (
    ProviderIncident,
    ProviderIncidentChange,
    ProviderIncidentUpdate,
    SourceKind,
    StatusSource,
)

COMPONENT_INDICATOR = {
    "degraded_performance": MINOR,
    "partial_outage": MAJOR,
    "major_outage": CRITICAL,
    "under_maintenance": MAINTENANCE,
}
SEVERITY = [OPERATIONAL, MAINTENANCE, MINOR, MAJOR, CRITICAL]
COMPONENT_LABELS = {
    "operational": "Operational",
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
    "under_maintenance": "Under maintenance",
}


def parse(source: StatusSource, fetched: Fetched, now: datetime) -> Snapshot:
    if source.kind == SourceKind.STATUSPAGE:
        return parse_summary(fetched.body, fetched.content_type, now)
    if source.kind == SourceKind.FEED:
        return parse_feed(fetched.body, fetched.content_type, now)
    if source.kind == SourceKind.JSON:
        return parse_json(fetched.body, fetched.content_type, now, source.options)
    raise FormatError(f"unknown kind of source {source.kind!r}")


def _ours(source: StatusSource, names: list[str] | tuple[str, ...]) -> bool:
    return not source.components or bool(set(source.components) & set(names))


def _concerns(source: StatusSource, incident: Incident) -> bool:
    """Whether an incident is this source's service's: it names one of its
    components, or names none (a feed entry then by its title)."""
    if _ours(source, incident.components):
        return True
    if source.kind == SourceKind.FEED:
        title = incident.title.lower()
        return any(name.lower() in title for name in source.components)
    return not incident.components


def _components(source: StatusSource, snapshot: Snapshot) -> list[Component]:
    return [c for c in snapshot.components if _ours(source, [c.name, c.group])]


def _indicator(
    source: StatusSource, snapshot: Snapshot, components: list[Component], incidents: list[Incident]
) -> str:
    """The page's indicator; for a shared page, the worst state of this service's
    components and incidents (the page's own indicator may be about another)."""
    if not source.components:
        return snapshot.indicator
    levels = [COMPONENT_INDICATOR[c.status] for c in components if c.status in COMPONENT_INDICATOR]
    levels += [i.impact or MINOR for i in incidents if i.resolved_at is None and not i.is_maintenance]
    return max(levels, key=SEVERITY.index, default=OPERATIONAL)


def _regions(source: StatusSource, incident: Incident) -> list[str]:
    if source.region:
        return [source.region]
    named = {source.component_regions.get(name) for name in incident.components}
    named.discard(None)
    # An incident that also touches a component of no particular region is everywhere.
    if not named or any(name not in source.component_regions for name in incident.components):
        return []
    return sorted(named)


def record(
    source: StatusSource, snapshot: Snapshot, now: datetime, fetch_more: Callable[[str], bytes | None]
) -> list[int]:
    """Store the snapshot; returns the ids of the incidents that changed."""
    components = _components(source, snapshot)
    incidents = [i for i in snapshot.incidents if _concerns(source, i)]
    source.indicator = _indicator(source, snapshot, components, incidents)
    source.description = snapshot.description if not source.components else ""
    source.affected_components = [
        {"name": c.name, "status": c.status, "label": COMPONENT_LABELS[c.status]}
        for c in components
        if not c.is_operational
    ]
    changed = [pk for incident in incidents if (pk := _store_incident(source, incident, now))]
    if snapshot.lists_only_unresolved:
        listed = {i.provider_id for i in snapshot.incidents}
        changed += _resolve_unlisted(source, listed, now, fetch_more)
    return changed


def _store_incident(source: StatusSource, parsed: Incident, now: datetime) -> int | None:
    values = {
        "service_id": source.service_id,
        "title": parsed.title,
        "status": parsed.status,
        "impact": parsed.impact,
        "components": list(parsed.components),
        "regions": _regions(source, parsed),
        "is_maintenance": parsed.is_maintenance,
        "started_at": parsed.started_at,
        "acknowledged_at": parsed.acknowledged_at,
        "updated_at": parsed.updated_at,
        "resolved_at": parsed.resolved_at,
        "scheduled_for": parsed.scheduled_for,
        "scheduled_until": parsed.scheduled_until,
        "url": parsed.url,
    }
    incident = ProviderIncident.objects.filter(source=source, provider_id=parsed.provider_id).first()
    kind = None
    if incident is None:
        incident = ProviderIncident.objects.create(
            source=source, provider_id=parsed.provider_id, first_seen_at=now, **values
        )
        kind = ProviderIncidentChange.Kind.OPENED
    else:
        # The first acknowledgement never moves later: a provider that edits its
        # incident keeps the time it first spoke.
        values["acknowledged_at"] = min(incident.acknowledged_at, parsed.acknowledged_at)
        different = {k: v for k, v in values.items() if getattr(incident, k) != v}
        if different:
            was_resolved = incident.resolved_at is not None
            for key, value in different.items():
                setattr(incident, key, value)
            incident.save(update_fields=list(different))
            kind = (
                ProviderIncidentChange.Kind.RESOLVED
                if incident.resolved_at is not None and not was_resolved
                else ProviderIncidentChange.Kind.UPDATED
            )
    new_updates = _store_updates(incident, parsed)
    if kind is None and new_updates:
        kind = ProviderIncidentChange.Kind.UPDATED
    if kind is None:
        return None
    ProviderIncidentChange.objects.create(incident=incident, kind=kind, at=now, status=incident.status)
    if kind == ProviderIncidentChange.Kind.OPENED and incident.resolved_at is not None:
        # Published after the fact: opened and resolved at once.
        ProviderIncidentChange.objects.create(
            incident=incident, kind=ProviderIncidentChange.Kind.RESOLVED, at=now, status=incident.status
        )
    return incident.pk


def _store_updates(incident: ProviderIncident, parsed: Incident) -> int:
    known = set(incident.updates.values_list("provider_id", flat=True))
    fresh = [
        ProviderIncidentUpdate(
            incident=incident, provider_id=u.provider_id, status=u.status, body=u.body, at=u.at
        )
        for u in parsed.updates
        if u.provider_id not in known
    ]
    ProviderIncidentUpdate.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)


def _resolve_unlisted(
    source: StatusSource, listed: set[str], now: datetime, fetch_more: Callable[[str], bytes | None]
) -> list[int]:
    """A Statuspage summary lists unresolved incidents only: one we know as
    unresolved that is no longer listed was resolved. incidents.json says when
    and with which last words; without it, it is resolved as of now."""
    gone = list(
        ProviderIncident.objects.filter(source=source, resolved_at__isnull=True).exclude(
            provider_id__in=listed
        )
    )
    if not gone:
        return []
    details: dict[str, Incident] = {}
    url = incidents_url(source.url)
    body = fetch_more(url) if url else None
    if body is not None:
        try:
            found, _ = parse_incidents(body, "application/json", now)
            details = {i.provider_id: i for i in found}
        except FormatError:
            details = {}
    changed = []
    for incident in gone:
        parsed = details.get(incident.provider_id)
        if parsed is not None and parsed.resolved_at is not None:
            if _store_incident(source, parsed, now):
                changed.append(incident.pk)
            continue
        incident.status = "completed" if incident.is_maintenance else "resolved"
        incident.resolved_at = now
        incident.save(update_fields=["status", "resolved_at"])
        ProviderIncidentChange.objects.create(
            incident=incident, kind=ProviderIncidentChange.Kind.RESOLVED, at=now, status=incident.status
        )
        changed.append(incident.pk)
    return changed
