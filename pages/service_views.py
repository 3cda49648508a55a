"""A service's pages, in the world (/status/<slug>/...) or in a country's edition
(/<cc>/status/<slug>/...): the service page, its downloads and widget, and the report
form's target, whose refused reports show the same service page again with what was
wrong. Thin: parse the request, ask spikes.models for the status, reports.intake to
take a report, and pages.servicepage, breakdowns, editions, worldmap and countrymap
for the rest; render."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from outagewatch.clients import client_from_request
from outagewatch.languages import in_language
from outagewatch.security import embeddable
from pages import (
    breakdowns,
    charts,
    countrymap,
    downloads,
    editions,
    fragments,
    homepage,
    html_parts,
    servicepage,
    worldmap,
)
from pages.edition_views import edition_or_response
from pages.editions import Edition
from pages.outages import in_countries, region_names
from pages.png import chart_png
from pages.ranges import RANGES, ChartRange, parse_chart_range
from pages.templatetags.pages_tags import INTERVAL_WORDS
from pages.views import bad_request, chart_context, one_of
from reports import intake
from reports import names as localnames
from reports.catalog import get_catalog
from reports.models import ProblemType, Region, Report, Service, Source
from reports.regions import REGION_COOKIE
from reports.subdivisions import first_level
from spikes import timeseries
from spikes.models import ALL_REGIONS, Spike

# The report form remembers the reporter's region for a year.
REGION_COOKIE_MAX_AGE = 365 * 24 * 3600


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
    near = homepage.search(slug.replace("-", " "), limit=5)
    suggestions = list(Service.objects.active().filter(slug__in=near).order_by("name"))
    return render(
        request,
        "404.html",
        {"what": _("There is no service “%(slug)s” here.") % {"slug": slug}, "suggestions": suggestions},
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

    def named(self, service: Service) -> str:
        """What titles call the service: "WhatsApp", or "WhatsApp in Brazil"."""
        if self.edition is None:
            return service.name
        return _("%(service)s in %(country)s") % {
            "service": service.name,
            "country": localnames.in_sentence(self.edition.name),
        }


def _reports_title(what: str, chart_range: ChartRange) -> str:
    return _("%(what)s: user reports in the last %(range)s") % {"what": what, "range": chart_range.range}


def service_view(view: Callable[[HttpRequest, Service, Scope], HttpResponse]):
    """A service's page or download at /status/<slug>/... or /<cc>/status/<slug>/...:
    the view gets the service and its scope, or the reader the redirect or the 404
    that the address calls for instead (an edition or a service in the wrong case,
    an unknown country, an unknown service)."""

    @wraps(view)
    def resolved(request: HttpRequest, slug: str, cc: str | None = None) -> HttpResponse:
        edition = edition_or_response(request, cc)
        if isinstance(edition, HttpResponse):
            return edition
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
    return _service_page(request, service, scope)


def _service_page(
    request: HttpRequest,
    service: Service,
    scope: Scope,
    *,
    errors: dict[str, list[str]] | None = None,
    submitted: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The service page; after a refused report, the same page with the form as it
    was sent and what was wrong."""
    edition, country, named = scope.edition, scope.country, scope.named(service)
    now = timezone.now()
    try:
        chart_range = parse_chart_range(request.GET, now)
    except timeseries.RangeError as error:
        return bad_request(request, _("This chart cannot be drawn: %(why)s.") % {"why": error})
    sort = request.GET.get("sort") or "reports"
    if sort not in breakdowns.REGION_SORTS:
        return bad_request(request, one_of("sort", breakdowns.REGION_SORTS, sort))
    window = request.GET.get("map") or breakdowns.DEFAULT_MAP_WINDOW
    if window not in breakdowns.MAP_WINDOWS:
        return bad_request(request, one_of("map", breakdowns.MAP_WINDOWS, window))
    answer = Spike.objects.status_for(service, region=country or None)
    if edition is not None:
        answer = editions.country_status(answer, edition.code)
    context = servicepage.report_form(request, service, errors=errors, submitted=submitted, edition=country)
    page_path = _in(scope, "service-detail", service.slug)
    if request.path != page_path:
        # Shown at the form's target after a refused report: its links name its path.
        context["page_path"] = page_path
    names = region_names()
    context.update(_chart(service, country, chart_range, _reports_title(named, chart_range), now))
    if edition is None:
        regions = sorted(
            servicepage.region_rows(service, now, names, window), key=breakdowns.REGION_SORTS[sort]
        )
        world = worldmap.world_map(regions)
        context.update(
            regions_table=regions, world=world, map_paths=html_parts.map_paths(world), legend=worldmap.LEGEND
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
        affected_countries=in_countries(
            sorted((names.get(code, code) for code in answer.regions), key=localnames.sort_key)
        ),
        chart_range=chart_range,
        ranges=list(RANGES),
        problem_shares=servicepage.problem_shares(service, now, answer.lead, country),
        region_sort=sort,
        map_window=window,
        map_windows=list(breakdowns.MAP_WINDOWS),
        map_words=breakdowns.MAP_WINDOW_WORDS[window],
        region_names=names,
        png_url=request.build_absolute_uri(_in(scope, "service-png", service.slug) + f"?{query}"),
        csv_url=_in(scope, "service-csv", service.slug) + f"?{query}",
        embed_snippet=downloads.embed_snippet(
            request.build_absolute_uri(
                in_language(_in(scope, "service-embed", service.slug), get_language())
            ),
            _("%(what)s: user reports on outagewatch") % {"what": named},
        ),
        permalink=request.build_absolute_uri(_in(scope, "service-detail", service.slug)),
        recent_comments=comments.with_visible_comments().select_related("problem", "region")[:10],
        related=related.order_by("name") if service.group_id else [],
    )
    return render(request, "pages/service.html", context, status=status)


