"""From spike changes to messages, without the detector knowing alerts exist.

1. `collect` reads new SpikeChange rows and makes one AlertEvent per spike and
   phase: detected (the spike reaches "problems detected", the first time only),
   confirmed, and, for a spike whose opening was told, resolved or dismissed (a
   correction). A dismissed spike never sends "detected".
2. `fan_out_page` turns one page of an event's audience into Notification rows,
   one per (subscriber, topic, phase): the unique constraint makes a page run
   twice (a retry, a second worker) create nothing twice, and the event's cursor
   moves in the same transaction as the rows it covers. Openings go to followers;
   closings go only to the subscribers an opening of the topic went to.
3. Caps are decided here, once: a subscriber hears of at most ALERTS_HOURLY_LIMIT
   new outages an hour (a flapping series opens a new spike each time), and gets
   at most ALERTS_DAILY_LIMIT messages a day; a message over a cap is stored as
   "capped", never sent later.

Senders (alerts.delivery) then claim pending rows, oldest first.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Value
from django.utils import timezone

from alerts.models import (
    OPENINGS,
    AlertCursor,
    AlertEvent,
    Follow,
    Notification,
    NotificationStatus,
    Phase,
    SubscriberStatus,
)
from spikes.models import Level, Spike, SpikeChange, Verdict

# Changes become visible when their detection transaction commits, up to 120 s
# after their id was handed out (detect_chunk's time limit): read again above the
# highest id seen this long ago.
LOOKBACK_SECONDS = 300
CHANGE_KINDS = [
    SpikeChange.Kind.OPENED,
    SpikeChange.Kind.LEVEL_CHANGED,
    SpikeChange.Kind.CONFIRMED,
    SpikeChange.Kind.RESOLVED,
    SpikeChange.Kind.DISMISSED,
]
# A message "in flight" counts towards the caps and earns its closing.
LIVE = [NotificationStatus.PENDING, NotificationStatus.SENDING, NotificationStatus.SENT]
TOLD = [NotificationStatus.SENDING, NotificationStatus.SENT]


# --- events ------------------------------------------------------------------------


def phase_of(change: SpikeChange, told: bool) -> str | None:
    """The phase a change starts, if any; `told` says whether an opening of its
    spike was already made."""
    kind = change.kind
    if kind in (SpikeChange.Kind.OPENED, SpikeChange.Kind.LEVEL_CHANGED):
        return Phase.DETECTED if change.level == Level.DANGER else None
    if kind == SpikeChange.Kind.CONFIRMED:
        return Phase.CONFIRMED
    if kind == SpikeChange.Kind.RESOLVED:
        return Phase.RESOLVED if told else None
    return Phase.DISMISSED if told else None


def _floor(seen: list[list], now: float) -> int:
    old = [top for at, top in seen if at <= now - LOOKBACK_SECONDS]
    return max(old) if old else min((top for _, top in seen), default=0)


def _advance(seen: list[list], now: float, top: int) -> list[list]:
    """Keep the entries of the lookback window and the newest one older than it."""
    recent = [entry for entry in seen if entry[0] > now - LOOKBACK_SECONDS]
    older = [entry for entry in seen if entry[0] <= now - LOOKBACK_SECONDS][-1:]
    return [*older, *recent, [now, top]]


def collect(now: datetime | None = None) -> list[int]:
    """Make the events of new spike changes; returns the new events' ids."""
    now = now or timezone.now()
    stamp = now.timestamp()
    with transaction.atomic():
        cursor, created = AlertCursor.objects.select_for_update().get_or_create(pk=1)
        top = SpikeChange.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        if created:
            # The first run starts from now: outages from before alerts existed are not news.
            cursor.seen = [[stamp, top]]
            cursor.save()
            return []
        changes = list(
            SpikeChange.objects.filter(
                pk__gt=_floor(cursor.seen, stamp), kind__in=CHANGE_KINDS, alert_event__isnull=True
            )
            .select_related("spike")
            .order_by("pk")
        )
        told = set(
            AlertEvent.objects.filter(
                spike_id__in={c.spike_id for c in changes}, phase__in=OPENINGS
            ).values_list("spike_id", flat=True)
        )
        new: list[int] = []
        for change in changes:
            phase = phase_of(change, change.spike_id in told)
            if phase is None or (phase == Phase.DETECTED and change.spike.verdict == Verdict.DISMISSED):
                continue
            event, made = AlertEvent.objects.get_or_create(
                spike=change.spike,
                phase=phase,
                defaults={"change": change, "note": change.note, "created_at": now},
            )
            if phase in OPENINGS:
                told.add(change.spike_id)
            if made:
                new.append(event.pk)
        cursor.seen = _advance(cursor.seen, stamp, max([top, *(c.pk for c in changes)]))
        cursor.save()
    return new


