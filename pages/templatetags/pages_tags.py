"""Template helpers of the public site."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html

from pages.charts import expected_phrase

register = template.Library()


@register.simple_tag
def moment(value: datetime | None, fmt: str = "M j, H:i", utc: bool = False) -> str:
    """<time> in the reader's zone, with the UTC time in its title (shown on hover)
    and, with utc=True, beside it when the reader's zone is not UTC."""
    if value is None:
        return ""
    utc_time = value.astimezone(UTC)
    local = timezone.localtime(value)
    html = format_html(
        '<time datetime="{}" title="{} UTC">{} {}</time>',
        utc_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        utc_time.strftime("%Y-%m-%d %H:%M"),
        date_format(local, fmt),
        local.tzname(),
    )
    if utc and local.utcoffset():
        html += format_html(' <span class="utc">({} UTC)</span>', utc_time.strftime("%H:%M"))
    return html


@register.filter
def expected(value: float | None) -> str:
    """ "4 expected", "under 1 expected" (a fraction of a reporter is not "0")."""
    return "no usual level known yet" if value is None else expected_phrase(value)


@register.filter
def duration(value: timedelta | None) -> str:
    """ "2 h 05 min", "45 min"."""
    if value is None:
        return ""
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins:02d} min"
    return f"{mins} min"


@register.filter
def percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.0f}%"


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: str) -> str:
    """The current query string with some parameters replaced ("" drops one), after
    the page's own path when the view names it (`page_path`): a page shown at
    another URL (the service page after a refused report, at the form's target)
    still links to itself."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in ("", None):
            params.pop(key, None)
        else:
            params[key] = value
    if "page" not in changes:
        # Another filter or sort starts again at the first page.
        params.pop("page", None)
    encoded = params.urlencode()
    return f"{context.get('page_path', '')}?{encoded}" if encoded else f"{context.get('page_path', '')}?"


INTERVAL_WORDS = {"1m": "minute", "5m": "5 minutes", "15m": "15 minutes", "1h": "hour"}


@register.filter
def interval_words(name: str) -> str:
    return INTERVAL_WORDS.get(name, name)


@register.filter
def get_item(mapping: dict, key: str):
    return mapping.get(key, key)
