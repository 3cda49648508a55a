"""Following a service in a real browser (Debian's chromium through Playwright),
under the site's strict Content-Security-Policy: follow from the service page by
email, confirm from the link in the mail the SMTP server received, get the alert
when a spike opens, unsubscribe in one click."""

from __future__ import annotations

import re

import pytest

from alerts.models import Subscriber
from alerts.tests.conftest import open_spike, run_alerts
from pages.tests.browser import load_regions
from pages.tests.conftest import (  # noqa: F401 - the site's browser fixtures, shared
    DESKTOP,
    PHONE,
    _regions_kept,
    browser,
    screenshots,
    visitor,
)
from reports.tests.factories import ServiceFactory, ServiceGroupFactory

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def links_lead_to_the_live_server(live_server, settings):
    settings.SITE_URL = live_server.url


@pytest.fixture
def whatsapp(transactional_db):
    load_regions()
    meta = ServiceGroupFactory(slug="meta", name="Meta")
    return ServiceFactory(slug="whatsapp", name="WhatsApp", group=meta, problems=["messages", "pictures"])


def link(text: str, path: str) -> str:
    return re.search(rf"(https?://\S+/alerts/{path}/[^/\s\"]+/)", text).group(1)


@pytest.mark.parametrize("visitor", [PHONE, DESKTOP], indirect=True, ids=["phone", "desktop"])
def test_a_reader_follows_by_email_is_alerted_and_unsubscribes_in_one_click(  # noqa: F811
    visitor,  # noqa: F811
    whatsapp,
    smtp,
    outbox_started,
):
    page = visitor.page
    visitor.visit("/status/whatsapp/", "service-page")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    follow_box = page.locator("#follow")
    follow_box.scroll_into_view_if_needed()
    visitor.screenshot("follow-box")

    follow_box.get_by_label("Your email").fill("ana@example.org")
    follow_box.get_by_label("Where").select_option("IN")
    follow_box.get_by_role("button", name="Email me").click()
    page.wait_for_url("**/alerts/check-your-inbox/**")
    visitor.screenshot("check-inbox")
    assert not Subscriber.objects.exists()

    [confirmation] = smtp.wait_for(1)
    page.goto(link(confirmation.text(), "confirm"))
    visitor.screenshot("confirm")
    page.get_by_role("button", name="Yes, email me").click()
    page.get_by_text("You're following WhatsApp in India").wait_for()
    visitor.screenshot("confirmed")

    spike = open_spike(whatsapp, region="IN")
    run_alerts()
    alert = smtp.wait_for(2)[1]
    assert alert.message["Subject"] == "Problems at WhatsApp in India"
    assert f"/outages/{spike.pk}/" in alert.text()

    page.goto(link(alert.html(), "unsubscribe"))
    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_text("You're unsubscribed").wait_for()
    visitor.screenshot("unsubscribed")
    assert Subscriber.objects.get().status == "unsubscribed"


def test_the_notify_me_button_appears_where_the_browser_can_push(visitor, whatsapp):  # noqa: F811
    visitor.visit("/status/whatsapp/", "push-button")

    button = visitor.page.get_by_role("button", name="Notify me in this browser")
    assert button.is_visible()