# --- topics ------------------------------------------------------------------------


def spike_topic(spike: Spike) -> str:
    return f"spike:{spike.pk}"


def group_episode(spike: Spike) -> list[Spike]:
    """The spikes of the spike's group, in its region, that are one outage with it
    (its incident's), first first; a spike outside an incident is alone."""
    if spike.incident_id is None or spike.service.group_id is None:
        return [spike]
    return list(
        Spike.objects.filter(
            incident_id=spike.incident_id, service__group_id=spike.service.group_id, region=spike.region
        )
        .select_related("service")
        .order_by("pk")
    )


def group_topic(spike: Spike, episode: list[Spike]) -> str:
    """Named after the episode's first spike: WhatsApp's spike at 11:03 and
    Instagram's joining it at 11:08 are one topic, so one message."""
    return f"group:{spike.service.group_id}:spike:{episode[0].pk}"


def closing_reaches_group(event: AlertEvent, episode: list[Spike]) -> bool:
    """A group follower hears "resolved" once the whole episode is over, and a
    correction only when the dismissed spike was the whole episode."""
    if event.phase == Phase.RESOLVED:
        return all(s.ended_at is not None for s in episode)
    return len(episode) == 1


# --- fan-out -----------------------------------------------------------------------


@dataclass
class Page:
    """What one page of a fan-out made: new pending messages per medium."""

    made: Counter = field(default_factory=Counter)
    done: bool = False


def _merged(querysets: list, cursor: int, size: int) -> list[tuple]:
    """The next `size` rows by id above `cursor` of several querysets, each read
    as a range of its own index ((service, region, id), (topic, id)...): an OR of
    them in one query would scan and sort every row above the cursor, page after
    page, which grows with the square of the audience."""
    rows = [row for queryset in querysets for row in queryset.filter(pk__gt=cursor).order_by("pk")[:size]]
    return sorted(rows)[:size]


def _audience_of_opening(
    event: AlertEvent, topics: dict[str, str], size: int
) -> list[tuple[int, int, str, str]]:
    """(follow id, subscriber id, medium, topic) of the next page of followers."""
    spike = event.spike
    followers = Follow.objects.filter(region=spike.region, subscriber__status=SubscriberStatus.ACTIVE)
    audiences = [followers.filter(service_id=spike.service_id).annotate(kind=Value("service"))]
    if "group" in topics:
        audiences.append(followers.filter(group_id=spike.service.group_id).annotate(kind=Value("group")))
    columns = ("pk", "subscriber_id", "subscriber__medium", "kind")
    rows = _merged([audience.values_list(*columns) for audience in audiences], event.cursor, size)
    return [(pk, sub, medium, topics[kind]) for pk, sub, medium, kind in rows]


def _audience_of_closing(
    event: AlertEvent, topics: dict[str, str], size: int
) -> list[tuple[int, int, str, str]]:
    """(notification id, subscriber id, medium, topic) of those told the opening."""
    told = Notification.objects.filter(
        phase__in=OPENINGS, status__in=TOLD, subscriber__status=SubscriberStatus.ACTIVE
    )
    columns = ("pk", "subscriber_id", "medium", "topic")
    return _merged(
        [told.filter(topic=topic).values_list(*columns) for topic in topics.values()], event.cursor, size
    )


