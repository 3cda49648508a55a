"""The edition switch and the edition suggestion every page carries (base.html)."""

from __future__ import annotations

from django import template
from django.db import DatabaseError

from pages import editions

register = template.Library()


@register.inclusion_tag("pages/includes/edition_switch.html", takes_context=True)
def edition_switch(context: template.Context) -> dict:
    """The header's link to the switch (/editions/), naming this page's edition."""
    request = context.get("request")
    if request is None:  # the 500 page is drawn without a request
        return {}
    return {"current": getattr(request, "edition", None), "switch_path": request.get_full_path()}


@register.inclusion_tag("pages/includes/edition_suggestion.html", takes_context=True)
def edition_suggestion(context: template.Context) -> dict:
    """When the reader's remembered choice or browser language points to another
    edition than this page's, a link to this same page there: a suggestion, as
    nothing redirects."""
    request = context.get("request")
    if request is None:
        return {}
    try:
        suggestion = editions.suggested(request)
    except DatabaseError:  # an error page must draw with the database down
        return {}
    if suggestion is None or suggestion == getattr(request, "edition", None):
        return {}
    return {"suggestion": suggestion, "suggestion_url": editions.path_in(request.get_full_path(), suggestion)}
