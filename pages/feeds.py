"""Atom feeds of outages: all of them, one service's, one owner's. One entry per
outage (its regional spikes folded in), its state asked of the same status rule
the site's banner uses (Spike.objects.statuses)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from pages.charts import expected_phrase
from pages.outages import OutageEntry, entries, heads
from reports.models import Service, ServiceGroup
from spikes.models import ServiceStatus, Spike, StatusLevel

FEED_ITEMS = 50


@dataclass(frozen=True)
class Item:
    outage: OutageEntry
    status: ServiceStatus | None  # the service's status while the outage is open


def _items(spikes: QuerySet[Spike]) -> list[Item]:
    outages = entries(list(spikes.not_dismissed().order_by("-started_at")[:FEED_ITEMS]))
    open_services = {o.service.pk for o in outages if o.ended_at is None}
    statuses = Spike.objects.statuses(open_services) if open_services else {}
    return [Item(o, statuses.get(o.service.pk) if o.ended_at is None else None) for o in outages]


def _utc(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


class AllOutagesFeed(Feed):
    feed_type = Atom1Feed
    title = "outagewatch: outages"
    subtitle = "Suspected outages of online services, from their users' problem reports."

    def link(self) -> str:
        return reverse("outage-list")

    def items(self) -> list[Item]:
        return _items(heads())

    def item_title(self, item: Item) -> str:
        if item.status is None or item.status.is_ok:
            state = "resolved"
        else:
            state = item.status.label.lower()
        head = item.outage.head
        verdict = f", confirmed by {head.get_confirmed_by_display().lower()}" if head.is_confirmed else ""
        return f"{item.outage.title}: {state}{verdict}"

    def item_description(self, item: Item) -> str:
        outage = item.outage
        head = outage.head
        parts = [
            f"User reports indicate {outage.level_label.lower()} at {outage.service.name} in {outage.where}, "
            f"started {_utc(outage.started_at)}"
            + (f", ended {_utc(outage.ended_at)}." if outage.ended_at else ", still open."),
            f"Peak minute: {head.peak_reports} reporters against {expected_phrase(head.expected_reports)}.",
        ]
        if item.status is not None and item.status.level == StatusLevel.RECOVERING:
            parts.append(f"Reports back at their usual level since {_utc(item.status.recovering_since)}.")
        if head.people:
            parts.append(f"{head.people} people reported.")
        if head.related_to_id:
            parts.append(f"Possibly related to the {head.related_to.service.name} outage.")
        if head.is_confirmed:
            by = head.get_confirmed_by_display().lower() or "our staff"
            parts.append(f"Confirmed by {by}" + (f": {head.verdict_note}." if head.verdict_note else "."))
            if head.verdict_url:
                parts.append(f"The provider's incident: {head.verdict_url}")
        else:
            parts.append("Suspected from user reports, not confirmed.")
        return " ".join(parts)

    def item_categories(self, item: Item) -> list[str]:
        """The level and the verdict, for readers that filter on them."""
        head = item.outage.head
        return [head.level, head.verdict] + (
            [f"confirmed-by-{head.confirmed_by}"] if head.confirmed_by else []
        )

    def item_link(self, item: Item) -> str:
        return reverse("spike-detail", args=[item.outage.head.pk])

    def item_guid(self, item: Item) -> str:
        return reverse("spike-detail", args=[item.outage.head.pk])

    def item_pubdate(self, item: Item) -> datetime:
        return item.outage.started_at

    def item_updateddate(self, item: Item) -> datetime:
        spikes = item.outage.spikes
        moments = [s.detected_at for s in spikes] + [s.ended_at for s in spikes if s.ended_at]
        if item.status is not None and item.status.recovering_since:
            moments.append(item.status.recovering_since)
        return max(moments)


class ServiceOutagesFeed(AllOutagesFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Service:
        return get_object_or_404(Service.objects.active(), slug=slug)

    def title(self, obj: Service) -> str:
        return f"outagewatch: {obj.name} outages"

    def link(self, obj: Service) -> str:
        return reverse("service-detail", args=[obj.slug])

    def items(self, obj: Service) -> list[Item]:
        return _items(heads().filter(service=obj))


class GroupOutagesFeed(AllOutagesFeed):
    def get_object(self, request: HttpRequest, slug: str) -> ServiceGroup:
        return get_object_or_404(ServiceGroup, slug=slug)

    def title(self, obj: ServiceGroup) -> str:
        return f"outagewatch: outages of {obj.name} services"

    def link(self, obj: ServiceGroup) -> str:
        return reverse("outage-list") + f"?group={obj.slug}"

    def items(self, obj: ServiceGroup) -> list[Item]:
        return _items(heads().filter(service__group=obj))
