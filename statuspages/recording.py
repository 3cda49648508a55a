"""Storing what a status page says: the source's current word, and each incident
with its updates and its changes (opened, updated, resolved).

A page shared by several services (Epic Games' for Fortnite and Rocket League)
is read per service: a source with `components` keeps only those components and
the incidents that touch them (or name no component at all).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.db.models import Q

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


def read_state(source: StatusSource, snapshot: Snapshot) -> list[Incident]:
    """Set the source's current word from the snapshot; returns its incidents."""
    components = _components(source, snapshot)
    # One incident per id, even if a page lists one twice.
    incidents = list(
        {i.provider_id: i for i in reversed(snapshot.incidents) if _concerns(source, i)}.values()
    )
    source.indicator = _indicator(source, snapshot, components, incidents)
    source.description = snapshot.description if not source.components else ""
    source.affected_components = [
        {"name": c.name, "status": c.status, "label": COMPONENT_LABELS[c.status]}
        for c in components
        if not c.is_operational
    ]
    return incidents


def _values(source: StatusSource, parsed: Incident) -> dict:
    return {
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


class _Writes:
    """What a batch changes, written at the end in a few bulk statements: a poll
    round is thousands of sources, and one query per incident was most of its
    time (measured with benchmarks/statuspages_poll.py)."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.created: list[tuple[ProviderIncident, Incident]] = []
        self.updated: dict[int, tuple[ProviderIncident, set[str], str]] = {}
        self.updates: list[tuple[ProviderIncident, Incident, set[str]]] = []

    def store(
        self, source: StatusSource, parsed: Incident, incident: ProviderIncident | None, known: set
    ) -> None:
        values = _values(source, parsed)
        if incident is None:
            incident = ProviderIncident(
                source=source, provider_id=parsed.provider_id, first_seen_at=self.now, **values
            )
            self.created.append((incident, parsed))
            return
        # The first acknowledgement never moves later: a provider that edits its
        # incident keeps the time it first spoke.
        values["acknowledged_at"] = min(incident.acknowledged_at, parsed.acknowledged_at)
        different = {k for k, v in values.items() if getattr(incident, k) != v}
        was_resolved = incident.resolved_at is not None
        for key in different:
            setattr(incident, key, values[key])
        fresh = [u for u in parsed.updates if u.provider_id not in known]
        if different or fresh:
            resolved_now = incident.resolved_at is not None and not was_resolved
            kind = (
                ProviderIncidentChange.Kind.RESOLVED if resolved_now else ProviderIncidentChange.Kind.UPDATED
            )
            self.updated[incident.pk] = (incident, different, kind)
        if fresh:
            self.updates.append((incident, parsed, known))

    def resolve(self, incident: ProviderIncident) -> None:
        incident.status = "completed" if incident.is_maintenance else "resolved"
        incident.resolved_at = self.now
        self.updated[incident.pk] = (
            incident,
            {"status", "resolved_at"},
            ProviderIncidentChange.Kind.RESOLVED,
        )

    def flush(self) -> list[int]:
        ProviderIncident.objects.bulk_create([incident for incident, _ in self.created])
        changes = []
        for incident, parsed in self.created:
            changes.append(
                ProviderIncidentChange(incident=incident, kind="opened", at=self.now, status=incident.status)
            )
            if incident.resolved_at is not None:
                # Published after the fact: opened and resolved at once.
                changes.append(
                    ProviderIncidentChange(
                        incident=incident, kind="resolved", at=self.now, status=incident.status
                    )
                )
            self.updates.append((incident, parsed, set()))
        fields = sorted(set().union(*(different for _, different, _ in self.updated.values())))
        if fields:
            ProviderIncident.objects.bulk_update(
                [incident for incident, different, _ in self.updated.values() if different], fields
            )
        changes += [
            ProviderIncidentChange(incident=incident, kind=kind, at=self.now, status=incident.status)
            for incident, _, kind in self.updated.values()
        ]
        ProviderIncidentChange.objects.bulk_create(changes)
        ProviderIncidentUpdate.objects.bulk_create(
            [
                ProviderIncidentUpdate(
                    incident=incident, provider_id=u.provider_id, status=u.status, body=u.body, at=u.at
                )
                for incident, parsed, known in self.updates
                for u in parsed.updates
                if u.provider_id not in known
            ],
            ignore_conflicts=True,
        )
        return list(dict.fromkeys(c.incident_id for c in changes))


def record(
    batch: list[tuple[StatusSource, Snapshot]], now: datetime, fetch_more: Callable[[str], bytes | None]
) -> list[int]:
    """Store the snapshots of a batch of sources (their incidents, updates and
    changes; the sources' own fields are set, for the caller to save). Returns the
    ids of the incidents that changed."""
    ours = {source.pk: read_state(source, snapshot) for source, snapshot in batch}
    wanted = {i.provider_id for incidents in ours.values() for i in incidents}
    # The known incidents of these sources: the ones listed now, and the unresolved
    # (which a summary that no longer lists them resolves).
    known = {
        (i.source_id, i.provider_id): i
        for i in ProviderIncident.objects.filter(source__in=[s for s, _ in batch]).filter(
            Q(resolved_at__isnull=True) | Q(provider_id__in=wanted)
        )
    }
    seen_updates: dict[int, set[str]] = {}
    for incident_id, provider_id in ProviderIncidentUpdate.objects.filter(
        incident__in=list(known.values())
    ).values_list("incident_id", "provider_id"):
        seen_updates.setdefault(incident_id, set()).add(provider_id)
    writes = _Writes(now)
    for source, snapshot in batch:
        for parsed in ours[source.pk]:
            incident = known.get((source.pk, parsed.provider_id))
            writes.store(
                source, parsed, incident, seen_updates.get(incident.pk, set()) if incident else set()
            )
        if snapshot.lists_only_unresolved:
            listed = {i.provider_id for i in snapshot.incidents}
            gone = [
                i
                for (source_id, provider_id), i in known.items()
                if source_id == source.pk and i.resolved_at is None and provider_id not in listed
            ]
            if gone:
                _resolve_unlisted(source, gone, writes, seen_updates, fetch_more)
    return writes.flush()


def _resolve_unlisted(
    source: StatusSource,
    gone: list[ProviderIncident],
    writes: _Writes,
    seen_updates: dict[int, set[str]],
    fetch_more: Callable[[str], bytes | None],
) -> None:
    """A Statuspage summary lists unresolved incidents only: one we know as
    unresolved that is no longer listed was resolved. incidents.json says when
    and with which last words; without it, it is resolved as of now."""
    details: dict[str, Incident] = {}
    url = incidents_url(source.url)
    body = fetch_more(url) if url else None
    if body is not None:
        try:
            found, _ = parse_incidents(body, "application/json", writes.now)
            details = {i.provider_id: i for i in found}
        except FormatError:
            details = {}
    for incident in gone:
        parsed = details.get(incident.provider_id)
        if parsed is not None and parsed.resolved_at is not None:
            writes.store(source, parsed, incident, seen_updates.get(incident.pk, set()))
        else:
            writes.resolve(incident)
