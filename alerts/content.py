"""What an alert says: built once per event (and per group, for group followers),
then worded for each subscriber's time zone and language by the mail and push
formats (in `translation.override(subscriber.language)`) and by the newsroom
channels (English, like the partner API). The names it holds are English (the
database's); each is put in the active language as it is worded."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from alerts.links import absolute
from alerts.models import AlertEvent, Phase
from outagewatch import localize
from reports import names as localnames
from reports.models import ProblemType, Region, ServiceGroup
from spikes import phrases
from spikes.models import ConfirmedBy, Level, Spike

TOP_PROBLEMS = 3
TOP_COUNTRIES = 3


@dataclass(frozen=True)
class Alert:
    phase: str
    subject: str  # who: "WhatsApp", or "Meta (WhatsApp, Instagram)" for a group
    service_names: tuple[str, ...]
    region: str  # "" for everywhere
    region_name: str  # in English, as the database has it
    level: str  # a spikes.models.Level
    started_at: datetime
    ended_at: datetime | None
    countries: tuple[str, ...]  # English names
    problems: tuple[tuple[str, int], ...]  # (English name, percent), largest first
    confirmed_by: str  # "", "staff" or "provider"
    note: str  # the provider's or our staff's word
    related_to: str  # the bigger outage this one is possibly part of
    url: str  # the spike page

    @property
    def title(self) -> str:
        facts = {"subject": self.subject_where, "who": self.confirmer}
        if self.phase == Phase.DETECTED:
            return _("Problems at %(subject)s") % facts
        if self.phase == Phase.CONFIRMED:
            return _("%(subject)s outage confirmed by %(who)s") % facts
        if self.phase == Phase.RESOLVED:
            return _("%(subject)s: the problems are over") % {"subject": self.subject}
        return _("Correction: no %(subject)s outage") % {"subject": self.subject}

    @property
    def is_confirmed(self) -> bool:
        return bool(self.confirmed_by) or self.phase == Phase.CONFIRMED

    @property
    def disclaimer(self) -> str:
        """What the reader should know about the evidence."""
        if self.is_confirmed:
            return _("Confirmed by %(who)s.") % {"who": self.confirmer}
        return _("A spike in user reports is a suspected outage, not an official confirmation.")

    @property
    def subject_where(self) -> str:
        """ "WhatsApp", or "WhatsApp in India", in the active language."""
        if not self.region:
            return self.subject
        return _("%(service)s in %(country)s") % {
            "service": self.subject,
            "country": localnames.in_sentence(localnames.country(self.region_name)),
        }

    @property
    def confirmer(self) -> str:
        return phrases.confirmed_by(ConfirmedBy.PROVIDER if self.confirmed_by == ConfirmedBy.PROVIDER else "")

    def summary(self, zone: str) -> str:
        """One or two sentences: the body of a push message, the lead of a mail."""
        facts = {"subject": self.subject_where, "since": when(self.started_at, zone), "who": self.confirmer}
        if self.phase == Phase.DETECTED:
            return _("User reports indicate problems at %(subject)s since %(since)s.") % facts
        if self.phase == Phase.CONFIRMED:
            if self.confirmed_by == ConfirmedBy.PROVIDER:
                return _("The provider confirmed the problems at %(subject)s, which began %(since)s.") % facts
            return _("Our staff confirmed the problems at %(subject)s, which began %(since)s.") % facts
        if self.phase == Phase.RESOLVED:
            if self.ended_at:
                facts["until"] = when(self.ended_at, zone)
                return _("The problems at %(subject)s that began at %(since)s ended at %(until)s.") % facts
            return _("The problems at %(subject)s that began at %(since)s are over.") % facts
        return (
            _("We told you of problems at %(subject)s since %(since)s: our staff found it was not an outage.")
            % facts
        )

    def facts(self, zone: str) -> list[tuple[str, str]]:
        """(label, value) lines for the mail body and the channels' cards."""
        services = ngettext("Service", "Services", len(self.service_names))
        facts = [(services, ", ".join(self.service_names))]
        facts.append((_("Since"), when(self.started_at, zone)))
        if self.ended_at and self.phase == Phase.RESOLVED:
            facts.append((_("Until"), when(self.ended_at, zone)))
        facts.append((_("Level"), str(Level(self.level).label)))
        if self.countries:
            facts.append((_("Countries"), ", ".join(localnames.country(name) for name in self.countries)))
        if self.problems:
            problems = ", ".join(
                f"{localnames.problem(name)} {localize.percent(share / 100)}" for name, share in self.problems
            )
            facts.append((_("Top problems"), problems))
        if self.confirmed_by:
            facts.append((_("Confirmed by"), self.confirmer))
        if self.note:
            facts.append(
                (_("Their word") if self.confirmed_by == ConfirmedBy.PROVIDER else _("Note"), self.note)
            )
        if self.related_to:
            facts.append(
                (_("Possibly related to"), _("the %(service)s outage") % {"service": self.related_to})
            )
        return facts


def when(moment: datetime, zone: str) -> str:
    """'Wed 4 Mar, 12:15 CET (11:15 UTC)', or '11:15 UTC' alone for UTC readers."""
    utc = moment.astimezone(UTC)
    try:
        local = moment.astimezone(zoneinfo.ZoneInfo(zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        local = utc
    if local.utcoffset() == utc.utcoffset() and zone in ("UTC", "Etc/UTC", ""):
        return f"{localize.date(utc, 'weekday_day_time')} UTC"
    return f"{localize.date(local, 'weekday_day_time')} {local.tzname()} ({localize.date(utc, 'time')} UTC)"


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
        level=spike.level,
        started_at=min(s.started_at for s in (group_spikes or [spike])),
        ended_at=spike.ended_at,
        countries=tuple(_names(spike.regions, regions, TOP_COUNTRIES, percent=False)),
        problems=tuple(_names(spike.problems, dict(problems), TOP_PROBLEMS, percent=True)),
        confirmed_by=spike.confirmed_by if event.phase != Phase.DISMISSED else "",
        note=event.note,
        related_to=related,
        url=absolute(reverse("spike-detail", args=[spike.pk])),
    )
