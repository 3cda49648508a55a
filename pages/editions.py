"""Country editions: /<cc>/ is one country's outagewatch (its services ranked by
that country's reports, its outages, its archive; its service pages draw that
country's series). The global edition stays at /.

Which edition a reader gets is theirs to choose: the address says it, and the
switch on every page moves to the same page in another edition. The remembered
choice (the `edition` cookie, set by the switch) or the browser's language region
(Accept-Language) only *suggest* an edition; no page redirects by them.

Languages are not part of the address of an edition (docs/site.md, "Editions and
languages"): /br/ is Brazil's edition in whatever language the reader reads.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from urllib.parse import urlsplit

import pycountry
from django.conf import settings
from django.db.models import Exists, OuterRef, Q, Sum
from django.http import HttpRequest
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from pages.charts import sparkline
from pages.fragments import counted_part, per_catalog
from pages.homepage import Outage, TopService
from pages.outages import entries, heads
from reports import names as localnames
from reports.catalog import get_catalog
from reports.models import Category, Service
from reports.regions import regions_from_accept_language
from spikes import timeseries
from spikes.models import ALL_REGIONS, Series, SeriesMinute, ServiceStatus, Spike

EDITION_COOKIE = "edition"
EDITION_COOKIE_MAX_AGE = 365 * 24 * 3600
GLOBAL = "global"  # the cookie's value for a reader who chose the global edition
# A country with this many services of its own in the catalog is offered first in
# the switch (every ISO 3166-1 country has an edition).
FEATURED_MIN_SERVICES = 10
TOP_SERVICES = 10
RECENT_RESOLVED = 10


@dataclass(frozen=True)
class Edition:
    code: str  # ISO 3166-1 alpha-2, upper case
    name: str

    @property
    def slug(self) -> str:
        """Its address: /br/."""
        return self.code.lower()


@cache
def _names() -> dict[str, str]:
    # The names the Region table was loaded with (reports/migrations/0002).
    return {c.alpha_2: getattr(c, "common_name", c.name) for c in pycountry.countries}


def edition_for(code: str) -> Edition | None:
    """The edition of an ISO 3166-1 code (any case); None for anything else."""
    code = code.upper()
    if len(code) != 2 or code not in get_catalog().regions:
        return None
    return Edition(code, localnames.country(_names().get(code, code)))


def featured() -> list[Edition]:
    """The countries with FEATURED_MIN_SERVICES services of their own, by name."""
    counts = Counter(
        c for entry in get_catalog().services.values() if entry.is_active for c in entry.countries
    )
    found = (edition_for(code) for code, n in counts.items() if n >= FEATURED_MIN_SERVICES)
    return sorted((e for e in found if e is not None), key=lambda e: localnames.sort_key(e.name))


def every_edition() -> list[Edition]:
    return sorted(
        (e for e in (edition_for(code) for code in get_catalog().regions) if e is not None),
        key=lambda e: localnames.sort_key(e.name),
    )


def chosen(request: HttpRequest) -> str:
    """The reader's remembered choice: an edition's code, GLOBAL, or ""."""
    value = request.COOKIES.get(EDITION_COOKIE, "")
    if value == GLOBAL:
        return GLOBAL
    edition = edition_for(value)
    return edition.code if edition else ""


def suggested(request: HttpRequest) -> Edition | None:
    """The edition to suggest: the remembered choice, else the browser's language
    region; None when the reader chose the global edition or nothing is known."""
    remembered = chosen(request)
    if remembered == GLOBAL:
        return None
    if remembered:
        return edition_for(remembered)
    for code in regions_from_accept_language(request.META.get("HTTP_ACCEPT_LANGUAGE", "")):
        edition = edition_for(code)
        if edition is not None:
            return edition
    return None


# The pages that exist in every edition, by their global name and their edition's.
EQUIVALENT = {
    "home": "edition-home",
    "service-detail": "edition-service",
    "outage-list": "edition-outages",
}
GLOBAL_OF = {edition_name: name for name, edition_name in EQUIVALENT.items()}


def path_in(path: str, edition: Edition | None) -> str:
    """The same page in `edition` (None: the global one), with its query:
    /status/vivo/?range=7d in Brazil is /br/status/vivo/?range=7d; a page that only
    exists once leads to the edition's home."""
    parts = urlsplit(path)
    same = _same_page(parts.path, edition)
    if same is None:
        return reverse("edition-home", kwargs={"cc": edition.slug}) if edition else reverse("home")
    return f"{same}?{parts.query}" if parts.query else same


