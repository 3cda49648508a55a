"""RSS and Atom status feeds (feedparser reads both, and tolerates the usual
malformations): one entry is one incident or maintenance.

A feed says nothing about the page's overall status, and it lists past incidents
too, so an entry counts as going on when it is not resolved and was updated in
the last STALE_AFTER; the page's indicator follows from the entries going on.

Statuspage's own feeds (history.rss, history.atom) write every update of an
incident into the entry as "<p><small>Mar 5, 18:10 UTC</small><br><strong>
Resolved</strong> - text</p>"; those are read as updates. Other feeds (AWS,
Google Cloud, Slack) give one text per entry, whose words tell a resolution
("resolved", "operating normally").
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta

import feedparser

from statuspages.formats import (
    MAINTENANCE,
    MAX_INCIDENTS,
    MINOR,
    OPERATIONAL,
    TITLE_LENGTH,
    FormatError,
    Incident,
    Snapshot,
    Update,
    checked_time,
    plain_text,
    provider_id,
)

# An unresolved entry the feed has not touched for a day is old news, not an
# incident going on (feeds keep entries for months, and some never say "resolved").
STALE_AFTER = timedelta(hours=24)
# Entries older than this are history we do not need.
HORIZON = timedelta(days=14)
RESOLVED_WORDS = re.compile(
    r"\b(resolved|completed|operating normally|has been fixed|is fixed|postmortem)\b", re.IGNORECASE
)
MAINTENANCE_WORDS = re.compile(r"\b(maintenance|scheduled)\b", re.IGNORECASE)
_UPDATE = re.compile(
    r"<p>\s*<small>(?P<when>.*?)</small>\s*(?:<br\s*/?>)?\s*<strong>(?P<status>.*?)</strong>\s*-?\s*(?P<body>.*?)</p>",
    re.IGNORECASE | re.DOTALL,
)
_WHEN = re.compile(r"(?P<mon>[A-Z][a-z]{2})\s+(?P<day>\d{1,2}),\s*(?P<hh>\d{1,2}):(?P<mm>\d{2})")
MONTHS = {name: number for number, name in enumerate(calendar.month_abbr) if name}


def _time(parsed, what: str, now: datetime) -> datetime:
    if not parsed:
        raise FormatError(f"{what} is missing or not a date")
    return checked_time(datetime(*parsed[:6], tzinfo=UTC), what, now)


def _update_time(text: str, published: datetime) -> datetime:
    """ "Mar 5, 18:10 UTC" in the entry's year (the year before, for a December
    update of an entry published in January)."""
    found = _WHEN.search(plain_text(text, 80))
    if not found or found["mon"] not in MONTHS:
        return published
    month, year = MONTHS[found["mon"]], published.year
    if month > published.month + 1:
        year -= 1
    try:
        return datetime(year, month, int(found["day"]), int(found["hh"]), int(found["mm"]), tzinfo=UTC)
    except ValueError:
        return published


def _updates(ident: str, summary: str, published: datetime, updated: datetime) -> tuple[Update, ...]:
    found = [
        Update(
            provider_id=f"{ident}#{position}",
            status=plain_text(match["status"], 40).lower(),
            body=plain_text(match["body"], keep_lines=True),
            at=_update_time(match["when"], published),
        )
        for position, match in enumerate(_UPDATE.finditer(summary))
    ]
    if not found:
        text = plain_text(summary, keep_lines=True)
        return (Update(f"{ident}#0", "", text, updated),) if text else ()
    return tuple(sorted(found, key=lambda u: u.at))


def _entry(entry, now: datetime) -> Incident:
    ident = provider_id(entry.get("id") or entry.get("link"), "the entry's id (guid) or link")
    title = plain_text(entry.get("title"), TITLE_LENGTH)
    if not title:
        raise FormatError(f"entry {ident} has no title")
    # dict.get: feedparser's own get() maps a missing field to another, with a warning.
    published_parsed, updated_parsed = dict.get(entry, "published_parsed"), dict.get(entry, "updated_parsed")
    published = _time(published_parsed or updated_parsed, f"entry {ident}'s date", now)
    updated = _time(updated_parsed or published_parsed, f"entry {ident}'s date", now)
    summary = entry.get("summary") or ""
    if not isinstance(summary, str):
        raise FormatError(f"entry {ident}'s text is not text")
    updates = _updates(ident, summary, published, updated)
    latest = updates[-1] if updates else None
    said = f"{title} {latest.status if latest else ''} {latest.body[:300] if latest else ''}"
    status = (latest.status if latest and latest.status else "") or (
        "resolved" if RESOLVED_WORDS.search(said) else "investigating"
    )
    last_activity = max([updated, *(u.at for u in updates)])
    resolved_at = None
    if RESOLVED_WORDS.search(status) or (not latest or not latest.status) and RESOLVED_WORDS.search(said):
        status, resolved_at = "resolved", last_activity
    elif now - last_activity > STALE_AFTER:
        status, resolved_at = "stale", last_activity
    link = entry.get("link") or ""
    # Categories name the products an entry is about (Google's dashboards use them).
    tags = tuple(
        plain_text(t.get("term"), TITLE_LENGTH) for t in entry.get("tags") or [] if isinstance(t, dict)
    )
    return Incident(
        provider_id=ident,
        title=title,
        status=status,
        impact=MAINTENANCE if MAINTENANCE_WORDS.search(title) else "",
        started_at=min([published, *(u.at for u in updates)]),
        acknowledged_at=min([published, *(u.at for u in updates)]),
        updated_at=last_activity,
        resolved_at=resolved_at,
        url=link if isinstance(link, str) and link.startswith(("https://", "http://")) else "",
        is_maintenance=bool(MAINTENANCE_WORDS.search(title)),
        components=tuple(t for t in tags if t),
        updates=updates,
    )


def parse_feed(body: bytes, content_type: str, now: datetime) -> Snapshot:
    # Bytes, never a str: feedparser would take a string for a URL or a file name.
    parsed = feedparser.parse(bytes(body))
    if not parsed.get("version"):
        reason = parsed.get("bozo_exception")
        raise FormatError(
            "the body is not an RSS or Atom feed" + (f" ({str(reason)[:80]})" if reason else "")
        )
    problems = []
    if parsed.get("bozo"):
        problems.append(f"the feed is malformed but readable: {str(parsed.get('bozo_exception'))[:120]}")
    incidents = []
    for position, entry in enumerate(parsed.entries[:MAX_INCIDENTS]):
        try:
            incident = _entry(entry, now)
        except FormatError as bad:
            problems.append(f"entry {position} left out: {bad}")
            continue
        if now - (incident.updated_at or incident.started_at) <= HORIZON:
            incidents.append(incident)
    # A maintenance whose latest word is "scheduled" is yet to come.
    going_on = [i for i in incidents if i.resolved_at is None and i.status != "scheduled"]
    if any(not i.is_maintenance for i in going_on):
        indicator, description = MINOR, "An incident is reported"
    elif going_on:
        indicator, description = MAINTENANCE, "Maintenance under way"
    else:
        indicator, description = OPERATIONAL, "No incident reported"
    return Snapshot(
        indicator=indicator,
        description=description,
        incidents=incidents,
        updated_at=max((i.updated_at for i in incidents if i.updated_at), default=None),
        problems=problems,
    )
