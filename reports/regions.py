"""Which region to preselect in the report form."""

from __future__ import annotations

import re
from collections.abc import Container

from django.http import HttpRequest

REGION_COOKIE = "region"
FALLBACK_REGION = "US"
# "en-GB", "pt_BR", "zh-Hant-TW": a two-letter region subtag after the language.
_REGION_SUBTAG = re.compile(r"^[a-z]{2,3}(?:[-_][a-z]{4})?[-_]([a-z]{2})$", re.IGNORECASE)


def regions_from_accept_language(header: str) -> list[str]:
    """Region subtags from an Accept-Language header, most preferred first."""
    weighted = []
    for position, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        match = _REGION_SUBTAG.match(tag.strip())
        if match and quality > 0:
            weighted.append((-quality, position, match.group(1).upper()))
    return [code for _, _, code in sorted(weighted)]


def preferred_region(request: HttpRequest, known: Container[str]) -> str:
    """The reporter's region: their last choice (cookie), else their browser's
    language region, else the fallback."""
    cookie = request.COOKIES.get(REGION_COOKIE, "").upper()
    if cookie in known:
        return cookie
    for code in regions_from_accept_language(request.META.get("HTTP_ACCEPT_LANGUAGE", "")):
        if code in known:
            return code
    return FALLBACK_REGION