def _same_page(path: str, edition: Edition | None) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    name = GLOBAL_OF.get(match.url_name, match.url_name)
    if name not in EQUIVALENT:
        return None
    kwargs = {k: v for k, v in match.kwargs.items() if k != "cc"}
    try:
        if edition is None:
            return reverse(name, kwargs=kwargs)
        return reverse(EQUIVALENT[name], kwargs={"cc": edition.slug, **kwargs})
    except NoReverseMatch:
        return None


# --- What an edition's home shows ------------------------------------------------------


@dataclass
class CountryOutages:
    here: list[Outage]  # services with a spike in this country
    worldwide: list[Outage]  # services offered here with a spike in all regions only

    @property
    def any(self) -> bool:
        return bool(self.here or self.worldwide)


def outages_in(country: str, names: dict[str, str]) -> CountryOutages:
    """The open outages that concern the country, one entry per service: its own
    spikes there first; then the all-regions spikes of services offered there. One
    query."""
    offered = Service.objects.offered_in(country).filter(pk=OuterRef("service_id"))
    spikes = (
        Spike.objects.open()
        .with_recovery()
        .filter(Q(region=country) | Q(region=ALL_REGIONS) & Exists(offered))
        .select_related("service", "related_to__service", "incident__group")
    )
    by_service: dict[int, list[Spike]] = {}
    for spike in spikes:
        by_service.setdefault(spike.service_id, []).append(spike)
    here, worldwide = [], []
    for group in by_service.values():
        local = [s for s in group if s.region == country]
        if local:
            here.append(Outage(ServiceStatus.of(local), names))
        else:
            worldwide.append(Outage(ServiceStatus.of(group), names))
    order = {"danger": 0, "warning": 1, "recovering": 2}
    here.sort(key=lambda o: (order.get(o.status.level, 3), o.status.since, o.service.name))
    worldwide.sort(key=lambda o: (order.get(o.status.level, 3), o.status.since, o.service.name))
    return CountryOutages(here, worldwide)


def top_services_in(country: str, now: datetime, limit: int = TOP_SERVICES) -> list[TopService]:
    """The services most reported from the country in the last hour of counted
    minutes (distinct reporters), each with its hour in 5-minute buckets. Three
    queries whatever the limit: the ranking, the services, their minutes."""
    end = timeseries.counted_edge(now, 300)
    # Made once per country and counted 5 minutes (pages.fragments).
    key = f"pages:top:{country}:{int(end.timestamp())}:{limit}"
    return counted_part(key, lambda: _top_services_in(country, end, limit))