def _chart(service: Service, country: str, chart_range: ChartRange, title: str, now: datetime) -> dict:
    """The service page's chart and its table, drawn once per counted minute, range,
    time zone and language (pages.fragments): 10 to 25 ms of a page's time, most of
    it writing ~600 dates and 1,200 numbers in the reader's language."""
    counted = timeseries.counted_until(now)
    key = ":".join(
        [
            "pages:chart",
            str(service.pk),
            country,
            chart_range.range,
            chart_range.interval,
            str(int(chart_range.end.timestamp())),
            str(int(counted.timestamp())) if counted else "-",
            timezone.get_current_timezone_name(),
            get_language() or settings.LANGUAGE_CODE,
        ]
    )

    def draw() -> dict:
        rows = timeseries.buckets(
            service, chart_range.start, chart_range.end, chart_range.seconds, region=country, counted=counted
        )
        drawn = chart_context(rows, title, chart_range.interval, chart_range.is_long)
        return {
            "chart": drawn["chart"].caption(),
            "per": str(drawn["per"]),
            "chart_title": title,
            "chart_svg": drawn["chart_svg"],
            "chart_rows": drawn["chart_rows"],
        }

    return fragments.counted_part(key, draw)


def _offered(service: Service, country: str) -> bool:
    entry = get_catalog().services.get(service.slug)  # None: added since the snapshot was read
    return entry is None or entry.is_offered_in(country)


def _country_context(service: Service, edition: Edition, now, window: str, sort: str) -> dict:
    """What the country service page shows instead of the world: where in the
    country (subdivisions, map and table), the service's spikes there."""
    names = first_level(edition.code)
    rows = sorted(
        servicepage.subdivision_rows(service, edition.code, now, names, window),
        key=breakdowns.REGION_SORTS[sort],
    )
    country_map = countrymap.country_map(edition.code, rows)
    return {
        "subdivisions_table": rows,
        "country_map": country_map,
        "map_paths": html_parts.map_paths(country_map) if country_map else "",
        "legend": countrymap.LEGEND,
        "country_spikes": editions.recent_spikes(service, edition.code),
        "offered_here": _offered(service, edition.code),
    }


@service_view
def service_csv(request: HttpRequest, service: Service, scope: Scope) -> HttpResponse:
    try:
        _range, rows = _service_range(request, service, scope.country)
    except timeseries.RangeError as error:
        return bad_request(request, _("This series cannot be downloaded: %(why)s.") % {"why": error})
    return downloads.csv_response(rows, _download_name(service, scope))


def _download_name(service: Service, scope: Scope) -> str:
    return f"outagewatch-{service.slug}" + (f"-{scope.edition.slug}" if scope.edition else "")


@service_view
def service_png(request: HttpRequest, service: Service, scope: Scope) -> HttpResponse:
    country = scope.country
    try:
        chart_range = parse_chart_range(request.GET, timezone.now())
    except timeseries.RangeError as error:
        return bad_request(request, _("This chart cannot be drawn: %(why)s.") % {"why": error})
    zone_name = timezone.get_current_timezone_name()
    edge = timeseries.counted_until(timezone.now())
    # Drawn once per counted minute (a shared link's preview is fetched by every chat
    # app), per range, zone and language (the image's words are the reader's).
    key = (
        f"pages:png:{service.pk}:{country}:{chart_range.range}:{chart_range.interval}:{zone_name}:"
        f"{get_language()}:{int(edge.timestamp()) if edge else '-'}"
    )

    def draw() -> bytes:
        rows = timeseries.buckets(
            service, chart_range.start, chart_range.end, chart_range.seconds, region=country, counted=edge
        )
        title = _reports_title(scope.named(service), chart_range)
        return chart_png(title, rows, chart_range.seconds, timezone.get_current_timezone(), zone_name)

    return downloads.png_response(fragments.counted_part(key, draw), _download_name(service, scope))


