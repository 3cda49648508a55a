"""The public site's pages. Thin: parse the request, ask the domain modules
(spikes.models for the status, status, home, outages, spikepage, charts,
worldmap), render."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from outagewatch.security import embeddable
from pages import charts, countrymap, downloads, editions, guides, incidentpage, spikepage, status, worldmap
from pages import home as home_data
from pages import render as fast
from pages.edition_views import edition_or_response
from pages.editions import Edition
from pages.filters import SpikeFilter
from pages.outages import entries, heads, region_names
from pages.png import chart_png
from pages.ranges import RANGES, ChartRange, parse_chart_range
from pages.templatetags.pages_tags import INTERVAL_WORDS
from pages.timezones import TZ_COOKIE, TZ_COOKIE_MAX_AGE, parse_zone, suggested, zone_choices
from reports.catalog import get_catalog
from reports.models import Category, Region, Report, Service
from reports.subdivisions import first_level
from reports.views import report_form_context
from spikes import timeseries
from spikes.baselines import HISTORY
from spikes.detection import DetectorConfig
from spikes.incidents import WIDESPREAD_OWNERS
from spikes.incidents import WINDOW as INCIDENT_WINDOW
from spikes.models import ALL_REGIONS, Incident, Spike

ARCHIVE_PAGE_SIZE = 25
# A service's PNG is drawn once a minute at most per range and zone (the counts
# change once a minute; a shared link's preview is fetched by every chat app).
PNG_CACHE_SECONDS = 60


def bad_request(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "400.html", {"message": message}, status=400)


def _chart_context(rows: list[timeseries.Bucket], title: str, interval: str, long_range: bool) -> dict:
    chart = charts.line_chart(rows, zone=timezone.get_current_timezone())
    per = INTERVAL_WORDS[interval]
    return {
        "chart": chart,
        "rows": rows,
        "per": per,
        "chart_title": title,
        "chart_svg": fast.chart_svg(chart, rows, title, per, long_range),
        "chart_rows": fast.chart_rows(rows),
    }


def home(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    now = timezone.now()
    context = {"query": query}
    if query:
        slugs = home_data.search(query)
        services = Service.objects.active().in_bulk(slugs, field_name="slug")
        context["matches"] = [services[s] for s in slugs if s in services]
    else:
        names = region_names()
        context.update(
            outages=home_data.outages_now(names),
            top=home_data.top_services(now),
            resolved=home_data.recent_resolved(names),
        )
        by_category: dict[str, list[Service]] = {}
        for service in Service.objects.active().order_by("category", "name"):
            by_category.setdefault(Category(service.category).label, []).append(service)
        context["by_category"] = by_category
    return render(request, "pages/home.html", context)


def methodology(request: HttpRequest) -> HttpResponse:
    """How detection works, with the numbers the live detector uses (not copies)."""
    config = DetectorConfig()
    return render(
        request,
        "pages/methodology.html",
        {
            "config": config,
            "size_minutes": round(config.size_window_seconds / 60),
            "warning_minutes": round(config.warning_duration_seconds / 60),
            "danger_minutes": round(config.danger_duration_seconds / 60),
            "resolve_minutes": round(config.resolve_after_seconds / 60),
            "history_days": HISTORY.days,
            "incident_minutes": round(INCIDENT_WINDOW.total_seconds() / 60),
            "widespread": WIDESPREAD_OWNERS,
            "band_sds": timeseries.BAND_SDS,
            "repeat_minutes": settings.REPORT_REPEAT_WINDOW_SECONDS // 60,
        },
    )


def developers(request: HttpRequest) -> HttpResponse:
    """The partner API's guide (docs/partner-api.md), which the API reference links."""
    return render(request, "pages/developers.html", {"guide": guides.partner_api()})


