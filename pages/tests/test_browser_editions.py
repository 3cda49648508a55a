"""Issue 12: country editions in a real browser (chromium) during the live Meta
outage of pages/tests/live.py, with part of Brazil's reporters naming their state
(most of them in São Paulo): the Brazil edition, the country service page and its
map of states, the switch, the suggestion and the 404 of an unknown country, on a
phone and on a desktop."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pages.tests import live
from pages.tests.browser import load_regions
from pages.tests.conftest import DESKTOP, PHONE
from reports.models import Report
from reports.tests.factories import ServiceFactory
from spikes.counting import count_range
from spikes.models import PipelineState
from spikes.tests.factories import add_reports

pytestmark = pytest.mark.browser


@pytest.fixture
def outage(transactional_db) -> live.LiveOutage:
    load_regions()  # the previous test's flush emptied them
    built = live.build()
    whatsapp, now = built.whatsapp, built.now
    ServiceFactory(
        slug="vivo", name="Vivo", category="mobile", problems=["signal", "mobile-internet"], countries=["BR"]
    )
    ServiceFactory(
        slug="itau", name="Itaú", category="banking", problems=["login", "cards"], countries=["BR"]
    )
    # A usual hour two days ago: Brazil's reporters spread over three states and
    # mostly naming none; and in the outage, São Paulo far above its share.
    usual = now - timedelta(days=2)
    for code, rate in (("BR-SP", 1), ("BR-RJ", 1), ("BR-MG", 1), ("", 3)):
        add_reports(whatsapp, usual, 60, rate, region="BR", reporter=f"u{code}", subdivision=code)
    count_range(usual, usual + timedelta(minutes=60))
    onset = now - timedelta(minutes=live.OUTAGE_MINUTES)
    for code, rate in (("BR-SP", 12), ("BR-RJ", 1)):
        add_reports(
            whatsapp, onset, live.OUTAGE_MINUTES, rate, region="BR", reporter=f"o{code}", subdivision=code
        )
    count_range(onset, now)
    PipelineState.objects.update_or_create(pk=1, defaults={"counted_until": now})
    return built


@pytest.mark.parametrize("visitor", [PHONE, DESKTOP], ids=["phone", "desktop"], indirect=True)
def test_the_brazil_edition_reads_right_on_a_phone_and_a_desktop(visitor, outage):
    page = visitor.page
    width = page.viewport_size["width"]
    for path, name in [
        ("/br/", "edition-home"),
        ("/br/status/whatsapp/", "country-service"),
        (f"/outages/{outage.regional[0].pk}/", "spike-by-state"),
        ("/editions/?next=/status/whatsapp/", "switch"),
        ("/br/outages/", "edition-archive"),
    ]:
        response = visitor.visit(path, name)
        assert response.status == 200, path
        wide = page.evaluate(
            "(w) => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w && !e.closest('details'))"
            ".map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 40))",
            width,
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (path, wide[:8])

    visitor.visit("/br/", "edition-home-again")
    now = page.locator("section.outages-now").inner_text()
    assert "Outages in Brazil now" in now and "WhatsApp in Brazil" in now
    top = page.locator("ol.top-list li").all_inner_texts()
    assert top[0].startswith("WhatsApp") and "Instagram" in top[1]
    local = page.locator("section.all-services").first.inner_text()
    assert "Services of Brazil" in local and "Vivo" in local and "Itaú" in local and "WhatsApp" not in local


@pytest.mark.parametrize("visitor", [PHONE, DESKTOP], ids=["phone", "desktop"], indirect=True)
def test_the_country_service_page_maps_where_in_brazil(visitor, outage):
    page = visitor.page
    visitor.visit("/br/status/whatsapp/", "country-service-map")

    assert page.locator("h1").inner_text() == "Is WhatsApp down in Brazil?"
    assert "Problems detected at WhatsApp in Brazil" in page.locator(".banner").inner_text()
    sao_paulo = page.locator('figure.country-map path[data-code="BR-SP"]')
    assert sao_paulo.get_attribute("class") == "r4"
    assert "São Paulo: 300 reporters" in sao_paulo.locator("title").text_content()
    assert page.locator('figure.country-map path[data-code="BR-AM"]').get_attribute("class") == "r0"
    box = page.locator("figure.country-map > svg").bounding_box()
    assert box["width"] <= page.viewport_size["width"] and box["height"] > 200
    page.locator("figure.country-map").scroll_into_view_if_needed()
    visitor.screenshot("country-map")
    first_row = page.locator("section.subdivisions tbody tr").first.inner_text()
    assert first_row.startswith("São Paulo\t300")


@pytest.mark.parametrize("visitor", [PHONE], indirect=True)
def test_a_report_from_the_brazil_edition_names_its_state(visitor, outage):
    page = visitor.page
    visitor.visit("/br/status/vivo/", "report-in-edition")
    assert page.locator("#region").count() == 0  # the edition is the country
    page.select_option("#subdivision", "BR-BA")
    page.get_by_role("button", name="Signal").click()
    page.wait_for_load_state()
    visitor.screenshot("thanks-in-edition")

    assert page.url.endswith("/br/status/vivo/#report")
    assert "problems with Vivo in Bahia, Brazil is recorded" in page.locator(".thanks").inner_text()
    assert Report.objects.filter(source="web", region_id="BR", subdivision="BR-BA").count() == 1


@pytest.mark.parametrize("visitor", [PHONE | {"locale": "pt-BR"}], indirect=True)
def test_the_global_form_offers_states_until_another_country_is_picked(visitor, outage):
    page = visitor.page
    visitor.visit("/status/whatsapp/", "global-form-states")
    assert page.locator("#region").input_value() == "BR"
    assert page.locator("#subdivision").is_visible()

    page.select_option("#region", "IN")
    assert not page.locator("#subdivision").is_visible()
    page.get_by_role("button", name="Pictures").click()
    page.wait_for_load_state()

    assert Report.objects.filter(source="web", region_id="IN", subdivision="").count() == 1


@pytest.mark.parametrize(
    "visitor", [PHONE | {"locale": "pt-BR"}, DESKTOP], ids=["phone", "desktop"], indirect=True
)
def test_the_switch_and_the_suggestion_never_force_an_edition(visitor, outage):
    page = visitor.page
    response = visitor.visit("/status/whatsapp/", "global-with-suggestion")
    assert response.url.endswith("/status/whatsapp/")  # no redirect, whatever the language
    suggestion = page.locator(".edition-suggestion")
    # The phone speaks Brazilian Portuguese; the desktop, American English.
    wanted = "Brazil edition" if page.viewport_size["width"] < 500 else "United States edition"
    assert wanted in suggestion.inner_text()

    page.locator(".edition-switch a").click()
    page.wait_for_load_state()
    visitor.screenshot("switch")
    page.select_option("#edition", "de")
    page.get_by_role("button", name="Go").click()
    page.wait_for_load_state()
    visitor.screenshot("switched")
    assert page.url.endswith("/de/status/whatsapp/")
    assert "Germany" in page.locator(".edition-switch").inner_text()

    visitor.visit("/", "remembered")
    assert "Germany edition" in page.locator(".edition-suggestion").inner_text()
    assert page.url.endswith("/")


@pytest.mark.parametrize("visitor", [PHONE, DESKTOP], ids=["phone", "desktop"], indirect=True)
def test_an_unknown_country_is_a_404_with_the_editions(visitor, outage):
    page = visitor.page
    response = visitor.visit("/xq/status/whatsapp/", "unknown-edition")

    assert response.status == 404
    visitor.problems.remove("Failed to load resource: the server responded with a status of 404 (Not Found)")
    assert "There is no edition “xq”" in page.locator("main").inner_text()
    page.get_by_role("link", name="All countries", exact=True).last.click()
    page.wait_for_load_state()
    assert page.url.endswith("/")
