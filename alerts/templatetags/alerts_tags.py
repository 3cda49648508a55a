"""The follow box of a service page: {% follow_box %} in alerts/follow.html."""

from __future__ import annotations

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from alerts import push
from alerts.forms import HONEYPOT_FIELD
from reports import names as localnames
from reports.models import Region

register = template.Library()


@register.inclusion_tag("alerts/follow_box.html", takes_context=True)
def follow_box(context) -> dict:
    """The follow form and "notify me" button for the page's `service`. It reads
    the page's region list when there is one (the service page has it for its
    report form), so it costs the page no query. In a country edition the edition's
    country is chosen: a reader of /de/ follows the service in Germany unless they
    choose otherwise."""
    service = context["service"]
    edition = context.get("edition")
    chosen = edition.code if edition else ""
    regions = context.get("regions") or localnames.by_name(
        localnames.countries(dict(Region.objects.values_list("code", "name")))
    )
    return {
        "service": service,
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
        # Built here, not in a template loop: 250 options cost ~10 ms as template nodes.
        "region_options": format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((code, mark_safe(" selected") if code == chosen else "", name) for code, name in regions),
        ),
        "everywhere_chosen": not chosen,
        "honeypot_field": HONEYPOT_FIELD,
        "vapid_public_key": push.public_key(),
    }