def _service(request: HttpRequest, slug: str) -> Service | HttpResponse:
    """The service of a /status/<slug>/ URL; a redirect when only the case is
    wrong (/status/WhatsApp/); a 404 naming the services it may have meant."""
    services = Service.objects.active().select_related("group")
    service = services.filter(slug=slug).first()
    if service is not None:
        return service
    if services.filter(slug=slug.lower()).exists():
        return HttpResponseRedirect(
            request.get_full_path().replace(f"/{slug}/", f"/{slug.lower()}/", 1), status=301
        )
    near = home_data.search(slug.replace("-", " "), limit=5)
    suggestions = list(Service.objects.active().filter(slug__in=near).order_by("name"))
    return render(
        request,
        "404.html",
        {"what": f"There is no service “{slug}” here.", "suggestions": suggestions},
        status=404,
    )


def _service_range(
    request: HttpRequest, service: Service, country: str = ALL_REGIONS
) -> tuple[ChartRange, list[timeseries.Bucket]]:
    chart_range = parse_chart_range(request.GET, timezone.now())
    rows = timeseries.buckets(
        service, chart_range.start, chart_range.end, chart_range.seconds, region=country
    )
    return chart_range, rows


@dataclass(frozen=True)
class Scope:
    """Where a service page looks: the world (the global edition) or one country's."""

    edition: Edition | None

    @property
    def country(self) -> str:
        """The country's code, or ALL_REGIONS ("") for the world."""
        return self.edition.code if self.edition else ALL_REGIONS

    @property
    def words(self) -> str:
        """What titles add: " in Brazil", or nothing."""
        return f" in {self.edition.name}" if self.edition else ""


def service_view(view: Callable[[HttpRequest, Service, Scope], HttpResponse]):
    """A service's page or download at /status/<slug>/... or /<cc>/status/<slug>/...:
    the view gets the service and its scope, or the reader the redirect or the 404
    that the address calls for instead (an edition or a service in the wrong case,
    an unknown country, an unknown service)."""

    @wraps(view)
    def resolved(request: HttpRequest, slug: str, cc: str | None = None) -> HttpResponse:
        edition = None
        if cc is not None:
            edition = edition_or_response(request, cc)
            if isinstance(edition, HttpResponse):
                return edition
            request.edition = edition
        service = _service(request, slug)
        if isinstance(service, HttpResponse):
            return service
        return view(request, service, Scope(edition))

    return resolved


EDITION_NAMES = {
    "service-detail": "edition-service",
    "service-csv": "edition-csv",
    "service-png": "edition-png",
    "service-embed": "edition-embed",
}


def _in(scope: Scope, name: str, slug: str) -> str:
    """The URL of a service's page (or download) in the scope's edition, or the global one."""
    edition = scope.edition
    if edition is None:
        return reverse(name, args=[slug])
    return reverse(EDITION_NAMES[name], kwargs={"cc": edition.slug, "slug": slug})


