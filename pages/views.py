"""The public site's pages. Thin: parse the request, ask the domain modules
(status, home, spikepage, charts, worldmap), render."""

from __future__ import annotations

import csv

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from outagewatch.security import embeddable
from pages import charts, spikepage, status, worldmap
from pages import home as home_data
from pages import render as fast
from pages.filters import SpikeFilter
from pages.ranges import RANGES, parse_chart_range
from pages.templatetags.pages_tags import INTERVAL_WORDS
from pages.timezones import TZ_COOKIE, TZ_COOKIE_MAX_AGE, parse_zone, zone_names
from reports.models import Category, Region, Report, Service
from reports.views import report_form_context
from spikes import timeseries
from spikes.models import Spike

ARCHIVE_PAGE_SIZE = 25


def bad_request(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "pages/bad_request.html", {"message": message}, status=400)


def _chart_context(rows: list[timeseries.Bucket], title: str, interval: str, long_range: bool) -> dict:
    chart = charts.line_chart(rows)
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
        context.update(
            outages=home_data.outages_now(),
            top=home_data.top_services(now),
            resolved=home_data.recent_resolved(),
        )
        by_category: dict[str, list[Service]] = {}
        for service in Service.objects.active().order_by("category", "name"):
            by_category.setdefault(Category(service.category).label, []).append(service)
        context["by_category"] = by_category
    return render(request, "pages/home.html", context)


def service_detail(request: HttpRequest, slug: str) -> HttpResponse:
    service = get_object_or_404(Service.objects.active().select_related("group"), slug=slug)
    now = timezone.now()
    try:
        chart_range = parse_chart_range(request.GET, now)
    except timeseries.RangeError as error:
        return bad_request(request, f"This chart cannot be drawn: {error}.")
    sort = request.GET.get("sort") or "reports"
    if sort not in status.REGION_SORTS:
        return bad_request(request, f"sort must be one of {', '.join(status.REGION_SORTS)}, not {sort!r}.")
    rows = timeseries.buckets(service, chart_range.start, chart_range.end, chart_range.seconds)
    banner = status.banner(service)
    context = report_form_context(request, service)
    region_names = dict(context["regions"])
    regions = sorted(status.region_rows(service, now, region_names), key=status.REGION_SORTS[sort])
    context.update(
        _chart_context(
            rows,
            f"{service.name}: user reports in the last {chart_range.range}",
            chart_range.interval,
            chart_range.is_long,
        )
    )
    world = worldmap.world_map(regions)
    context.update(
        banner=banner,
        chart_range=chart_range,
        ranges=list(RANGES),
        problem_shares=status.problem_shares(service, now, banner.spike),
        regions_table=regions,
        region_sort=sort,
        world=world,
        map_paths=fast.map_paths(world),
        legend=worldmap.LEGEND,
        region_names=region_names,
        recent_comments=Report.objects.filter(service=service)
        .with_visible_comments()
        .select_related("problem", "region")[:10],
        related=Service.objects.active()
        .filter(group_id=service.group_id)
        .exclude(pk=service.pk)
        .order_by("name")
        if service.group_id
        else [],
    )
    return render(request, "pages/service.html", context)


def outage_list(request: HttpRequest) -> HttpResponse:
    spikes = Spike.objects.select_related("service", "incident", "related_to__service").order_by(
        "-started_at"
    )
    archive = SpikeFilter(request.GET, queryset=spikes)
    if not archive.is_valid():
        return render(request, "pages/outages.html", {"filter": archive, "page": None}, status=400)
    page = Paginator(archive.qs, ARCHIVE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "pages/outages.html", {"filter": archive, "page": page})


def _spike(pk: int) -> Spike:
    return get_object_or_404(
        Spike.objects.select_related("service__group", "incident__group", "related_to__service"), pk=pk
    )


def spike_detail(request: HttpRequest, pk: int) -> HttpResponse:
    spike = _spike(pk)
    now = timezone.now()
    window, rows = spikepage.series(spike, now)
    region_names = dict(Region.objects.values_list("code", "name"))
    problem_names = dict(spike.service.problem_types.values_list("slug", "name"))
    embed_url = request.build_absolute_uri(reverse("spike-embed", args=[spike.pk]))
    return render(
        request,
        "pages/spike.html",
        {
            "spike": spike,
            "window": window,
            **_chart_context(
                rows, f"{spike.service.name}: user reports around the outage", window.interval, True
            ),
            "timeline": spikepage.timeline(spike, list(spike.changes.all())),
            "duration": spikepage.duration(spike, now),
            "peak_ratio": spikepage.peak_ratio(spike),
            "problems": [
                (problem_names.get(slug, slug), share)
                for slug, share in sorted(spike.problems.items(), key=lambda kv: -kv[1])
            ],
            "regions": [
                (region_names.get(code, code), share)
                for code, share in sorted(spike.regions.items(), key=lambda kv: -kv[1])
            ],
            "related": spikepage.related_spikes(spike),
            "permalink": request.build_absolute_uri(spike_url(spike)),
            "embed_snippet": (
                f'<iframe src="{embed_url}" width="600" height="380" loading="lazy" '
                f'title="{spike.service.name} outage reports on outagewatch"></iframe>'
            ),
            "region_name": region_names.get(spike.region, ""),
        },
    )


def spike_url(spike: Spike) -> str:
    return reverse("spike-detail", args=[spike.pk])


def spike_csv(request: HttpRequest, pk: int) -> HttpResponse:
    spike = _spike(pk)
    _, rows = spikepage.series(spike, timezone.now())
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="outagewatch-{spike.service.slug}-{spike.pk}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(spikepage.CSV_HEADER)
    writer.writerows(spikepage.csv_rows(rows))
    return response


def spike_png(request: HttpRequest, pk: int) -> HttpResponse:
    from pages.png import chart_png

    spike = _spike(pk)
    window, rows = spikepage.series(spike, timezone.now())
    zone = timezone.get_current_timezone()
    where = f" in {Region.objects.get(code=spike.region).name}" if spike.region else ""
    local_start = timezone.localtime(spike.started_at)
    title = f"{spike.service.name}{where}: user reports, {local_start:%-d %b %Y}"
    body = chart_png(title, rows, window.seconds, zone, timezone.get_current_timezone_name())
    response = HttpResponse(body, content_type="image/png")
    response["Content-Disposition"] = (
        f'attachment; filename="outagewatch-{spike.service.slug}-{spike.pk}.png"'
    )
    return response


@embeddable
def spike_embed(request: HttpRequest, pk: int) -> HttpResponse:
    """The widget other sites put in an iframe: the only page that may be framed."""
    spike = _spike(pk)
    _, rows = spikepage.series(spike, timezone.now())
    return render(
        request,
        "pages/embed.html",
        {
            "spike": spike,
            "chart": charts.line_chart(rows, width=560, height=220),
            "permalink": request.build_absolute_uri(spike_url(spike)),
        },
    )


@require_http_methods(["GET", "POST"])
def time_zone(request: HttpRequest) -> HttpResponse:
    """GET: the zone switch. POST: keep the chosen zone in a cookie and go back."""
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    if request.method == "GET":
        return render(
            request,
            "pages/time_zone.html",
            {"zones": zone_names(), "current": timezone.get_current_timezone_name(), "next": next_url},
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
