"""What an alert says: built once per event (and per group, for group followers),
then worded for each subscriber's time zone by the mail and push formats and
by the newsroom channels."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime

from django.urls import reverse

from alerts.links import absolute
from alerts.models import AlertEvent, Phase
from reports.models import ProblemType, Region, ServiceGroup
from spikes.models import ConfirmedBy, Spike

TOP_PROBLEMS = 3
TOP_COUNTRIES = 3


@dataclass(frozen=True)
class Alert:
    phase: str
    subject: str  # who: "WhatsApp", or "Meta (WhatsApp, Instagram)" for a group
    service_names: tuple[str, ...]
    region: str  # "" for everywhere
    region_name: str
    level: str
    started_at: datetime
    ended_at: datetime | None
    countries: tuple[str, ...]
    problems: tuple[tuple[str, int], ...]  # (name, percent), largest first
    confirmed_by: str  # "", "staff" or "provider"
    note: str  # the provider's or our staff's word
    related_to: str  # the bigger outage this one is possibly part of
    url: str  # the spike page

    @property
    def title(self) -> str:
        if self.phase == Phase.DETECTED:
            return f"Problems at {self.subject}{self.where}"
        if self.phase == Phase.CONFIRMED:
            return f"{self.subject} outage confirmed by {self.confirmer}"
        if self.phase == Phase.RESOLVED:
            return f"{self.subject}: the problems are over"
        return f"Correction: no {self.subject} outage"

    @property
    def is_confirmed(self) -> bool:
        return bool(self.confirmed_by) or self.phase == Phase.CONFIRMED

    @property
    def disclaimer(self) -> str:
        """What the reader should know about the evidence."""
        if self.is_confirmed:
            return f"Confirmed by {self.confirmer}."
        return "A spike in user reports is a suspected outage, not an official confirmation."

    @property
    def where(self) -> str:
        return f" in {self.region_name}" if self.region else ""

    @property
    def confirmer(self) -> str:
        return "the provider" if self.confirmed_by == ConfirmedBy.PROVIDER else "our staff"

    def summary(self, zone: str) -> str:
        """One or two sentences: the body of a push message, the lead of a mail."""
        since = when(self.started_at, zone)
        if self.phase == Phase.DETECTED:
            return f"User reports indicate problems at {self.subject}{self.where} since {since}."
        if self.phase == Phase.CONFIRMED:
            return (
                f"{self.confirmer.capitalize()} confirmed the problems at {self.subject}{self.where}, "
                f"which began {since}."
            )
        if self.phase == Phase.RESOLVED:
            until = when(self.ended_at, zone) if self.ended_at else "now"
            return f"The problems at {self.subject}{self.where} that began at {since} ended at {until}."
        return (
            f"We told you of problems at {self.subject}{self.where} since {since}: "
            "our staff found it was not an outage."
        )

    def facts(self, zone: str) -> list[tuple[str, str]]:
        """(label, value) lines for the mail body and the channels' cards."""
        facts = [("Service" if len(self.service_names) == 1 else "Services", ", ".join(self.service_names))]
        facts.append(("Since", when(self.started_at, zone)))
        if self.ended_at and self.phase == Phase.RESOLVED:
            facts.append(("Until", when(self.ended_at, zone)))
        facts.append(("Level", self.level))
        if self.countries:
            facts.append(("Countries", ", ".join(self.countries)))
        if self.problems:
            facts.append(("Top problems", ", ".join(f"{name} {share}%" for name, share in self.problems)))
        if self.confirmed_by:
            facts.append(("Confirmed by", self.confirmer))
        if self.note:
            facts.append(("Their word" if self.confirmed_by == ConfirmedBy.PROVIDER else "Note", self.note))
        if self.related_to:
            facts.append(("Possibly related to", f"the {self.related_to} outage"))
        return facts


def when(moment: datetime, zone: str) -> str:
    """'Wed 4 Mar, 12:15 CET (11:15 UTC)', or '11:15 UTC' alone for UTC readers."""
    utc = moment.astimezone(UTC)
    try:
        local = moment.astimezone(zoneinfo.ZoneInfo(zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        local = utc
    day = f"{local:%a} {local.day} {local:%b}"
    if local.utcoffset() == utc.utcoffset() and zone in ("UTC", "Etc/UTC", ""):
        return f"{day}, {utc:%H:%M} UTC"
    return f"{day}, {local:%H:%M} {local.tzname()} ({utc:%H:%M} UTC)"


def _names(shares: dict[str, float], names: dict[str, str], top: int, percent: bool) -> list:
    ranked = sorted(shares.items(), key=lambda item: -item[1])[:top]
    if percent:
        return [(names.get(slug, slug), round(share * 100)) for slug, share in ranked]
    return [names.get(code, code) for code, _ in ranked]


def build(
    event: AlertEvent, group: ServiceGroup | None = None, group_spikes: list[Spike] | None = None
) -> Alert:
    """The alert of an event, as a service follower reads it, or (with `group` and
    the group's spikes of the same episode) as a group follower reads it."""
    spike: Spike = event.spike
    problems = ProblemType.objects.filter(slug__in=list(spike.problems)[:10]).values_list("slug", "name")
    codes = [c for c in [spike.region, *list(spike.regions)[:10]] if c]
    regions = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    related = spike.related_to.service.name if spike.related_to_id else ""
    names: tuple[str, ...] = (spike.service.name,)
    subject = spike.service.name
    if group is not None:
        names = tuple(
            dict.fromkeys(s.service.name for s in sorted(group_spikes or [spike], key=lambda s: s.pk))
        )
        subject = f"{group.name} ({', '.join(names)})"
    return Alert(
        phase=event.phase,
        subject=subject,
        service_names=names,
        region=spike.region,
        region_name=regions.get(spike.region, spike.region),
        level=spike.get_level_display(),
        started_at=min(s.started_at for s in (group_spikes or [spike])),
        ended_at=spike.ended_at,
        countries=tuple(_names(spike.regions, regions, TOP_COUNTRIES, percent=False)),
        problems=tuple(_names(spike.problems, dict(problems), TOP_PROBLEMS, percent=True)),
        confirmed_by=spike.confirmed_by if event.phase != Phase.DISMISSED else "",
        note=event.note,
        related_to=related,
        url=absolute(reverse("spike-detail", args=[spike.pk])),
    )