@service_view
def service_detail(request: HttpRequest, service: Service, scope: Scope) -> HttpResponse:
    edition, country, where = scope.edition, scope.country, scope.words
    now = timezone.now()
    try:
        chart_range, rows = _service_range(request, service, country)
    except timeseries.RangeError as error:
        return bad_request(request, f"This chart cannot be drawn: {error}.")
    sort = request.GET.get("sort") or "reports"
    if sort not in status.REGION_SORTS:
        return bad_request(request, f"sort must be one of {', '.join(status.REGION_SORTS)}, not {sort!r}.")
    window = request.GET.get("map") or status.DEFAULT_MAP_WINDOW
    if window not in status.MAP_WINDOWS:
        return bad_request(request, f"map must be one of {', '.join(status.MAP_WINDOWS)}, not {window!r}.")
    answer = Spike.objects.status_for(service, region=country or None)
    if edition is not None:
        answer = editions.country_status(answer, edition.code)
    context = report_form_context(request, service, edition=country)
    names = dict(context["regions"])
    context.update(
        _chart_context(
            rows,
            f"{service.name}{where}: user reports in the last {chart_range.range}",
            chart_range.interval,
            chart_range.is_long,
        )
    )
    if edition is None:
        regions = sorted(status.region_rows(service, now, names, window), key=status.REGION_SORTS[sort])
        world = worldmap.world_map(regions)
        context.update(
            regions_table=regions, world=world, map_paths=fast.map_paths(world), legend=worldmap.LEGEND
        )
    else:
        context.update(_country_context(service, edition, now, window, sort))
    query = request.GET.urlencode()
    comments = Report.objects.filter(service=service)
    related = Service.objects.active().filter(group_id=service.group_id).exclude(pk=service.pk)
    if edition is not None:
        comments = comments.filter(region_id=edition.code)
        related = related.offered_in(edition.code)
    context.update(
        edition=edition,
        status=answer,
        countries=sorted(names.get(code, code) for code in answer.regions),
        chart_range=chart_range,
        ranges=list(RANGES),
        problem_shares=status.problem_shares(service, now, answer.lead, country),
        region_sort=sort,
        map_window=window,
        map_windows=list(status.MAP_WINDOWS),
        map_words=status.MAP_WINDOW_WORDS[window],
        region_names=names,
        png_url=request.build_absolute_uri(_in(scope, "service-png", service.slug) + f"?{query}"),
        csv_url=_in(scope, "service-csv", service.slug) + f"?{query}",
        embed_snippet=downloads.embed_snippet(
            request.build_absolute_uri(_in(scope, "service-embed", service.slug)),
            f"{service.name}{where} user reports on outagewatch",
        ),
        permalink=request.build_absolute_uri(_in(scope, "service-detail", service.slug)),
        recent_comments=comments.with_visible_comments().select_related("problem", "region")[:10],
        related=related.order_by("name") if service.group_id else [],
    )
    return render(request, "pages/service.html", context)


def _offered(service: Service, country: str) -> bool:
    entry = get_catalog().services.get(service.slug)  # None: added since the snapshot was read
    return entry is None or entry.is_offered_in(country)


def _country_context(service: Service, edition: Edition, now, window: str, sort: str) -> dict:
    """What the country service page shows instead of the world: where in the
    country (subdivisions, map and table), the service's spikes there."""
    names = first_level(edition.code)
    rows = sorted(
        status.subdivision_rows(service, edition.code, now, names, window), key=status.REGION_SORTS[sort]
    )
    country_map = countrymap.country_map(edition.code, rows)
    return {
        "subdivisions_table": rows,
        "country_map": country_map,
        "map_paths": fast.map_paths(country_map) if country_map else "",
        "legend": countrymap.LEGEND,
        "country_spikes": editions.recent_spikes(service, edition.code),
        "offered_here": _offered(service, edition.code),
    }


@service_view
def service_csv(request: HttpRequest, service: Service, scope: Scope) -> HttpResponse:
    try:
        _, rows = _service_range(request, service, scope.country)
    except timeseries.RangeError as error:
        return bad_request(request, f"This series cannot be downloaded: {error}.")
    return downloads.csv_response(rows, _download_name(service, scope))


def _download_name(service: Service, scope: Scope) -> str:
    return f"outagewatch-{service.slug}" + (f"-{scope.edition.slug}" if scope.edition else "")


@service_view
def service_png(request: HttpRequest, service: Service, scope: Scope) -> HttpResponse:
    country, where = scope.country, scope.words
    try:
        chart_range = parse_chart_range(request.GET, timezone.now())
    except timeseries.RangeError as error:
        return bad_request(request, f"This chart cannot be drawn: {error}.")
    zone_name = timezone.get_current_timezone_name()
    edge = timeseries.counted_until(timezone.now())
    key = f"pages:png:{service.pk}:{country}:{chart_range.range}:{chart_range.interval}:{zone_name}:{edge}"
    body = cache.get(key)
    if body is None:
        rows = timeseries.buckets(
            service, chart_range.start, chart_range.end, chart_range.seconds, region=country, counted=edge
        )
        title = f"{service.name}{where}: user reports in the last {chart_range.range}"
        body = chart_png(title, rows, chart_range.seconds, timezone.get_current_timezone(), zone_name)
        cache.set(key, body, PNG_CACHE_SECONDS)
    return downloads.png_response(body, _download_name(service, scope))


