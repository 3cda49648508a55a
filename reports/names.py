"""Names in the reader's language. The database and reports/data/catalog.json keep
the English (what the API and the admin show); a page asks here for the name to
show: countries and their subdivisions through pycountry's own ISO 3166
translations (the iso-codes project's), problem types through our catalogs
(reports/catalog_names.py lists them for makemessages)."""

from __future__ import annotations

import gettext
import unicodedata
from functools import cache

import pycountry
from django.conf import settings
from django.utils.translation import get_language, pgettext, to_locale

PROBLEM_TYPE = "problem type"  # the context of the problem types' names in the catalogs


@cache
def _iso(domain: str, language: str) -> gettext.NullTranslations:
    locale = to_locale(language)
    return gettext.translation(
        domain, pycountry.LOCALES_DIR, languages=[locale, locale.split("_")[0]], fallback=True
    )


def _translator(domain: str):
    language = get_language() or settings.LANGUAGE_CODE
    if language == settings.LANGUAGE_CODE:
        return None
    return _iso(domain, language).gettext


def countries(names: dict[str, str]) -> dict[str, str]:
    """{code: English name} to {code: the name in the active language}."""
    translate = _translator("iso3166-1")
    return names if translate is None else {code: translate(name) for code, name in names.items()}


def country(name: str) -> str:
    translate = _translator("iso3166-1")
    return name if translate is None else translate(name)


# English says "in the United States", "the Netherlands' services": these countries'
# names take the article inside a sentence (never in a list or a heading of their own).
_WITH_ARTICLE = frozenset(
    {
        "Bahamas",
        "Cayman Islands",
        "Central African Republic",
        "Comoros",
        "Cook Islands",
        "Dominican Republic",
        "Faroe Islands",
        "Gambia",
        "Maldives",
        "Marshall Islands",
        "Netherlands",
        "Northern Mariana Islands",
        "Philippines",
        "Seychelles",
        "Solomon Islands",
        "Turks and Caicos Islands",
        "United Arab Emirates",
        "United Kingdom",
        "United States",
    }
)


def in_sentence(name: str) -> str:
    """A country's name as it reads inside a sentence of the active language: "the
    United States" in English. Other languages' names are left as they are (their
    articles and contractions, "aux États-Unis", "nos Estados Unidos", belong to the
    whole phrase: docs/languages.md)."""
    language = get_language() or settings.LANGUAGE_CODE
    if language.split("-")[0] == "en" and name in _WITH_ARTICLE:
        return f"the {name}"
    return name


def subdivisions(names: dict[str, str]) -> dict[str, str]:
    """{ISO 3166-2 code: name} to the names in the active language (most stay the
    local name: Bayern, São Paulo)."""
    translate = _translator("iso3166-2")
    return names if translate is None else {code: translate(name) for code, name in names.items()}


def problem(name: str) -> str:
    """A problem type's name ("Pictures") in the active language."""
    return pgettext(PROBLEM_TYPE, name)


def sort_key(name: str) -> str:
    """Alphabetical in any Latin script: Österreich beside Oman, not after Zimbabwe."""
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).casefold()


def by_name(names: dict[str, str]) -> list[tuple[str, str]]:
    """(code, name) sorted by the name as the reader reads it."""
    return sorted(names.items(), key=lambda item: sort_key(item[1]))
