"""One outage, one entry: a service's overlapping spikes (all regions and single
regions, grouped by spikes.incidents.join_outage) as the archive, the feeds and
the home page list them, with its countries named."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, QuerySet

from reports.models import Region, Service
from spikes.models import ALL_REGIONS, Level, Spike, Verdict


def region_names() -> dict[str, str]:
    """{ISO code: country name}: one query of ~250 short rows."""
    return dict(Region.objects.values_list("code", "name"))


def heads() -> QuerySet[Spike]:
    """The spikes that head an outage, each with its other spikes prefetched."""
    parts = Spike.objects.order_by("region", "started_at")
    return (
        Spike.objects.outages()
        .with_recovery()
        .select_related("service", "incident__group", "related_to__service")
        .prefetch_related(Prefetch("parts", queryset=parts))
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
    def state(self) -> str:
        """ "Ongoing", "Recovering" (reports back at the usual level, not closed
        yet), or "Ended": the lifecycle (the verdict is apart, `verdict_label`)."""
        if self.ended_at is not None:
            return "Ended"
        if all(s.back_to_normal_at or s.ended_at for s in self.spikes):
            return "Recovering"
        return "Ongoing"

    @property
    def verdict_label(self) -> str:
        """ "Suspected", "Confirmed by the provider", "Dismissed: report bombing"."""
        head = self.head
        if head.confirmed_by:
            return f"Confirmed by {head.get_confirmed_by_display().lower()}"
        if head.dismissed_reason:
            return f"Dismissed: {head.get_dismissed_reason_display().lower()}"
        return head.get_verdict_display()

    @property
    def countries(self) -> list[str]:
        """The names of the regions with a spike of their own, by name."""
        codes = {s.region for s in self.spikes if s.region != ALL_REGIONS}
        return sorted(self.region_names.get(code, code) for code in codes)

    @property
    def everywhere(self) -> bool:
        return any(s.region == ALL_REGIONS for s in self.spikes)

    @property
    def where(self) -> str:
        """ "all regions", "Brazil", "Brazil and India", "all regions (most in Brazil, India)"."""
        countries = self.countries
        if not self.everywhere:
            return and_list(countries)
        return "all regions" + (f" (spiking most in {and_list(countries)})" if countries else "")

    @property
    def title(self) -> str:
        """ "WhatsApp", "WhatsApp in Brazil", "WhatsApp in Brazil and India"."""
        name = self.service.name
        return name if self.everywhere else f"{name} in {and_list(self.countries)}"

    @property
    def peak_reports(self) -> int:
        return self.head.peak_reports

    @property
    def expected_reports(self) -> float:
        return self.head.expected_reports


def and_list(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def entries(spikes: list[Spike], names: dict[str, str] | None = None) -> list[OutageEntry]:
    """The entries of spikes from heads() (their parts prefetched); dismissed
    parts are left out."""
    names = region_names() if names is None else names
    return [
        OutageEntry([head, *(s for s in head.parts.all() if s.verdict != Verdict.DISMISSED)], names)
        for head in spikes
    ]
