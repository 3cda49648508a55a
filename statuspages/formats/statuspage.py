"""Atlassian Statuspage's public API: /api/v2/summary.json and /api/v2/incidents.json.

From the public documentation (https://metastatuspage.com/api and every
Statuspage's own /api page): the summary has `page`, `status` (indicator: none,
minor, major, critical or maintenance, with a description), `components` (each
with a status: operational, degraded_performance, partial_outage, major_outage,
under_maintenance; a component with `group: true` only groups others),
`incidents` (the unresolved ones) and `scheduled_maintenances` (upcoming and in
progress), both with their `incident_updates`. incidents.json lists the latest
incidents, resolved ones included.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from statuspages.formats import (
    INDICATORS,
    MAX_INCIDENTS,
    MAX_UPDATES,
    TITLE_LENGTH,
    Component,
    FormatError,
    Incident,
    Snapshot,
    Update,
    decode_json_text,
    optional_time,
    parse_time,
    plain_text,
    provider_id,
)

COMPONENT_STATUSES = {
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
}
RESOLVED = {"resolved", "postmortem", "completed"}


def _document(body: bytes, content_type: str) -> dict[str, Any]:
    text = decode_json_text(body, content_type)
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as bad:
        raise FormatError(f"the body is not valid JSON ({bad.__class__.__name__}: {str(bad)[:80]})") from None
    if not isinstance(data, dict):
        raise FormatError(f"expected a JSON object, got {type(data).__name__}")
    return data


def _list(data: dict, key: str) -> list:
    value = data.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise FormatError(f"{key} is {type(value).__name__}, not a list")
    return value


def _components(data: dict) -> list[Component]:
    raw = [c for c in _list(data, "components") if isinstance(c, dict)]
    groups = {c.get("id"): plain_text(c.get("name"), TITLE_LENGTH) for c in raw if c.get("group")}
    found = []
    for entry in raw:
        if entry.get("group"):
            continue
        name = plain_text(entry.get("name"), TITLE_LENGTH)
        status = entry.get("status")
        if not name or status not in COMPONENT_STATUSES:
            continue
        found.append(Component(name, status, groups.get(entry.get("group_id"), "")))
    return found


def _update(entry: Any, now: datetime) -> Update:
    if not isinstance(entry, dict):
        raise FormatError("an update is not an object")
    at = entry.get("display_at") or entry.get("created_at")
    return Update(
        provider_id=provider_id(entry.get("id"), "an update's id"),
        status=plain_text(entry.get("status"), 40),
        body=plain_text(entry.get("body"), keep_lines=True),
        at=parse_time(at, "an update's time", now),
    )


def _incident(entry: Any, now: datetime, is_maintenance: bool) -> Incident:
    if not isinstance(entry, dict):
        raise FormatError("not an object")
    ident = provider_id(entry.get("id"))
    title = plain_text(entry.get("name"), TITLE_LENGTH)
    if not title:
        raise FormatError(f"incident {ident} has no name")
    created = parse_time(entry.get("created_at"), f"incident {ident}'s created_at", now)
    started = optional_time(entry.get("started_at"), f"incident {ident}'s started_at", now) or created
    status = plain_text(entry.get("status"), 40)
    if not status:
        raise FormatError(f"incident {ident} has no status")
    updates = tuple(
        sorted(
            (_update(u, now) for u in _list(entry, "incident_updates")[:MAX_UPDATES]),
            key=lambda u: u.at,
        )
    )
    impact = entry.get("impact")
    components = tuple(
        plain_text(c.get("name"), TITLE_LENGTH)
        for c in _list(entry, "components")
        if isinstance(c, dict) and c.get("name")
    )
    scheduled_for = optional_time(entry.get("scheduled_for"), f"incident {ident}'s scheduled_for", now)
    if is_maintenance and scheduled_for is not None:
        started = scheduled_for
    resolved = optional_time(entry.get("resolved_at"), f"incident {ident}'s resolved_at", now)
    if resolved is None and status in RESOLVED:
        resolved = updates[-1].at if updates else now
    return Incident(
        provider_id=ident,
        title=title,
        status=status,
        impact=impact if impact in INDICATORS else "",
        started_at=started if is_maintenance else min(started, created),
        acknowledged_at=min([created, *(u.at for u in updates)]),
        updated_at=optional_time(entry.get("updated_at"), f"incident {ident}'s updated_at", now),
        resolved_at=resolved,
        url=_link(entry.get("shortlink")),
        components=components,
        is_maintenance=is_maintenance,
        scheduled_for=scheduled_for,
        scheduled_until=optional_time(
            entry.get("scheduled_until"), f"incident {ident}'s scheduled_until", now
        ),
        updates=updates,
    )


def _link(value: Any) -> str:
    """Only http(s) links are kept: a javascript: or data: URL never reaches a page."""
    if isinstance(value, str) and value.startswith(("https://", "http://")) and len(value) <= 500:
        return value.strip()
    return ""


def _incidents(data: dict, key: str, now: datetime, problems: list[str]) -> list[Incident]:
    found = []
    for position, entry in enumerate(_list(data, key)[:MAX_INCIDENTS]):
        try:
            found.append(_incident(entry, now, is_maintenance=key == "scheduled_maintenances"))
        except FormatError as bad:
            problems.append(f"{key}[{position}] left out: {bad}")
    return found


def parse_summary(body: bytes, content_type: str, now: datetime) -> Snapshot:
    data = _document(body, content_type)
    status = data.get("status")
    if not isinstance(status, dict):
        raise FormatError("status is missing: not a Statuspage summary.json")
    indicator = status.get("indicator")
    if indicator not in INDICATORS:
        raise FormatError(f"status.indicator is {str(indicator)[:40]!r}, not one of {', '.join(INDICATORS)}")
    problems: list[str] = []
    page = data.get("page") if isinstance(data.get("page"), dict) else {}
    try:
        updated = optional_time(page.get("updated_at"), "page.updated_at", now)
    except FormatError as bad:
        problems.append(str(bad))
        updated = None
    incidents = _incidents(data, "incidents", now, problems)
    incidents += _incidents(data, "scheduled_maintenances", now, problems)
    return Snapshot(
        indicator=indicator,
        description=plain_text(status.get("description"), TITLE_LENGTH),
        components=_components(data),
        incidents=incidents,
        updated_at=updated,
        problems=problems,
        lists_only_unresolved=True,
    )


def parse_incidents(body: bytes, content_type: str, now: datetime) -> tuple[list[Incident], list[str]]:
    """incidents.json: the latest incidents, resolved ones with their resolution."""
    problems: list[str] = []
    return _incidents(_document(body, content_type), "incidents", now, problems), problems


def incidents_url(summary_url: str) -> str | None:
    """Where the same page lists its recent incidents, resolved ones included."""
    if summary_url.endswith("/summary.json"):
        return summary_url[: -len("summary.json")] + "incidents.json"
    return None


def is_maintenance_under_way(incident: Incident) -> bool:
    return incident.is_maintenance and incident.status in ("in_progress", "verifying")
