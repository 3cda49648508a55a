"""The follow box of a service page: {% follow_box %} in alerts/follow.html."""

from __future__ import annotations

from django import template
from django.utils.html import format_html_join

from alerts import push
from alerts.forms import HONEYPOT_FIELD
from reports.models import Region

register = template.Library()


@register.inclusion_tag("alerts/follow_box.html", takes_context=True)
def follow_box(context) -> dict:
    """The follow form and "notify me" button for the page's `service`. It reads
    the page's region list when there is one (the service page has it for its
    report form), so it costs the page no query."""
    service = context["service"]
    regions = context.get("regions") or list(Region.objects.values_list("code", "name"))
    return {
        "service": service,
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
        # Built here, not in a template loop: 250 options cost ~10 ms as template nodes.
        "region_options": format_html_join("", '<option value="{}">{}</option>', regions),
        "honeypot_field": HONEYPOT_FIELD,
        "vapid_public_key": push.public_key(),
    }
