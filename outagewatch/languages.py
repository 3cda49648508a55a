"""The reader's language (docs/languages.md).

Never in the path: two-letter prefixes are country editions (/de/ is Germany, not
German). The language of a response is, in order: `?lang=` in the address (what the
pages' hreflang alternates and the embed snippets carry; for that response only),
the language cookie (set by the switch at /languages/), the browser's
Accept-Language, English. The partner API answers in English whatever is asked:
its messages are part of its contract.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

LANG_PARAM = "lang"
# A language tag as a link writes it: "de", "pt-br", "pt_BR", "zh-Hant-TW".
_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,2}$")
ENGLISH_PATHS = ("/api/",)


def shipped(code: str) -> str | None:
    """The shipped language a link's `lang` names ("pt-BR", "pt_br", "de-AT": the
    closest one shipped), or None."""
    if not _TAG.match(code):
        return None
    try:
        return translation.get_supported_language_variant(code.replace("_", "-").lower())
    except LookupError:
        return None


def without_lang(request: HttpRequest) -> str:
    """The request's path and query without `lang`."""
    params = request.GET.copy()
    params.pop(LANG_PARAM, None)
    query = params.urlencode()
    return request.path + (f"?{query}" if query else "")


def in_language(path: str, code: str) -> str:
    """`path` (already without `lang`) with `lang=code` added."""
    return path + ("&" if "?" in path else "?") + urlencode({LANG_PARAM: code})


class LanguageMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware (cookie, then Accept-Language), with `?lang=`
    before it and English for the API."""

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        if request.path_info.startswith(ENGLISH_PATHS):
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = settings.LANGUAGE_CODE
            return None
        asked = request.GET.get(LANG_PARAM)
        if asked is None:
            super().process_request(request)
            return None
        code = shipped(asked)
        if code is None:
            # The page in the reader's own language, listing the ones there are.
            super().process_request(request)
            return unknown_language(request, asked)
        translation.activate(code)
        request.LANGUAGE_CODE = code
        return None

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if request.path_info.startswith(ENGLISH_PATHS):
            return response
        response = super().process_response(request, response)
        # The language also comes from the cookie: a shared cache must not serve a
        # German reader's page to a French one.
        patch_vary_headers(response, ("Cookie",))
        return response


def unknown_language(request: HttpRequest, asked: str) -> HttpResponse:
    """404: `lang` names no shipped language; the page links to this page in each one."""
    path = without_lang(request)
    return render(
        request,
        "404.html",
        {
            "what": _("There is no “%(code)s” version of this page.") % {"code": asked[:20]},
            "language_links": [(code, name, in_language(path, code)) for code, name in settings.LANGUAGES],
        },
        status=404,
    )
