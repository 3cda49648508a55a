"""The country editions' own pages: an edition's home (/<cc>/), the edition switch
(/editions/) and the 404 of an address that names no country. The country service
page and the country archive are the global ones (pages.views) drawn for one
country. Thin: pages.editions answers, these render."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from pages import editions, homepage
from pages.editions import EDITION_COOKIE, EDITION_COOKIE_MAX_AGE, GLOBAL, Edition
from pages.outages import region_names
from reports.models import Service


def not_an_edition(request: HttpRequest, code: str) -> HttpResponse:
    """404: the address names no country; the page links to the editions."""
    return render(
        request,
        "pages/editions.html",
        {
            "what": _("There is no edition “%(code)s”: editions are named by a country's two-letter code.")
            % {"code": code[:12]},
            "featured": editions.featured(),
            "every": editions.every_edition(),
            "next": "/",
            "current": "",
        },
        status=404,
    )


def edition_or_response(request: HttpRequest, cc: str | None) -> Edition | HttpResponse | None:
    """The edition of a /<cc>/ address, which the request then carries (for the
    switch and the suggestion); None for an address of the global site (no `cc`); a
    redirect to the lower-case address (/BR/ to /br/); the 404 listing the editions
    for an unknown code."""
    if cc is None:
        return None
    edition = editions.edition_for(cc)
    if edition is None:
        return not_an_edition(request, cc)
    if cc != edition.slug:
        path = request.get_full_path()
        return HttpResponseRedirect(path.replace(f"/{cc}/", f"/{edition.slug}/", 1), status=301)
    request.edition = edition
    return edition


def edition_home(request: HttpRequest, cc: str) -> HttpResponse:
    edition = edition_or_response(request, cc)
    if isinstance(edition, HttpResponse):
        return edition
    query = request.GET.get("q", "").strip()[:100]
    context = {"edition": edition, "query": query}
    if query:
        slugs = homepage.search(query)
        services = Service.objects.active().in_bulk(slugs, field_name="slug")
        context["matches"] = [services[s] for s in slugs if s in services]
        return render(request, "pages/edition_home.html", context)
    names = region_names()
    local, everywhere = editions.services_of(edition)
    context.update(
        outages=editions.outages_in(edition.code, names),
        top=editions.top_services_in(edition.code, timezone.now()),
        resolved=editions.recent_resolved_in(edition.code, names),
        local_by_category=local,
        everywhere_by_category=everywhere,
    )
    return render(request, "pages/edition_home.html", context)


@require_http_methods(["GET", "POST"])
def choose_edition(request: HttpRequest) -> HttpResponse:
    """GET: the editions, to choose from. POST: remember the choice (a cookie) and
    go to the same page in the chosen edition."""
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    if request.method == "GET":
        return render(
            request,
            "pages/editions.html",
            {
                "featured": editions.featured(),
                "every": editions.every_edition(),
                "next": next_url,
                "current": editions.chosen(request),
            },
        )
    code = request.POST.get("edition", "")
    if code == GLOBAL:
        chosen, target = GLOBAL, editions.path_in(next_url, None)
    else:
        edition = editions.edition_for(code)
        if edition is None:
            return render(
                request,
                "400.html",
                {
                    "message": _("%(code)r is not an edition: choose a country from the list.")
                    % {"code": code[:12]}
                },
                status=400,
            )
        chosen, target = edition.code, editions.path_in(next_url, edition)
    response = HttpResponseRedirect(target)
    response.set_cookie(EDITION_COOKIE, chosen, max_age=EDITION_COOKIE_MAX_AGE, samesite="Lax")
    return response
