"""The report form's target, and the form's context for the pages that show it
(the service page itself lives in the pages app)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from outagewatch.clients import client_from_request
from reports import intake
from reports.catalog import get_catalog
from reports.models import ProblemType, Region, Service, Source
from reports.regions import REGION_COOKIE, preferred_region
from reports.subdivisions import first_level

HONEYPOT_FIELD = "website"
REGION_COOKIE_MAX_AGE = 365 * 24 * 3600


def report_form_context(
    request: HttpRequest,
    service: Service,
    *,
    errors: dict[str, list[str]] | None = None,
    submitted: dict[str, str] | None = None,
    edition: str = "",
) -> dict:
    """What the report form (reports/includes/report_form.html) needs, for any page
    that shows it: the service page of the public site, or this app's error page.
    In a country's edition (`edition`, its code) the form files reports for that
    country, and offers its subdivisions."""
    submitted = submitted or {}
    regions = list(Region.objects.values_list("code", "name"))
    selected = edition or submitted.get("region") or preferred_region(request, get_catalog().regions)
    subdivision = submitted.get("subdivision", "")
    choices = first_level(selected)
    return {
        "service": service,
        "problems": service.ordered_problem_types(),
        "regions": regions,
        # Built here, not in a template loop: 250 options cost ~10 ms as template nodes.
        "region_options": format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((code, " selected" if code == selected else "", name) for code, name in regions),
        ),
        "selected_region": selected,
        "edition": edition,
        "country_name": dict(regions).get(selected, selected),
        # The subdivisions of the preselected country (a no-script form cannot follow
        # a change of country: a subdivision of another country is refused, saying so).
        "subdivision_options": format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((code, " selected" if code == subdivision else "", name) for code, name in choices.items()),
        ),
        "has_subdivisions": bool(choices),
        "report_url": (
            reverse("edition-report-problem", kwargs={"cc": edition.lower(), "slug": service.slug})
            if edition
            else reverse("report-problem", args=[service.slug])
        ),
        "comment": submitted.get("comment", ""),
        "errors": errors or {},
        "honeypot_field": HONEYPOT_FIELD,
    }


def _service_page(
    request: HttpRequest,
    service: Service,
    *,
    errors: dict[str, list[str]] | None = None,
    submitted: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The form again, with what was wrong, after a refused report."""
    context = report_form_context(
        request, service, errors=errors, submitted=submitted, edition=submitted.get("edition", "")
    )
    return render(request, "reports/service.html", context, status=status)


@require_POST
def report_problem(request: HttpRequest, slug: str, cc: str | None = None) -> HttpResponse:
    """The report form's target: accept the report, then redirect to a confirmation.
    In a country's edition (/<cc>/status/<slug>/report/) the report is that
    country's, whatever region the form sent, and the reader goes back there.

    When the report can be neither committed nor queued, a 503 page that needs no
    database says so and when to try again: never a 500, never half a report.
    """
    try:
        return _report_problem(request, slug, cc)
    except (DatabaseError, intake.Unavailable) as exc:
        retry_after = getattr(exc, "retry_after", settings.REPORT_RETRY_AFTER_SECONDS)
        response = HttpResponse(
            "<!doctype html><title>Reports paused</title><h1>We cannot take reports right now</h1>"
            "<p>Our database is unavailable for a moment, so your report was <strong>not</strong> "
            f"recorded. Please go back and send it again in {retry_after} seconds.</p>",
            status=503,
        )
        response["Retry-After"] = str(retry_after)
        return response


def _report_problem(request: HttpRequest, slug: str, cc: str | None) -> HttpResponse:
    service = get_object_or_404(Service.objects.active().select_related("group"), slug=slug)
    edition = ""
    if cc is not None:
        edition = cc.upper()
        if edition not in get_catalog().regions:
            raise Http404(f"There is no edition {cc!r}.")
    submitted = {
        "service": service.slug,
        "problem": request.POST.get("problem", ""),
        "region": edition or request.POST.get("region", ""),
        "subdivision": request.POST.get("subdivision", ""),
        "comment": request.POST.get("comment", ""),
    }
    if request.POST.get(HONEYPOT_FIELD):
        # People never see this field; a bot that fills every input does. Say so
        # plainly rather than pretend: a confirmation must mean a stored report.
        errors = {"__all__": ["This looks like an automated submission (a hidden field was filled in)."]}
        return _service_page(
            request, service, errors=errors, submitted={**submitted, "edition": edition}, status=400
        )
    client = client_from_request(request)
    try:
        try:
            valid = intake.validate_report(submitted)
        except intake.InvalidReport:
            intake.check_rate_limit(client)  # bad requests count towards the limit too
            raise
        # Read before accepting: once accepted, nothing may fail and invite a resend.
        problem_name = ProblemType.objects.values_list("name", flat=True).get(pk=valid.problem_id)
        region_name = Region.objects.values_list("name", flat=True).get(pk=valid.region)
        intake.accept_report(valid, client, Source.WEB)
    except intake.RateLimited as limited:
        errors = {
            "__all__": [
                f"Too many reports from your connection. Please try again in {limited.retry_after} seconds."
            ]
        }
        response = _service_page(
            request, service, errors=errors, submitted={**submitted, "edition": edition}, status=429
        )
        response["Retry-After"] = str(limited.retry_after)
        return response
    except intake.InvalidReport as invalid:
        return _service_page(
            request, service, errors=invalid.errors, submitted={**submitted, "edition": edition}, status=400
        )
    where = region_name
    if valid.subdivision:
        where = f"{first_level(valid.region).get(valid.subdivision, valid.subdivision)}, {region_name}"
    messages.success(
        request,
        _("Thank you: your report of %(problem)s problems with %(service)s in %(where)s is recorded.")
        % {"problem": problem_name.lower(), "service": service.name, "where": where},
    )
    page = (
        reverse("edition-service", kwargs={"cc": edition.lower(), "slug": service.slug})
        if edition
        else reverse("service-detail", args=[service.slug])
    )
    response = redirect(page + "#report")
    response.set_cookie(
        REGION_COOKIE, valid.region, max_age=REGION_COOKIE_MAX_AGE, samesite="Lax", httponly=True
    )
    return response