@embeddable
@service_view
def service_embed(request: HttpRequest, service: Service, scope: Scope) -> HttpResponse:
    """The live widget of a service (its last 24 hours) for other sites' iframes."""
    country, where = scope.country, scope.words
    chart_range, rows = _service_range(request, service, country)
    answer = Spike.objects.status_for(service, region=country or None)
    chart = charts.line_chart(rows, width=560, height=220, zone=timezone.get_current_timezone())
    title = f"{service.name}{where}: user reports in the last {chart_range.range}"
    return render(
        request,
        "pages/embed.html",
        {
            "title": f"{service.name}{where}",
            "status": answer,
            "chart_svg": fast.chart_svg(
                chart, rows, title, INTERVAL_WORDS[chart_range.interval], chart_range.is_long, table=False
            ),
            "permalink": request.build_absolute_uri(_in(scope, "service-detail", service.slug)),
        },
    )


def outage_list(request: HttpRequest, cc: str | None = None) -> HttpResponse:
    """The archive; in an edition (/<cc>/outages/), of the outages with a spike in
    its country."""
    params = request.GET
    edition = None
    if cc is not None:
        edition = edition_or_response(request, cc)
        if isinstance(edition, HttpResponse):
            return edition
        request.edition = edition
        params = request.GET.copy()
        params["region"] = edition.code
    archive = SpikeFilter(params, queryset=heads().order_by("-started_at"))
    context = {"filter": archive, "edition": edition}
    if not archive.is_valid():
        return render(request, "pages/outages.html", {**context, "page": None}, status=400)
    page = Paginator(archive.qs, ARCHIVE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "pages/outages.html", {**context, "page": page, "outages": entries(list(page.object_list))}
    )


def _spike(pk: int) -> Spike:
    return get_object_or_404(
        Spike.objects.with_recovery().select_related(
            "service__group", "incident__group", "related_to__service"
        ),
        pk=pk,
    )


def spike_detail(request: HttpRequest, pk: int) -> HttpResponse:
    spike = _spike(pk)
    now = timezone.now()
    map_countries = spikepage.map_countries(spike)
    country = request.GET.get("country") or (map_countries[0] if map_countries else "")
    if country and country not in map_countries:
        return bad_request(
            request,
            f"country must be one of this outage's countries with a map ({', '.join(map_countries) or 'none'}), "
            f"not {country[:12]!r}.",
        )
    window, rows = spikepage.series(spike, now)
    names = region_names()
    problem_names = dict(spike.service.problem_types.values_list("slug", "name"))
    changes = list(spike.changes.all())
    peaks = spikepage.peaks(spike, now)
    parts = sorted(
        spikepage.outage_parts(spike), key=lambda s: (s.region != "", names.get(s.region, s.region))
    )
    # The page of the spike heading an outage says when the outage started: its
    # earliest spike's onset, as the service's banner and the home page say.
    first = min([spike, *parts], key=lambda s: s.started_at) if spike.part_of_id is None else spike
    return render(
        request,
        "pages/spike.html",
        {
            "spike": spike,
            "window": window,
            **_chart_context(
                rows, f"{spike.service.name}: user reports around the outage", window.interval, True
            ),
            "timeline": spikepage.timeline(spike, changes, peaks),
            "resolved_at": spikepage.resolved_at(spike, changes),
            "duration": spikepage.duration(spike, now),
            "peaks": peaks,
            "problems": [
                (problem_names.get(slug, slug), share)
                for slug, share in sorted(spike.problems.items(), key=lambda kv: -kv[1])
            ],
            "regions": [
                (names.get(code, code), share)
                for code, share in sorted(spike.regions.items(), key=lambda kv: -kv[1])
            ],
            "related": spikepage.related_spikes(spike),
            "outage_parts": parts,
            "first": first,
            "permalink": request.build_absolute_uri(spike_url(spike)),
            "png_url": request.build_absolute_uri(reverse("spike-png", args=[spike.pk])),
            "embed_snippet": downloads.embed_snippet(
                request.build_absolute_uri(reverse("spike-embed", args=[spike.pk])),
                f"{spike.service.name} outage reports on outagewatch",
            ),
            "region_name": names.get(spike.region, ""),
            "region_names": names,
            **_where_in_country(spike, country, map_countries, now, names),
        },
    )


