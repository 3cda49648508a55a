"""Issue 12, languages: the home, a service page and a spike page in every shipped
language, in chromium on a phone and on a desktop, with the language the browser
asks for (Accept-Language). Each page carries its language (html lang, hreflang),
says in that language what the English catalog says (no English UI sentence left),
and writes dates and numbers as the locale does (CLDR, through Babel)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.dates import format_skeleton
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils.translation import to_locale

from pages.tests import live
from pages.tests.browser import load_regions
from pages.tests.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

# Accept-Language as a browser of the language sends it: the site answers in it.
BROWSER_LOCALES = {
    "es": "es-ES",
    "pt-br": "pt-BR",
    "de": "de-DE",
    "fr": "fr-FR",
    "hi": "hi-IN",
    "ar": "ar-EG",  # right to left
}
# The page's own words in its language, one per page.
HEADINGS = {
    "es": ("Caídas ahora", "¿No funciona WhatsApp ahora mismo?", "Personas que reportaron"),
    "pt-br": ("Falhas agora", "WhatsApp está fora do ar agora?", "Pessoas que relataram"),
    "de": ("Aktuelle Störungen", "Ist WhatsApp gerade gestört?", "Personen, die gemeldet haben"),
    "fr": ("Pannes en cours", "WhatsApp est-il en panne en ce moment\u202f?", "Personnes ayant signalé"),
    "hi": ("अभी के आउटेज", "क्या WhatsApp अभी बंद है?", "रिपोर्ट करने वाले लोग"),
    "ar": ("الانقطاعات الآن", "هل WhatsApp متوقفة الآن؟", "الأشخاص الذين أبلغوا"),
}
# A literal run of at least this many words of an English message is a UI sentence
# (single words such as "Internet" or "Test" are words of several languages).
ENGLISH_WORDS = 3
# The elements that stick out of a `width` wide page (what to fix when one does).
WIDER_THAN = (
    "(w) => [...document.querySelectorAll('body *')]"
    ".filter(e => { const r = e.getBoundingClientRect(); return (r.right > w || r.left < 0) && !e.closest('details'); })"
    ".map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 40))"
)
PLACEHOLDER_OR_TAG = re.compile(r"%\(\w+\)[sdr]|%[sd]|\{\}|<[^>]+>|&\w+;")


@cache
def english_sentences(language: str) -> frozenset[str]:
    """The English runs of words of the catalog that `language` translates otherwise."""
    locale = to_locale(language)
    po = Path(settings.LOCALE_PATHS[0]) / locale / "LC_MESSAGES" / "django.po"
    with po.open("rb") as source:
        catalog = read_po(source, locale=locale)
    translations = " ".join(
        " ".join(m.string) if isinstance(m.string, tuple) else m.string for m in catalog if m.id
    )
    found = set()
    for message in catalog:
        if not message.id:
            continue
        for english in message.id if isinstance(message.id, tuple) else (message.id,):
            for run in PLACEHOLDER_OR_TAG.split(english):
                run = run.strip(" .,:;()“”!?")
                if len(run.split()) >= ENGLISH_WORDS and run not in translations:
                    found.add(run)
    return frozenset(found)


def english_left(text: str, language: str) -> list[str]:
    return sorted(s for s in english_sentences(language) if s in text)


@pytest.fixture
def outage(transactional_db) -> live.LiveOutage:
    load_regions()  # the previous test's flush emptied them
    return live.build()


BROWSERS = [
    pytest.param({**device, "locale": locale, "timezone_id": "UTC"}, language, id=f"{language}-{kind}")
    for language, locale in BROWSER_LOCALES.items()
    for kind, device in [("phone", PHONE), ("desktop", DESKTOP)]
]


@pytest.mark.parametrize(("visitor", "language"), BROWSERS, indirect=["visitor"])
def test_the_home_a_service_and_a_spike_page_read_in_the_readers_language(visitor, language, outage):
    page = visitor.page
    width = page.viewport_size["width"]
    home, service, spike = HEADINGS[language]
    for path, name, heading in [
        ("/", "home", home),
        ("/status/whatsapp/", "service", service),
        (f"/outages/{outage.spike.pk}/", "spike", spike),
    ]:
        response = visitor.visit(path, f"{language}-{name}")
        assert response.status == 200, path
        assert page.locator("html").get_attribute("lang") == language
        assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
        alternates = page.locator('link[rel="alternate"][hreflang]').evaluate_all(
            "links => links.map(l => l.hreflang)"
        )
        assert set(alternates) >= {code for code, _ in settings.LANGUAGES}, path
        text = page.locator("body").inner_text() + "\n" + page.title()
        assert heading in text, (path, heading)
        assert english_left(text, language) == [], path
        # Long German and French words wrap instead of pushing the page sideways.
        wide = page.evaluate(WIDER_THAN, width)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (path, wide[:6])

    # The spike's start as the locale writes a day and a month ("2. Dez.", "2 déc.").
    started = outage.spike.started_at
    day = format_skeleton("MMMd", started, locale=to_locale(language))
    assert day in page.locator("body").inner_text(), day
    # Its reporters: a number over a thousand with the locale's grouping.
    people = page.locator("dt", has_text=spike).locator("xpath=following-sibling::dd[1]").inner_text()
    assert re.search(GROUPED[language], people), people


# A thousand and more as each locale groups it (Babel's CLDR data): 1.234 (es, de,
# pt-BR), 1 234 with a narrow no-break space (fr), 1,234 (hi).
GROUPED = {
    "es": r"\b1\.\d{3}\b",
    "pt-br": r"\b1\.\d{3}\b",
    "de": r"\b1\.\d{3}\b",
    "fr": r"\b1\u202f\d{3}\b",
    "hi": r"\b1,\d{3}\b",
    "ar": r"\b1,\d{3}\b",
}
