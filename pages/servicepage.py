"""What the service page (/status/<slug>/, and /<cc>/status/<slug>/ in a country's
edition) shows besides its status (which spikes.models answers:
Spike.objects.status_for): the most reported problems, the regions or a country's
subdivisions against their usual level, and the report form.

The breakdowns are read from the shared cache (pages.breakdowns computes them) and
refreshed in the background by a Celery task once they are older than their
freshness; the open spike's own breakdown is read fresh.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import escape, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from pages.breakdowns import (
    DEFAULT_MAP_WINDOW,
    RegionRow,
    Share,
    breakdown_key,
    breakdown_kind,
    store_breakdown,
)
from pages.fragments import per_catalog
from pages.outages import region_names
from pages.tasks import refresh_breakdown
from reports import names as localnames
from reports.catalog import get_catalog
from reports.models import ProblemType, Service
from reports.regions import preferred_region
from reports.subdivisions import first_level
from spikes.models import ALL_REGIONS, Spike

logger = logging.getLogger(__name__)

# A field people never see and bots that fill every input do.
HONEYPOT_FIELD = "website"


def cached_breakdown(kind: str, service: Service, now: datetime):
    """The cached breakdown, refreshed in the background once it is older than its
    freshness; computed here only when there is none, or none recent enough."""
    key = breakdown_key(kind, service.pk)
    hit = cache.get(key)
    freshness = breakdown_kind(kind)[1]
    if hit is None or now - hit[0] >= timedelta(seconds=freshness.stale):
        return store_breakdown(kind, service, now)
    computed_at, value = hit
    if now - computed_at >= timedelta(seconds=freshness.fresh) and cache.add(
        f"{key}:refreshing", 1, timeout=60
    ):
        try:
            refresh_breakdown.apply_async((kind, service.pk), retry=False)
        except Exception:  # a broker outage must not fail a page: it stays stale
            logger.warning(
                "could not queue the %s breakdown refresh of %s", kind, service.slug, exc_info=True
            )
            cache.delete(f"{key}:refreshing")
    return value


def problem_types(service: Service) -> list[ProblemType]:
    """The service's problem types in its form's order, read once per catalog
    snapshot (pages.fragments; shared: never change them)."""
    return per_catalog("problem-types", service.pk, service.ordered_problem_types)


def problem_shares(
    service: Service, now: datetime, spike: Spike | None = None, country: str = ALL_REGIONS
) -> list[Share]:
    """The most reported problems, largest first: the open spike's breakdown while
    there is one (that is the story), else the last 24 hours of counts (of one
    country's reports, with `country`)."""
    names = {problem.slug: localnames.problem(problem.name) for problem in problem_types(service)}
    if spike is not None and spike.problems:
        shares = dict(spike.problems)
    else:
        shares = cached_breakdown(f"problems@{country}" if country else "problems", service, now)
    return sorted(
        (
            Share(slug, names.get(slug, slug.replace("-", " ").capitalize()), share)
            for slug, share in shares.items()
        ),
        key=lambda s: (-s.share, s.name),
    )


def region_rows(
    service: Service, now: datetime, region_names: dict[str, str], window: str = DEFAULT_MAP_WINDOW
) -> list[RegionRow]:
    """Distinct reporters per region over the last `window` of counted minutes,
    beside what each region's baseline expected for that window, for regions with
    any report."""
    raw = cached_breakdown(f"regions-{window}", service, now)
    return [RegionRow(code, region_names.get(code, code), n, expected) for code, n, expected in raw]


def subdivision_rows(
    service: Service, country: str, now: datetime, names: dict[str, str], window: str = DEFAULT_MAP_WINDOW
) -> list[RegionRow]:
    """Distinct reporters per first-level subdivision of `country` over the last
    `window` of counted minutes (reports that named one), beside what was expected
    there: the country's baseline for the window times the subdivision's usual
    share of the country's reporters (breakdowns.subdivisions_between)."""
    raw = cached_breakdown(f"subdivisions-{window}@{country}", service, now)
    return [RegionRow(code, names.get(code, code), n, expected) for code, n, expected in raw]


def regions_by_name() -> list[tuple[str, str]]:
    """(code, country name) in the reader's language, by name: the form's choices."""
    language = get_language() or settings.LANGUAGE_CODE
    return per_catalog("regions-by-name", language, lambda: localnames.by_name(region_names()))


def _region_options(selected: str) -> SafeString:
    """The form's <option>s of every country, `selected` chosen. Built once per
    language and catalog snapshot (250 options cost ~10 ms as template nodes, and
    their names' sorting and translation 3 ms more), only the choice marked here."""
    language = get_language() or settings.LANGUAGE_CODE
    options = per_catalog(
        "region-options",
        language,
        lambda: format_html_join("", '<option value="{}">{}</option>', regions_by_name()),
    )
    chosen = f'<option value="{escape(selected)}">'
    # safe: our own options, one of them given the attribute
    return mark_safe(options.replace(chosen, chosen[:-1] + " selected>", 1))


def report_form(
    request: HttpRequest,
    service: Service,
    *,
    errors: dict[str, list[str]] | None = None,
    submitted: dict[str, str] | None = None,
    edition: str = "",
) -> dict:
    """What the report form (pages/includes/report_form.html) needs: blank, or after a
    refused report with what was sent and what was wrong. In a country's edition
    (`edition`, its code) the form files reports for that country, and offers its
    subdivisions."""
    submitted = submitted or {}
    names = region_names()
    selected = edition or submitted.get("region") or preferred_region(request, get_catalog().regions)
    subdivision = submitted.get("subdivision", "")
    choices = localnames.subdivisions(first_level(selected))
    return {
        "service": service,
        "problems": problem_types(service),
        "regions": regions_by_name(),
        "region_options": _region_options(selected),
        "selected_region": selected,
        "edition": edition,
        "country_name": names.get(selected, selected),
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
        "repeat_minutes": settings.REPORT_REPEAT_WINDOW_SECONDS // 60,
    }