def _where_in_country(
    spike: Spike, country: str, map_countries: list[str], now, names: dict[str, str]
) -> dict:
    """The spike page's breakdown by subdivision of one of its countries, and its map."""
    if not country:
        return {}
    rows = spikepage.where_in_country(spike, country, now)
    country_map = countrymap.country_map(country, rows)
    return {
        "map_country": Edition(country, names.get(country, country)),
        "map_countries": [Edition(code, names.get(code, code)) for code in map_countries],
        "subdivisions_table": rows,
        "country_map": country_map,
        "map_paths": fast.map_paths(country_map) if country_map else "",
        "legend": countrymap.LEGEND,
    }


def spike_url(spike: Spike) -> str:
    return reverse("spike-detail", args=[spike.pk])


def spike_csv(request: HttpRequest, pk: int) -> HttpResponse:
    spike = _spike(pk)
    _, rows = spikepage.series(spike, timezone.now())
    return downloads.csv_response(rows, f"outagewatch-{spike.service.slug}-{spike.pk}")


def spike_png(request: HttpRequest, pk: int) -> HttpResponse:
    spike = _spike(pk)
    window, rows = spikepage.series(spike, timezone.now())
    names = region_names()
    where = f" in {names.get(spike.region, spike.region)}" if spike.region else ""
    local_start = timezone.localtime(spike.started_at)
    title = f"{spike.service.name}{where}: user reports, {local_start:%-d %b %Y}"
    zone = timezone.get_current_timezone()
    body = chart_png(title, rows, window.seconds, zone, timezone.get_current_timezone_name())
    return downloads.png_response(body, f"outagewatch-{spike.service.slug}-{spike.pk}")


@embeddable
def spike_embed(request: HttpRequest, pk: int) -> HttpResponse:
    """The widget other sites put in an iframe: one of the two pages that may be framed."""
    spike = _spike(pk)
    window, rows = spikepage.series(spike, timezone.now())
    chart = charts.line_chart(rows, width=560, height=220, zone=timezone.get_current_timezone())
    title = f"{spike.service.name}: user reports around the outage"
    return render(
        request,
        "pages/embed.html",
        {
            "title": spike.service.name,
            "spike": spike,
            "region_name": Region.objects.filter(code=spike.region).values_list("name", flat=True).first(),
            "chart_svg": fast.chart_svg(
                chart, rows, title, INTERVAL_WORDS[window.interval], True, table=False
            ),
            "permalink": request.build_absolute_uri(spike_url(spike)),
        },
    )


def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(Incident.objects.select_related("group"), pk=pk)
    page = incidentpage.build(incident, timezone.now(), region_names(), timezone.get_current_timezone())
    return render(
        request,
        "pages/incident.html",
        {"incident": incident, "page": page, "permalink": request.build_absolute_uri(request.path)},
    )


@require_http_methods(["GET", "POST"])
def time_zone(request: HttpRequest) -> HttpResponse:
    """GET: the zone switch. POST: keep the chosen zone in a cookie and go back."""
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    if request.method == "GET":
        current = timezone.get_current_timezone_name()
        return render(
            request,
            "pages/time_zone.html",
            {"suggested": suggested(current), "zones": zone_choices(), "current": current, "next": next_url},
        )
    name = request.POST.get("zone", "")
    zone = parse_zone(name)
    if zone is None:
        return bad_request(
            request, f"{name[:64]!r} is not a time zone: pick one from the list, such as Europe/Paris."
        )
    response = HttpResponseRedirect(next_url)
    response.set_cookie(TZ_COOKIE, name, max_age=TZ_COOKIE_MAX_AGE, samesite="Lax")
    return response
