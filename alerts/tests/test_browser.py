"""Following a service in a real browser (Debian's chromium through Playwright),
under the site's strict Content-Security-Policy: follow from the service page by
email, confirm from the link in the mail the SMTP server received, get the alert
when a spike opens, unsubscribe in one click."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from alerts.models import Subscriber
from alerts.tests.conftest import open_spike, run_alerts
from pages.tests.browser import Visitor, load_regions
from pages.tests.conftest import DESKTOP, PHONE, SCREENSHOTS, _regions_kept, browser  # noqa: F401 - shared
from reports.tests.factories import ServiceFactory, ServiceGroupFactory

pytestmark = pytest.mark.browser
# Beside the site's folder, which its first browser module empties once per run.
OUR_SCREENSHOTS = SCREENSHOTS.parent / "screenshots-alerts"


@pytest.fixture(scope="session")
def screenshots() -> Path:
    shutil.rmtree(OUR_SCREENSHOTS, ignore_errors=True)
    OUR_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return OUR_SCREENSHOTS


@pytest.fixture
def visitor(browser, live_server, request, settings, screenshots):  # noqa: F811
    """The site's visitor (pages/tests/conftest.py), with the links of our mails
    leading to this live server and screenshots in our own folder."""
    settings.SITE_URL = live_server.url
    context = browser.new_context(**getattr(request, "param", {}))
    page = context.new_page()
    page.set_default_timeout(15_000)
    visitor = Visitor(page, live_server.url, screenshots, request.node.name)
    yield visitor
    context.close()
    assert visitor.problems == [], "script errors or CSP violations in the browser"


@pytest.fixture
def whatsapp(transactional_db):
    load_regions()
    meta = ServiceGroupFactory(slug="meta", name="Meta")
    return ServiceFactory(slug="whatsapp", name="WhatsApp", group=meta, problems=["messages", "pictures"])


def link(text: str, path: str) -> str:
    return re.search(rf"(https?://\S+/alerts/{path}/[^/\s\"]+/)", text).group(1)


@pytest.mark.parametrize("visitor", [PHONE, DESKTOP], indirect=True, ids=["phone", "desktop"])
def test_a_reader_follows_by_email_is_alerted_and_unsubscribes_in_one_click(
    visitor, whatsapp, smtp, outbox_started
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


def test_the_notify_me_button_appears_where_the_browser_can_push(visitor, whatsapp):
    visitor.visit("/status/whatsapp/", "push-button")

    button = visitor.page.get_by_role("button", name="Notify me in this browser")
    assert button.is_visible()