def _top_services_in(country: str, end: datetime, limit: int) -> list[TopService]:
    start = end - timedelta(hours=1)
    # The country's series first, then each one's minutes by its (series, minute)
    # index: a join on the region read every series' minutes of the hour, all
    # countries' (10,234 buffers, 6 to 13 ms on the 10 M seed; this way 1,581, 3 ms).
    series = Series.objects.filter(region=country)
    minutes = SeriesMinute.objects.filter(series__in=series, minute__gte=start, minute__lt=end)
    ranked = list(minutes.values("series__service_id").annotate(n=Sum("reporters")).order_by("-n")[:limit])
    services = Service.objects.active().in_bulk([row["series__service_id"] for row in ranked])
    buckets: dict[int, list[int]] = {pk: [0] * 12 for pk in services}
    for service_id, minute, reporters in minutes.filter(series__service_id__in=list(services)).values_list(
        "series__service_id", "minute", "reporters"
    ):
        buckets[service_id][int((minute - start).total_seconds()) // 300] += reporters
    return [
        TopService(services[row["series__service_id"]], row["n"], sparkline(values), values)
        for row in ranked
        if row["series__service_id"] in services
        for values in [buckets[row["series__service_id"]]]
    ]


def recent_resolved_in(country: str, names: dict[str, str], limit: int = RECENT_RESOLVED):
    """The outages that ended last with a spike in the country, one entry each."""
    return entries(
        list(
            heads(recovery=False)
            .filter(in_country(country))
            .filter(ended_at__isnull=False)
            .not_dismissed()
            .exclude(Exists(Spike.objects.filter(part_of=OuterRef("pk"), ended_at__isnull=True)))
            .order_by("-ended_at")[:limit]
        ),
        names,
    )


def in_country(country: str) -> Q:
    """Outages (heads) with a spike in the country: their own, or one of their parts.
    A subquery rather than a join on the parts: no DISTINCT over the spikes (a join
    and DISTINCT cost 16 ms of a 25 ms edition page on the 1.6 M benchmark)."""
    parts = Spike.objects.filter(region=country, part_of__isnull=False).values("part_of_id")
    return Q(region=country) | Q(pk__in=parts)


def services_of(edition: Edition) -> tuple[dict[str, SafeString], dict[str, SafeString]]:
    """(the country's own services, the worldwide ones), active, by category label
    and name, as the <li> links to their pages in the edition: what the edition's
    home lists. Made once per edition, language and catalog snapshot
    (pages.fragments); one query then."""
    language = get_language() or settings.LANGUAGE_CODE
    return per_catalog("services-of", (edition.code, language), lambda: _services_of(edition))


def _services_of(edition: Edition) -> tuple[dict[str, SafeString], dict[str, SafeString]]:
    local: dict[str, list[tuple[str, str]]] = {}
    everywhere: dict[str, list[tuple[str, str]]] = {}
    catalog = get_catalog().services
    rows = Service.objects.active().offered_in(edition.code).order_by("category", "name")
    for slug, name, category in rows.values_list("slug", "name", "category"):
        entry = catalog.get(slug)
        grouped = local if entry is not None and entry.countries else everywhere
        grouped.setdefault(str(Category(category).label), []).append((slug, name))
    pattern = reverse("edition-service", kwargs={"cc": edition.slug, "slug": "-"})
    return service_links(local, pattern), service_links(everywhere, pattern)


def all_services() -> dict[str, SafeString]:
    """Every active service by category label and name, as the <li> links to its
    page: what the global home lists. Made once per language and catalog snapshot."""
    language = get_language() or settings.LANGUAGE_CODE
    return per_catalog("all-services", language, _all_services)


def _all_services() -> dict[str, SafeString]:
    grouped: dict[str, list[tuple[str, str]]] = {}
    for slug, name, category in (
        Service.objects.active().order_by("category", "name").values_list("slug", "name", "category")
    ):
        grouped.setdefault(str(Category(category).label), []).append((slug, name))
    return service_links(grouped, reverse("service-detail", kwargs={"slug": "-"}))


def service_links(grouped: dict[str, list[tuple[str, str]]], pattern: str) -> dict[str, SafeString]:
    """{label: the <li> links of its (slug, name)s}, each address made from `pattern`
    (a service page's address with the slug "-"): one reverse(), not one per
    service (the 250 {% url %} tags of a template loop cost 10 ms a page)."""
    return {
        label: format_html_join(
            "",
            '<li><a href="{}">{}</a></li>',
            ((pattern.replace("/-/", f"/{slug}/"), name) for slug, name in links),
        )
        for label, links in grouped.items()
    }


def country_status(status: ServiceStatus, country: str) -> ServiceStatus:
    """What a country's page says of a service (from Spike.objects.status_for(service,
    country), its spikes there and in all regions): the country's own spikes when it
    has any ("problems detected at WhatsApp in Brazil"), else the all-regions ones."""
    own = [s for s in status.spikes if s.region == country]
    return ServiceStatus.of(own) if own else status


def recent_spikes(service: Service, country: str, limit: int = 10) -> list[Spike]:
    """The service's latest spikes in the country: the country service page's list."""
    return list(
        Spike.objects.filter(service=service, region=country).not_dismissed().order_by("-started_at")[:limit]
    )
