"""The language switch and the hreflang alternates every page carries (base.html)."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.utils import translation

from outagewatch.languages import in_language, without_lang

register = template.Library()


@register.inclusion_tag("pages/includes/language_switch.html", takes_context=True)
def language_switch(context: template.Context) -> dict:
    """The header's link to the switch (/languages/), naming the page's language in
    itself ("Deutsch")."""
    request = context.get("request")
    if request is None:  # the 500 page is drawn without a request
        return {}
    code = translation.get_language()
    return {"name": dict(settings.LANGUAGES).get(code, code), "code": code, "next": without_lang(request)}


@register.inclusion_tag("pages/includes/language_alternates.html", takes_context=True)
def language_alternates(context: template.Context) -> dict:
    """<link rel="alternate" hreflang> to this page in every language (?lang=), and
    x-default to the page that follows the reader's own choice."""
    request = context.get("request")
    if request is None or getattr(request, "resolver_match", None) is None or request.method != "GET":
        return {}
    path = without_lang(request)
    return {
        "alternates": [
            (code, request.build_absolute_uri(in_language(path, code))) for code, _ in settings.LANGUAGES
        ],
        "default": request.build_absolute_uri(path),
    }
