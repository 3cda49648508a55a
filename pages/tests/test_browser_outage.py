"""Issue 10: the site at the moment that matters, in a real browser (chromium)
while an outage is live: one test per point of the issue, and the screenshots of
the pages a reader sees then, on a phone and on a desktop."""

from __future__ import annotations

import pytest

from pages.tests import live
from pages.tests.browser import load_regions
from pages.tests.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser


@pytest.fixture
def outage(transactional_db) -> live.LiveOutage:
    load_regions()  # the previous test's flush emptied them
    return live.build()


@pytest.mark.parametrize("visitor", [PHONE, DESKTOP], ids=["phone", "desktop"], indirect=True)
def test_the_pages_of_a_live_outage_read_right_on_a_phone_and_a_desktop(visitor, outage):
    page = visitor.page
    width = page.viewport_size["width"]
    for path, name in [
        ("/", "home"),
        ("/status/whatsapp/", "service"),
        (f"/outages/{outage.spike.pk}/", "spike"),
        (f"/incidents/{outage.spike.incident_id}/", "incident"),
        ("/status/netflix/", "service-recovering"),
        ("/outages/", "archive"),
        ("/methodology/", "methodology"),
    ]:
        response = visitor.visit(path, name)
        assert response.status == 200, path
        # Nothing sticks out sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