@embeddable
@service_view
def service_embed(request: HttpRequest, service: Service, scope: Scope) -> HttpResponse:
    """The live widget of a service (its last 24 hours) for other sites' iframes."""
    country, named = scope.country, scope.named(service)
    try:
        chart_range, rows = _service_range(request, service, country)
    except timeseries.RangeError as error:
        return bad_request(request, _("This chart cannot be drawn: %(why)s.") % {"why": error})
    answer = Spike.objects.status_for(service, region=country or None)
    chart = charts.line_chart(rows, width=560, height=220, zone=timezone.get_current_timezone())
    title = _reports_title(named, chart_range)
    return render(
        request,
        "pages/embed.html",
        {
            "title": named,
            "status": answer,
            "chart_svg": html_parts.chart_svg(
                chart, rows, title, INTERVAL_WORDS[chart_range.interval], chart_range.is_long, table=False
            ),
            "permalink": request.build_absolute_uri(_in(scope, "service-detail", service.slug)),
        },
    )


@require_http_methods(["GET", "POST"])
def report_problem(request: HttpRequest, slug: str, cc: str | None = None) -> HttpResponse:
    """The report form's target: accept the report and redirect to the service page,
    which thanks the reporter; a refused report shows the service page again with
    what was wrong (400, or 429 with Retry-After). In a country's edition
    (/<cc>/status/<slug>/report/) the report is that country's, whatever region the
    form sent, and the reader goes back there. A GET (the address of a refused
    report's page entered again) goes to the service page.

    When the report can be neither committed nor queued, a 503 page that needs no
    database says so and when to try again: never a 500, never half a report.
    """
    if request.method == "GET":
        return (
            redirect("edition-service", cc=cc.lower(), slug=slug)
            if cc
            else redirect("service-detail", slug=slug)
        )
    try:
        return _report_problem(request, slug, cc)
    except (DatabaseError, intake.Unavailable) as exc:
        retry_after = getattr(exc, "retry_after", settings.REPORT_RETRY_AFTER_SECONDS)
        response = HttpResponse(
            format_html(
                '<!doctype html><html lang="{}"><title>{}</title><h1>{}</h1><p>{}</p></html>',
                get_language(),
                _("Reports paused"),
                _("We cannot take reports right now"),
                format_html(
                    _(
                        "Our database is unavailable for a moment, so your report was <strong>not</strong> "
                        "recorded. Please go back and send it again in {} seconds."
                    ),
                    retry_after,
                ),
            ),
            status=503,
        )
        response["Retry-After"] = str(retry_after)
        return response


def _report_problem(request: HttpRequest, slug: str, cc: str | None) -> HttpResponse:
    service = get_object_or_404(Service.objects.active().select_related("group"), slug=slug)
    edition = None
    if cc is not None:
        edition = editions.edition_for(cc)
        if edition is None:
            raise Http404(_("There is no edition %(code)r.") % {"code": cc})
        request.edition = edition
    scope = Scope(edition)
    submitted = {
        "service": service.slug,
        "problem": request.POST.get("problem", ""),
        "region": scope.country or request.POST.get("region", ""),
        "subdivision": request.POST.get("subdivision", ""),
        "comment": request.POST.get("comment", ""),
    }

    def refused(errors: dict[str, list[str]], status: int) -> HttpResponse:
        return _service_page(request, service, scope, errors=errors, submitted=submitted, status=status)

    if request.POST.get(servicepage.HONEYPOT_FIELD):
        # People never see this field; a bot that fills every input does. Say so
        # plainly rather than pretend: a confirmation must mean a stored report.
        return refused(
            {"__all__": [_("This looks like an automated submission (a hidden field was filled in).")]}, 400
        )
    client = client_from_request(request)
    try:
        try:
            valid = intake.validate_report(submitted)
        except intake.InvalidReport:
            intake.check_rate_limit(client)  # bad requests count towards the limit too
            raise
        # Read before accepting: once accepted, nothing may fail and invite a resend.
        problem_name = localnames.problem(
            ProblemType.objects.values_list("name", flat=True).get(pk=valid.problem_id)
        )
        region_name = localnames.country(Region.objects.values_list("name", flat=True).get(pk=valid.region))
        intake.accept_report(valid, client, Source.WEB)
    except intake.RateLimited as limited:
        message = _("Too many reports from your connection. Please try again in %(seconds)s seconds.") % {
            "seconds": limited.retry_after
        }
        response = refused({"__all__": [message]}, 429)
        response["Retry-After"] = str(limited.retry_after)
        return response
    except intake.InvalidReport as invalid:
        return refused(invalid.errors, 400)
    where = localnames.in_sentence(region_name)
    if valid.subdivision:
        subdivision = localnames.subdivisions(first_level(valid.region)).get(
            valid.subdivision, valid.subdivision
        )
        where = f"{subdivision}, {region_name}"
    messages.success(
        request,
        _("Thank you: your report of a problem with %(service)s (%(problem)s) in %(where)s is recorded.")
        % {"problem": problem_name, "service": service.name, "where": where},
    )
    response = redirect(_in(scope, "service-detail", service.slug) + "#report")
    response.set_cookie(
        REGION_COOKIE, valid.region, max_age=REGION_COOKIE_MAX_AGE, samesite="Lax", httponly=True
    )
    return response
