"""One outage, one entry: a service's overlapping spikes (all regions and single
regions, grouped by spikes.incidents.join_outage) as the archive, the feeds and
the home page list them, with its countries named."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from pages.fragments import per_catalog
from reports import names as localnames
from reports.models import Region, Service
from spikes import phrases
from spikes.models import ALL_REGIONS, Level, Spike, Verdict


def region_names() -> dict[str, str]:
    """{ISO code: country name in the reader's language}: ~250 short rows read and
    translated once per language and catalog snapshot (shared: never change it)."""
    language = get_language() or settings.LANGUAGE_CODE
    return per_catalog(
        "region-names",
        language,
        lambda: localnames.countries(dict(Region.objects.values_list("code", "name"))),
    )


def heads(recovery: bool = True) -> QuerySet[Spike]:
    """The spikes that head an outage, each with its other spikes prefetched; with
    `recovery`, whether open ones are back to normal (a join on their series: lists
    of ended outages go without, which halves the time PostgreSQL takes to plan
    the query, 4 to 7 ms of an edition's home on the 1.6 M benchmark)."""
    parts = Spike.objects.order_by("region", "started_at")
    spikes = Spike.objects.outages().with_recovery() if recovery else Spike.objects.outages()
    return spikes.select_related("service", "incident__group", "related_to__service").prefetch_related(
        Prefetch("parts", queryset=parts)
    )


@dataclass(frozen=True)
class OutageEntry:
    # The spike heading the outage first, then the others of the same service.
    spikes: list[Spike]
    region_names: dict[str, str]

    @property
    def head(self) -> Spike:
        return self.spikes[0]

    @property
    def service(self) -> Service:
        return self.head.service

    @property
    def started_at(self) -> datetime:
        return min(s.started_at for s in self.spikes)

    @property
    def ended_at(self) -> datetime | None:
        """None while any of its spikes is open."""
        ends = [s.ended_at for s in self.spikes]
        return None if any(e is None for e in ends) else max(ends)

    @property
    def level(self) -> str:
        return Level.DANGER if any(s.level == Level.DANGER for s in self.spikes) else Level.WARNING

    @property
    def level_label(self) -> str:
        return Level(self.level).label

    @property
    def level_phrase(self) -> str:
        """The level in a sentence ("possible problems")."""
        return phrases.level(self.level)

    @property
    def state(self) -> str:
        """ "Ongoing", "Recovering" (reports back at the usual level, not closed
        yet), or "Ended": the lifecycle (the verdict is apart, `verdict_label`)."""
        if self.ended_at is not None:
            return _("Ended")
        if all(s.back_to_normal_at or s.ended_at for s in self.spikes):
            return _("Recovering")
        return _("Ongoing")

    @property
    def verdict_label(self) -> str:
        """ "Suspected", "Confirmed by the provider", "Dismissed: report bombing"."""
        head = self.head
        if head.confirmed_by:
            return _("Confirmed by %(who)s") % {"who": phrases.confirmed_by(head.confirmed_by)}
        if head.dismissed_reason:
            return _("Dismissed: %(reason)s") % {"reason": phrases.dismiss_reason(head.dismissed_reason)}
        return head.get_verdict_display()

    @property
    def countries(self) -> list[str]:
        """The names of the regions with a spike of their own, by name."""
        codes = {s.region for s in self.spikes if s.region != ALL_REGIONS}
        return sorted((self.region_names.get(code, code) for code in codes), key=localnames.sort_key)

    @property
    def everywhere(self) -> bool:
        return any(s.region == ALL_REGIONS for s in self.spikes)

    @property
    def where(self) -> str:
        """ "all regions", "Brazil", "Brazil and India", "all regions (most in Brazil, India)"."""
        countries = self.countries
        if not self.everywhere:
            return in_countries(countries)
        if not countries:
            return _("all regions")
        return _("all regions (spiking most in %(countries)s)") % {"countries": in_countries(countries)}

    @property
    def title(self) -> str:
        """ "WhatsApp", "WhatsApp in Brazil", "WhatsApp in Brazil and India"."""
        name = self.service.name
        if self.everywhere:
            return name
        return _("%(service)s in %(countries)s") % {
            "service": name,
            "countries": in_countries(self.countries),
        }

    @property
    def peak_reports(self) -> int:
        return self.head.peak_reports

    @property
    def expected_reports(self) -> float:
        return self.head.expected_reports


def in_countries(names: list[str]) -> str:
    """Country names as they follow "in": "the United States and Brazil"."""
    return and_list([localnames.in_sentence(name) for name in names])


def and_list(items: list[str]) -> str:
    """ "Brazil", "Brazil and India", "Brazil, India and Spain", in the reader's language."""
    if len(items) <= 1:
        return "".join(items)
    return _("%(first)s and %(last)s") % {"first": ", ".join(items[:-1]), "last": items[-1]}


def entries(spikes: list[Spike], names: dict[str, str] | None = None) -> list[OutageEntry]:
    """The entries of spikes from heads() (their parts prefetched); dismissed
    parts are left out."""
    names = region_names() if names is None else names
    return [
        OutageEntry([head, *(s for s in head.parts.all() if s.verdict != Verdict.DISMISSED)], names)
        for head in spikes
    ]
