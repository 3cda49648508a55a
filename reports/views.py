"""The report form's target, and the form's context for the pages that show it
(the service page itself lives in the pages app)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html_join
from django.views.decorators.http import require_POST

from reports import intake
from reports.catalog import get_catalog
from reports.clients import client_from_request
from reports.models import Region, Service, Source
from reports.regions import REGION_COOKIE, preferred_region

HONEYPOT_FIELD = "website"
REGION_COOKIE_MAX_AGE = 365 * 24 * 3600


def report_form_context(
    request: HttpRequest,
    service: Service,
    *,
    errors: dict[str, list[str]] | None = None,
    submitted: dict[str, str] | None = None,
) -> dict:
    """What the report form (reports/includes/report_form.html) needs, for any page
    that shows it: the service page of the public site, or this app's error page."""
    submitted = submitted or {}
    regions = list(Region.objects.values_list("code", "name"))
    selected = submitted.get("region") or preferred_region(request, get_catalog().regions)
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
    context = report_form_context(request, service, errors=errors, submitted=submitted)
    return render(request, "reports/service.html", context, status=status)


@require_POST
def report_problem(request: HttpRequest, slug: str) -> HttpResponse:
    """The report form's target: store the report, then redirect to a confirmation."""
    service = get_object_or_404(Service.objects.active().select_related("group"), slug=slug)
    submitted = {
        "service": service.slug,
        "problem": request.POST.get("problem", ""),
        "region": request.POST.get("region", ""),
        "comment": request.POST.get("comment", ""),
    }
    if request.POST.get(HONEYPOT_FIELD):
        # People never see this field; a bot that fills every input does. Say so
        # plainly rather than pretend: a confirmation must mean a stored report.
        errors = {"__all__": ["This looks like an automated submission (a hidden field was filled in)."]}
        return _service_page(request, service, errors=errors, submitted=submitted, status=400)
    client = client_from_request(request)
    try:
        intake.check_rate_limit(client)
        valid = intake.validate_report(submitted)
    except intake.RateLimited as limited:
        errors = {
            "__all__": [
                f"Too many reports from your connection. Please try again in {limited.retry_after} seconds."
            ]
        }
        response = _service_page(request, service, errors=errors, submitted=submitted, status=429)
        response["Retry-After"] = str(limited.retry_after)
        return response
    except intake.InvalidReport as invalid:
        return _service_page(request, service, errors=invalid.errors, submitted=submitted, status=400)
    report = intake.file_report(valid, client, Source.WEB)
    messages.success(
        request,
        f"Thank you: your report of {report.problem.name.lower()} problems with {service.name} "
        f"in {report.region.name} is recorded.",
    )
    response = redirect(reverse("service-detail", args=[service.slug]) + "#report")
    response.set_cookie(
        REGION_COOKIE, valid.region, max_age=REGION_COOKIE_MAX_AGE, samesite="Lax", httponly=True
    )
    return response
