"""Atom feeds of outages: all of them, one service's, one owner's."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from reports.models import Service, ServiceGroup
from spikes.models import Spike

FEED_ITEMS = 50


def _spikes() -> QuerySet[Spike]:
    return (
        Spike.objects.not_dismissed().select_related("service", "related_to__service").order_by("-started_at")
    )


class AllOutagesFeed(Feed):
    feed_type = Atom1Feed
    title = "outagewatch: outages"
    subtitle = "Suspected outages of online services, from their users' problem reports."

    def link(self) -> str:
        return reverse("outage-list")

    def items(self) -> list[Spike]:
        return list(_spikes()[:FEED_ITEMS])

    def item_title(self, item: Spike) -> str:
        where = f" in {item.region}" if item.region else ""
        state = "resolved" if item.ended_at else item.get_level_display().lower()
        verdict = f", confirmed by {item.get_confirmed_by_display().lower()}" if item.is_confirmed else ""
        return f"{item.service.name}{where}: {state}{verdict}"

    def item_description(self, item: Spike) -> str:
        parts = [
            f"User reports indicate {item.get_level_display().lower()} at {item.service.name} "
            f"from {item.started_at:%Y-%m-%d %H:%M} UTC"
            + (f" to {item.ended_at:%Y-%m-%d %H:%M} UTC." if item.ended_at else ", still open."),
            f"Peak: {item.peak_reports} reporters a minute against {item.expected_reports:.0f} expected.",
        ]
        if item.related_to_id:
            parts.append(f"Possibly related to the {item.related_to.service.name} outage.")
        if item.is_confirmed:
            by = item.get_confirmed_by_display().lower() or "our staff"
            parts.append(f"Confirmed by {by}" + (f": {item.verdict_note}." if item.verdict_note else "."))
            if item.verdict_url:
                parts.append(f"The provider's incident: {item.verdict_url}")
        else:
            parts.append("Suspected from user reports, not confirmed.")
        return " ".join(parts)

    def item_categories(self, item: Spike) -> list[str]:
        """The level and the verdict, for readers that filter on them."""
        return [item.level, item.verdict] + (
            [f"confirmed-by-{item.confirmed_by}"] if item.confirmed_by else []
        )

    def item_link(self, item: Spike) -> str:
        return reverse("spike-detail", args=[item.pk])

    def item_pubdate(self, item: Spike):
        return item.started_at

    def item_updateddate(self, item: Spike):
        return item.ended_at or item.detected_at


class ServiceOutagesFeed(AllOutagesFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Service:
        return get_object_or_404(Service.objects.active(), slug=slug)

    def title(self, obj: Service) -> str:
        return f"outagewatch: {obj.name} outages"

    def link(self, obj: Service) -> str:
        return reverse("service-detail", args=[obj.slug])

    def items(self, obj: Service) -> list[Spike]:
        return list(_spikes().filter(service=obj)[:FEED_ITEMS])


class GroupOutagesFeed(AllOutagesFeed):
    def get_object(self, request: HttpRequest, slug: str) -> ServiceGroup:
        return get_object_or_404(ServiceGroup, slug=slug)

    def title(self, obj: ServiceGroup) -> str:
        return f"outagewatch: outages of {obj.name} services"

    def link(self, obj: ServiceGroup) -> str:
        return reverse("outage-list") + f"?group={obj.slug}"

    def items(self, obj: ServiceGroup) -> list[Spike]:
        return list(_spikes().filter(service__group=obj)[:FEED_ITEMS])