def topics_of(event: AlertEvent) -> dict[str, str]:
    """{"service": topic, "group": topic} of the event's audiences."""
    spike = event.spike
    topics = {"service": spike_topic(spike)}
    if spike.service.group_id:
        episode = group_episode(spike)
        if event.is_opening or closing_reaches_group(event, episode):
            topics["group"] = group_topic(spike, episode)
    return topics


def _statuses(rows: list[tuple[int, str]], phase: str, now: datetime) -> list[str]:
    """Pending, or capped, for each (subscriber, topic) in order."""
    subscribers = {sub for sub, _ in rows}
    counts = {
        row["subscriber_id"]: row
        for row in Notification.objects.filter(
            subscriber_id__in=subscribers, created_at__gte=now - timedelta(days=1), status__in=LIVE
        )
        .values("subscriber_id")
        .annotate(
            day=Count("id"),
            hour=Count(
                "topic", distinct=True, filter=Q(created_at__gte=now - timedelta(hours=1), phase__in=OPENINGS)
            ),
        )
    }
    known: set[tuple[int, str]] = set()
    if phase in OPENINGS:
        known = set(
            Notification.objects.filter(
                subscriber_id__in=subscribers, topic__in={t for _, t in rows}, phase__in=OPENINGS
            ).values_list("subscriber_id", "topic")
        )
    day = Counter({sub: c["day"] for sub, c in counts.items()})
    hour = Counter({sub: c["hour"] for sub, c in counts.items()})
    statuses = []
    for sub, topic in rows:
        new_topic = phase in OPENINGS and (sub, topic) not in known
        if day[sub] >= settings.ALERTS_DAILY_LIMIT or (
            new_topic and hour[sub] >= settings.ALERTS_HOURLY_LIMIT
        ):
            statuses.append(NotificationStatus.CAPPED)
            continue
        statuses.append(NotificationStatus.PENDING)
        day[sub] += 1
        hour[sub] += new_topic
    return statuses


def fan_out_page(event_id: int, now: datetime | None = None, size: int | None = None) -> Page:
    """Make the messages of the next page of an event's audience."""
    now = now or timezone.now()
    size = size or settings.ALERTS_BATCH_SIZE
    page = Page()
    with transaction.atomic():
        event = AlertEvent.objects.select_for_update().select_related("spike__service").get(pk=event_id)
        spike = event.spike
        over = spike.ended_at is not None or spike.verdict == Verdict.DISMISSED
        if event.fanned_out_at or (event.is_opening and over):
            # An outage over before it could be told is not news; its messages
            # still pending are skipped by the senders.
            event.fanned_out_at = event.fanned_out_at or now
            event.save(update_fields=["fanned_out_at"])
            page.done = True
            return page
        topics = topics_of(event)
        audience = (_audience_of_opening if event.is_opening else _audience_of_closing)(event, topics, size)
        if not audience:
            event.fanned_out_at = now
            event.save(update_fields=["fanned_out_at"])
            page.done = True
            return page
        pairs = list(dict.fromkeys((sub, topic) for _, sub, _, topic in audience))
        media = {sub: medium for _, sub, medium, _ in audience}
        statuses = _statuses(pairs, event.phase, now)
        Notification.objects.bulk_create(
            [
                Notification(
                    subscriber_id=sub,
                    event=event,
                    topic=topic,
                    phase=event.phase,
                    medium=media[sub],
                    status=status,
                    created_at=now,
                )
                for (sub, topic), status in zip(pairs, statuses)
            ],
            ignore_conflicts=True,
        )
        page.made.update(
            media[sub] for (sub, _), status in zip(pairs, statuses) if status == NotificationStatus.PENDING
        )
        event.cursor = audience[-1][0]
        event.save(update_fields=["cursor"])
    return page
