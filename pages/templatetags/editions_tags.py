"""The edition switch and the edition suggestion every page carries (base.html)."""

from __future__ import annotations

from django import template
from django.db import DatabaseError

from pages import editions

register = template.Library()


@register.inclusion_tag("pages/includes/edition_switch.html", takes_context=True)
def edition_switch(context: template.Context) -> dict:
    """The header's link to the switch, naming the edition of this page; and, when
    the reader's remembered choice or browser language suggests another edition,
    a link to this same page there (a suggestion: nothing redirects)."""
    request = context.get("request")
    if request is None:  # the 500 page is drawn without a request
        return {}
    current = getattr(request, "edition", None)
    try:
        suggestion = editions.suggested(request)
    except DatabaseError:  # an error page must draw with the database down
        suggestion = None
    path = request.get_full_path()
    return {
        "current": current,
        "switch_path": path,
        "suggestion": suggestion if suggestion != current else None,
        "suggestion_url": editions.path_in(request.path, suggestion)
        if suggestion and suggestion != current
        else "",
    }
