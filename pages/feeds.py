"""Atom feeds of outages: all of them, one service's, one owner's. One entry per
outage (its regional spikes folded in), its state asked of the same status rule
the site's banner uses (Spike.objects.statuses)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from outagewatch import localize
from pages.charts import expected_phrase
from pages.outages import OutageEntry, entries, heads
from reports.models import Service, ServiceGroup
from spikes import phrases
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
    """A feed reader has no zone of ours: UTC, written in the feed's language."""
    return f"{localize.date(moment.astimezone(UTC), 'date_time')} UTC"


class AllOutagesFeed(Feed):
    """In the language of the request (Accept-Language, the cookie or ?lang=), which
    the feed's xml:lang says (Django's Feed reads the active language)."""

    feed_type = Atom1Feed

    def title(self) -> str:
        return _("outagewatch: outages")

    def subtitle(self) -> str:
        return _("Suspected outages of online services, from their users' problem reports.")

    def link(self) -> str:
        return reverse("outage-list")

    def items(self) -> list[Item]:
        return _items(heads())

    def item_title(self, item: Item) -> str:
        if item.status is None or item.status.is_ok:
            state = _("resolved")
        else:
            state = phrases.status(item.status.level)
        head = item.outage.head
        if head.is_confirmed:
            return _("%(outage)s: %(state)s, confirmed by %(who)s") % {
                "outage": item.outage.title,
                "state": state,
                "who": phrases.confirmed_by(head.confirmed_by),
            }
        return f"{item.outage.title}: {state}"

    def item_description(self, item: Item) -> str:
        outage = item.outage
        head = outage.head
        facts = {
            "level": outage.level_phrase,
            "service": outage.service.name,
            "where": outage.where,
            "started": _utc(outage.started_at),
        }
        if outage.ended_at:
            summary = _(
                "User reports indicate %(level)s at %(service)s in %(where)s, started %(started)s, ended %(ended)s."
            )
            facts["ended"] = _utc(outage.ended_at)
        else:
            summary = _(
                "User reports indicate %(level)s at %(service)s in %(where)s, started %(started)s, still open."
            )
        peak = ngettext(
            "Peak minute: %(n)s reporter against %(expected)s.",
            "Peak minute: %(n)s reporters against %(expected)s.",
            head.peak_reports,
        ) % {"n": localize.number(head.peak_reports), "expected": expected_phrase(head.expected_reports)}
        parts = [summary % facts, peak]
        if item.status is not None and item.status.level == StatusLevel.RECOVERING:
            parts.append(
                _("Reports back at their usual level since %(when)s.")
                % {"when": _utc(item.status.recovering_since)}
            )
        if head.people:
            parts.append(
                ngettext("%(n)s person reported.", "%(n)s people reported.", head.people)
                % {"n": localize.number(head.people)}
            )
        if head.related_to_id:
            parts.append(
                _("Possibly related to the %(service)s outage.") % {"service": head.related_to.service.name}
            )
        if head.is_confirmed:
            by = phrases.confirmed_by(head.confirmed_by)
            if head.verdict_note:
                parts.append(_("Confirmed by %(who)s: %(note)s.") % {"who": by, "note": head.verdict_note})
            else:
                parts.append(_("Confirmed by %(who)s.") % {"who": by})
            if head.verdict_url:
                parts.append(_("The provider's incident: %(url)s") % {"url": head.verdict_url})
        else:
            parts.append(_("Suspected from user reports, not confirmed."))
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
        return _("outagewatch: %(service)s outages") % {"service": obj.name}

    def link(self, obj: Service) -> str:
        return reverse("service-detail", args=[obj.slug])

    def items(self, obj: Service) -> list[Item]:
        return _items(heads().filter(service=obj))


class GroupOutagesFeed(AllOutagesFeed):
    def get_object(self, request: HttpRequest, slug: str) -> ServiceGroup:
        return get_object_or_404(ServiceGroup, slug=slug)

    def title(self, obj: ServiceGroup) -> str:
        return _("outagewatch: outages of %(owner)s services") % {"owner": obj.name}

    def link(self, obj: ServiceGroup) -> str:
        return reverse("outage-list") + f"?group={obj.slug}"

    def items(self, obj: ServiceGroup) -> list[Item]:
        return _items(heads().filter(service__group=obj))
