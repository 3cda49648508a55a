"""What a spike page shows: its series with hours either side, its timeline, and
the numbers a journalist quotes. The CSV, PNG and widget draw from the same series."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from spikes import timeseries
from spikes.models import Actor, DismissReason, Level, Spike, SpikeChange
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
class Event:
    at: datetime
    label: str
    kind: str


CHANGE_LABELS = {
    SpikeChange.Kind.OPENED: "Detected",
    SpikeChange.Kind.LEVEL_CHANGED: "Level changed",
    SpikeChange.Kind.RESOLVED: "Resolved",
    SpikeChange.Kind.CONFIRMED: "Confirmed",
    SpikeChange.Kind.DISMISSED: "Dismissed",
    SpikeChange.Kind.REOPENED: "Reopened: suspected again",
    SpikeChange.Kind.GROUPED: "Grouped into an incident",
    SpikeChange.Kind.RELATED: "Marked possibly related to another outage",
}


def timeline(spike: Spike, changes: list[SpikeChange]) -> list[Event]:
    """Onset, detection, peak, level changes and resolution, in order of time."""
    events = [Event(spike.started_at, "Reports started rising (estimated onset)", "onset")]
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
        if change.level:
            label = f"{label}: {Level(change.level).label.lower()}"
        if change.note:
            label = f"{label} ({change.note})"
        events.append(Event(change.at, label, change.kind))
    events.append(
        Event(
            spike.peak_at,
            f"Peak: {spike.peak_reports} reporters a minute, {spike.expected_reports:.0f} expected",
            "peak",
        )
    )
    if spike.ended_at and SpikeChange.Kind.RESOLVED not in kinds:
        events.append(Event(spike.ended_at, "Resolved", "resolved"))
    events.extend(provider_events(spike))
    order = {"onset": 0, "opened": 1, "peak": 2}
    return sorted(events, key=lambda e: (e.at, order.get(e.kind, 3)))


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


def peak_ratio(spike: Spike) -> float:
    """How many times the expected level the peak minute was."""
    return spike.peak_reports / max(spike.expected_reports, 1.0)


def related_spikes(spike: Spike) -> list[Spike]:
    """The other spikes of its incident, what it is possibly related to, and the
    spikes that ride on it."""
    found: dict[int, Spike] = {}
    if spike.incident_id:
        for other in spike.incident.spikes.exclude(pk=spike.pk).select_related("service"):
            found[other.pk] = other
    if spike.related_to_id:
        found[spike.related_to_id] = spike.related_to
    for other in spike.sympathetic_spikes.select_related("service"):
        found[other.pk] = other
    return sorted(found.values(), key=lambda s: s.started_at)


CSV_HEADER = [
    "bucket_start_utc",
    "reports",
    "distinct_reporters",
    "expected",
    "expected_low",
    "expected_high",
]


def csv_rows(rows: list[timeseries.Bucket]) -> list[list[str]]:
    def num(x: float | None) -> str:
        return "" if x is None else f"{x:g}"

    return [
        [
            b.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            str(b.reports),
            str(b.reporters),
            num(b.expected),
            num(b.low),
            num(b.high),
        ]
        for b in rows
    ]
