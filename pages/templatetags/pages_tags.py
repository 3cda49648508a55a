"""Template helpers of the public site."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from outagewatch import localize
from pages.charts import expected_phrase
from reports import names
from spikes import phrases

register = template.Library()


@register.simple_tag
def moment(value: datetime | None, style: str = "day_time", utc: bool = False) -> str:
    """<time> in the reader's zone, written as the reader's language writes it
    (`style`: one of outagewatch.localize.STYLES), with the UTC time in its title
    (shown on hover) and, with utc=True, beside it when the reader's zone is not UTC."""
    if value is None:
        return ""
    utc_time = value.astimezone(UTC)
    local = timezone.localtime(value)
    html = format_html(
        '<time datetime="{}" title="{} UTC">{} {}</time>',
        utc_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        utc_time.strftime("%Y-%m-%d %H:%M"),
        localize.date(local, style),
        local.tzname(),
    )
    if utc and local.utcoffset():
        html += format_html(' <span class="utc">({} UTC)</span>', utc_time.strftime("%H:%M"))
    return html


@register.filter
def local_date(value: datetime | None, style: str = "date") -> str:
    """A date (or date and time) in the reader's zone and language, as plain text."""
    return "" if value is None else localize.date(timezone.localtime(value), style)


@register.filter
def expected(value: float | None) -> str:
    """ "4 expected", "under 1 expected" (a fraction of a reporter is not "0")."""
    return _("no usual level known yet") if value is None else expected_phrase(value)


@register.filter
def duration(value: timedelta | None) -> str:
    """ "2 h 05 min", "45 min"."""
    if value is None:
        return ""
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": f"{mins:02d}"}
    return _("%(minutes)s min") % {"minutes": mins}


@register.filter
def percent(value: float | None) -> str:
    return "" if value is None else localize.percent(value)


@register.filter
def number(value: float | None, decimals: int = 0) -> str:
    """A count or a measure as the reader's language writes it (12,345; 12.345; 1,2)."""
    return "" if value is None else localize.number(value, int(decimals))


@register.filter
def level_phrase(code: str) -> str:
    """A spike's or a status's level in the middle of a sentence ("possible problems")."""
    return phrases.status(code)


@register.filter
def confirmed_by_phrase(code: str) -> str:
    return phrases.confirmed_by(code)


@register.filter
def dismiss_reason_phrase(code: str) -> str:
    return phrases.dismiss_reason(code)


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


# "Distinct reporters per minute": the chart's bucket in words.
INTERVAL_WORDS = {
    "1m": pgettext_lazy("per", "minute"),
    "5m": pgettext_lazy("per", "5 minutes"),
    "15m": pgettext_lazy("per", "15 minutes"),
    "1h": pgettext_lazy("per", "hour"),
}


@register.filter
def interval_words(name: str) -> str:
    return INTERVAL_WORDS.get(name, name)


@register.filter
def in_sentence(country: str) -> str:
    """A country's name inside a sentence: "in the United States" (reports/names.py)."""
    return names.in_sentence(str(country))


@register.filter
def get_item(mapping: dict, key: str):
    return mapping.get(key, key)
