"""The public site's pages but a service's own (pages.service_views): home, the
archive, spike and incident pages, methodology, the time zone. Thin: parse the
request, ask the domain modules (homepage, outages, spikepage, incidentpage,
charts), render."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from outagewatch import localize
from outagewatch.languages import in_language
from outagewatch.security import embeddable
from pages import (
    charts,
    countrymap,
    downloads,
    editions,
    guides,
    homepage,
    html_parts,
    incidentpage,
    spikepage,
)
from pages.edition_views import edition_or_response
from pages.editions import Edition
from pages.filters import SpikeFilter
from pages.outages import entries, heads, region_names
from pages.png import chart_png
from pages.templatetags.pages_tags import INTERVAL_WORDS
from pages.timezones import TZ_COOKIE, TZ_COOKIE_MAX_AGE, parse_zone, suggested, zone_choices
from reports import names as localnames
from reports.models import Service
from spikes import timeseries
from spikes.detection.calibration import SCALES_SECONDS
from spikes.detection.policy import DEFAULT as POLICY
from spikes.fitting import HISTORY
from spikes.incidents import WIDESPREAD_OWNERS
from spikes.incidents import WINDOW as INCIDENT_WINDOW
from spikes.models import Incident, Spike

ARCHIVE_PAGE_SIZE = 25


def bad_request(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "400.html", {"message": message}, status=400)


def one_of(name: str, choices, value: str) -> str:
    """ "sort must be one of reports, name, not 'x'.", in the reader's language."""
    return _("%(name)s must be one of %(choices)s, not %(value)r.") % {
        "name": name,
        "choices": ", ".join(choices),
        "value": value,
    }


def chart_context(rows: list[timeseries.Bucket], title: str, interval: str, long_range: bool) -> dict:
    chart = charts.line_chart(rows, zone=timezone.get_current_timezone())
    per = INTERVAL_WORDS[interval]
    return {
        "chart": chart,
        "rows": rows,
        "per": per,
        "chart_title": title,
        "chart_svg": html_parts.chart_svg(chart, rows, title, per, long_range),
        "chart_rows": html_parts.chart_rows(rows),
    }


def home(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    now = timezone.now()
    context = {"query": query}
    if query:
        slugs = homepage.search(query)
        services = Service.objects.active().in_bulk(slugs, field_name="slug")
        context["matches"] = [services[s] for s in slugs if s in services]
    else:
        names = region_names()
        context.update(
            outages=homepage.outages_now(names),
            top=homepage.top_services(now),
            resolved=homepage.recent_resolved(names),
        )
        context["by_category"] = editions.all_services()
    return render(request, "pages/home.html", context)


def methodology(request: HttpRequest) -> HttpResponse:
    """How detection works, with the numbers the live detector uses (not copies)."""
    config = POLICY.detector
    return render(
        request,
        "pages/methodology.html",
        {
            "config": config,
            "shortest_window_minutes": round(min(SCALES_SECONDS) / 60),
            "longest_window_minutes": round(max(SCALES_SECONDS) / 60),
            "weeks_between_false_alarms": round(1 / config.false_alarms_per_week),
            "years_between_danger_alarms": round(1 / config.danger_false_alarms_per_week / 52.18),
            "repeat_percent": round(100 * config.max_repeat_share),
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


def outage_list(request: HttpRequest, cc: str | None = None) -> HttpResponse:
    """The archive; in an edition (/<cc>/outages/), of the outages with a spike in
    its country."""
    params = request.GET
    edition = edition_or_response(request, cc)
    if isinstance(edition, HttpResponse):
        return edition
    if edition is not None:
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
            _("country must be one of this outage's countries with a map (%(choices)s), not %(value)r.")
            % {"choices": ", ".join(map_countries) or _("none"), "value": country[:12]},
        )
    window, rows = spikepage.series(spike, now)
    names = region_names()
    problem_names = {
        slug: localnames.problem(name)
        for slug, name in spike.service.problem_types.values_list("slug", "name")
    }
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
            **chart_context(
                rows,
                _("%(service)s: user reports around the outage") % {"service": spike.service.name},
                window.interval,
                True,
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
                request.build_absolute_uri(
                    in_language(reverse("spike-embed", args=[spike.pk]), get_language())
                ),
                _("%(service)s outage reports on outagewatch") % {"service": spike.service.name},
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
        "map_paths": html_parts.map_paths(country_map) if country_map else "",
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
    what = spike.service.name
    if spike.region:
        what = _("%(service)s in %(country)s") % {
            "service": what,
            "country": localnames.in_sentence(names.get(spike.region, spike.region)),
        }
    day = localize.date(timezone.localtime(spike.started_at), "date")
    title = _("%(what)s: user reports, %(day)s") % {"what": what, "day": day}
    zone = timezone.get_current_timezone()
    body = chart_png(title, rows, window.seconds, zone, timezone.get_current_timezone_name())
    return downloads.png_response(body, f"outagewatch-{spike.service.slug}-{spike.pk}")


@embeddable
def spike_embed(request: HttpRequest, pk: int) -> HttpResponse:
    """The widget other sites put in an iframe: one of the two pages that may be framed."""
    spike = _spike(pk)
    window, rows = spikepage.series(spike, timezone.now())
    chart = charts.line_chart(rows, width=560, height=220, zone=timezone.get_current_timezone())
    title = _("%(service)s: user reports around the outage") % {"service": spike.service.name}
    return render(
        request,
        "pages/embed.html",
        {
            "title": spike.service.name,
            "spike": spike,
            "region_name": region_names().get(spike.region, "") if spike.region else "",
            "chart_svg": html_parts.chart_svg(
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
            request,
            _("%(value)r is not a time zone: pick one from the list, such as Europe/Paris.")
            % {"value": name[:64]},
        )
    response = HttpResponseRedirect(next_url)
    response.set_cookie(TZ_COOKIE, name, max_age=TZ_COOKIE_MAX_AGE, samesite="Lax")
    return response
