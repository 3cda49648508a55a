"""What a spike page shows: its series with hours either side, its timeline, and
the numbers a journalist quotes. The CSV, PNG and widget draw from the same series.

The times it names are defined once (docs/site.md, the methodology page):
started (the estimated onset), detected (when the detector flagged it), ended
(when reports were back at their usual level) and resolved (when the detector
closed it, after an hour at the usual level).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q

from pages import breakdowns, countrymap
from pages.breakdowns import RegionRow
from pages.charts import expected_phrase
from reports.subdivisions import first_level
from spikes import timeseries
from spikes.models import ALL_REGIONS, Actor, DismissReason, Level, Spike, SpikeChange
from statuspages.matching import incidents_of

# Hours of normal reports drawn either side of the spike, for contrast.
CONTEXT = timedelta(hours=3)
# Bucket size by the length of what is drawn: about 100 to 400 points.
BUCKET_BY_SPAN = [(timedelta(hours=6), 60), (timedelta(hours=30), 300), (timedelta(days=4), 900)]


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    seconds: int

    @property
    def interval(self) -> str:
        return next(name for name, s in timeseries.INTERVALS.items() if s == self.seconds)


def window(spike: Spike, now: datetime) -> Window:
    """The spike from CONTEXT before its onset to CONTEXT after its end (or now),
    at most the 7 days a series may span, in whole buckets."""
    start = spike.started_at - CONTEXT
    end = min((spike.ended_at or now) + CONTEXT, now)
    end = max(end, spike.started_at + timedelta(minutes=1))
    span = end - start
    seconds = next((s for limit, s in BUCKET_BY_SPAN if span <= limit), 3600)
    first = timeseries.floor_to(start, seconds)
    last = timeseries.floor_to(end - timedelta(microseconds=1), seconds) + timedelta(seconds=seconds)
    longest = timedelta(minutes=timeseries.MAX_BUCKETS)
    if last - first > longest:
        # A very long spike: its first week after the context before it.
        last = first + longest
    return Window(first, last, seconds)


def series(spike: Spike, now: datetime) -> tuple[Window, list[timeseries.Bucket]]:
    win = window(spike, now)
    return win, timeseries.buckets(spike.service_id, win.start, win.end, win.seconds, region=spike.region)


@dataclass(frozen=True)
class Peaks:
    """The numbers a journalist quotes, each labelled with its unit."""

    minute: timeseries.Bucket | None  # the minute with most distinct reporters
    five_minutes: timeseries.Bucket | None  # the 5 minutes with most


def peaks(spike: Spike, now: datetime) -> Peaks:
    """The busiest minute and 5 minutes from onset to the end (or now), from the
    per-minute counts the charts draw (counted minutes only)."""
    start = timeseries.floor_to(spike.started_at, 300)
    end = max(spike.ended_at or now, spike.started_at + timedelta(minutes=1))
    end = min(end, start + timedelta(minutes=timeseries.MAX_BUCKETS))
    minutes = [
        b
        for b in timeseries.buckets(spike.service_id, start, end, 60, region=spike.region)
        if b.is_counted and b.start >= spike.started_at
    ]
    fives: dict[datetime, list[timeseries.Bucket]] = {}
    for b in minutes:
        fives.setdefault(timeseries.floor_to(b.start, 300), []).append(b)
    five = [
        timeseries.Bucket(
            start,
            sum(b.reports for b in group),
            sum(b.reporters for b in group),
            None if any(b.expected is None for b in group) else sum(b.expected for b in group),
            None,
            None,
        )
        for start, group in fives.items()
    ]
    busiest = max(minutes, key=lambda b: b.reporters, default=None)
    if busiest is None or busiest.reporters == 0:
        return Peaks(None, None)  # no counts kept for it (older than the counts, or none)
    return Peaks(busiest, max(five, key=lambda b: b.reporters))


@dataclass(frozen=True)
class Event:
    at: datetime
    label: str
    kind: str


# What the timeline calls each change (the words are defined on the methodology
# page: started, detected, ended, resolved).
CHANGE_LABELS = {
    SpikeChange.Kind.OPENED: "Detected",
    SpikeChange.Kind.LEVEL_CHANGED: "Level changed",
    SpikeChange.Kind.RESOLVED: "Resolved: an hour at the usual level, the outage is closed",
    SpikeChange.Kind.CONFIRMED: "Confirmed",
    SpikeChange.Kind.DISMISSED: "Dismissed",
    SpikeChange.Kind.REOPENED: "Reopened: suspected again",
    SpikeChange.Kind.GROUPED: "Grouped into an incident",
    SpikeChange.Kind.RELATED: "Marked possibly related to another outage",
}


def resolved_at(spike: Spike, changes: list[SpikeChange]) -> datetime | None:
    """When the detector closed the spike (an hour of normal reports after its end)."""
    if spike.ended_at is None:
        return None
    closed = [c.at for c in changes if c.kind == SpikeChange.Kind.RESOLVED]
    return max(closed) if closed else spike.ended_at


def timeline(spike: Spike, changes: list[SpikeChange], peaks: Peaks | None = None) -> list[Event]:
    """Start, detection, peak, level changes, end and resolution, in order of time."""
    events = [Event(spike.started_at, "Started: reports began rising (estimated onset)", "onset")]
    kinds = {c.kind for c in changes}
    if SpikeChange.Kind.OPENED not in kinds:
        events.append(Event(spike.detected_at, f"Detected: {Level(spike.level).label.lower()}", "opened"))
    for change in changes:
        label = CHANGE_LABELS.get(change.kind, change.get_kind_display())
        if change.actor == Actor.STAFF:
            label = f"{label} by our staff"  # a staff member's name stays in the admin
        elif change.actor == Actor.PROVIDER:
            label = f"{label} by {change.actor_name or 'the provider'}"
        if change.reason:
            label = f"{label}: {DismissReason(change.reason).label.lower()}"
        if change.level and change.kind != SpikeChange.Kind.RESOLVED:
            label = f"{label}: {Level(change.level).label.lower()}"
        if change.note:
            label = f"{label} ({change.note})"
        events.append(Event(change.at, label, change.kind))
    busiest = peaks.minute if peaks else None
    if busiest is not None:
        events.append(
            Event(
                busiest.start,
                f"Peak minute: {busiest.reporters} reporters"
                + ("" if busiest.expected is None else f" against {expected_phrase(busiest.expected)}"),
                "peak",
            )
        )
    back = spike.ended_at or spike.back_to_normal_at
    if back is not None:
        label = (
            "Ended: reports back at their usual level"
            if spike.ended_at
            else ("Recovering: reports back at their usual level (closed after an hour of it)")
        )
        events.append(Event(back, label, "ended"))
    if spike.ended_at and SpikeChange.Kind.RESOLVED not in kinds:
        events.append(Event(spike.ended_at, CHANGE_LABELS[SpikeChange.Kind.RESOLVED], "resolved"))
    events.extend(provider_events(spike))
    order = {"onset": 0, "opened": 1, "peak": 2, "ended": 3}
    return sorted(events, key=lambda e: (e.at, order.get(e.kind, 4)))


# A provider's update is quoted on the timeline up to this many characters.
QUOTE_LENGTH = 280


def provider_events(spike: Spike) -> list[Event]:
    """The provider's own words on the outage, from the incidents matched to it:
    each update where it was published, and the resolution."""
    events = []
    for incident in incidents_of(spike):
        name = incident.source.name
        updates = list(incident.updates.all())
        if not updates:
            events.append(Event(incident.acknowledged_at, f"{name}: “{incident.title}”", "provider"))
        for update in updates:
            words = update.body if len(update.body) <= QUOTE_LENGTH else update.body[: QUOTE_LENGTH - 1] + "…"
            status = update.status.replace("_", " ").capitalize() or "Update"
            events.append(
                Event(update.at, f"{name}, “{incident.title}”: {status}. {words}".strip(), "provider")
            )
        if incident.resolved_at and not any(u.at == incident.resolved_at for u in updates):
            events.append(Event(incident.resolved_at, f"{name}: “{incident.title}” resolved", "provider"))
    return events


def duration(spike: Spike, now: datetime) -> timedelta:
    return (spike.ended_at or now) - spike.started_at


def outage_parts(spike: Spike) -> list[Spike]:
    """The other spikes of the same outage of this service (its regions, or the
    all-regions spike it is part of)."""
    head_id = spike.part_of_id or spike.pk
    others = Spike.objects.filter(Q(pk=head_id) | Q(part_of_id=head_id)).exclude(pk=spike.pk)
    return list(others.order_by("region", "started_at"))


def related_spikes(spike: Spike) -> list[Spike]:
    """The other spikes of its incident, what it is possibly related to, and the
    spikes that ride on it."""
    found: dict[int, Spike] = {}
    if spike.incident_id:
        # Its own service's other spikes are the same outage (outage_parts), not related.
        for other in spike.incident.spikes.exclude(service_id=spike.service_id).select_related("service"):
            found[other.pk] = other
    if spike.related_to_id:
        found[spike.related_to_id] = spike.related_to
    for other in spike.sympathetic_spikes.select_related("service"):
        found[other.pk] = other
    return sorted(found.values(), key=lambda s: s.started_at)


def map_countries(spike: Spike) -> list[str]:
    """The countries of the spike whose subdivisions can be shown, most reports
    first: its own country, or the countries of an all-regions spike with a map."""
    if spike.region != ALL_REGIONS:
        return [spike.region] if first_level(spike.region) else []
    ranked = sorted(spike.regions.items(), key=lambda kv: -kv[1])
    return [code for code, _ in ranked if countrymap.has_map(code)]


def where_in_country(spike: Spike, country: str, now: datetime) -> list[RegionRow]:
    """Distinct reporters by subdivision of `country` from the spike's onset to its
    end (or the last counted minute), against what was expected there, most first."""
    start = timeseries.floor_to(spike.started_at, 60)
    end = timeseries.counted_edge(now, 60)
    if spike.ended_at is not None:
        end = min(end, timeseries.floor_to(spike.ended_at, 60) + timedelta(minutes=1))
    if end <= start:
        return []
    names = first_level(country)
    rows = [
        RegionRow(code, names.get(code, code), n, expected)
        for code, n, expected in breakdowns.subdivisions_between(spike.service, country, start, end)
    ]
    return sorted(rows, key=breakdowns.REGION_SORTS["reports"])
