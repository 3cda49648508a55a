"""A small world for the site's tests: services, counted reports, baselines and
spikes, built with the real counting code and models, at a frozen time."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from pages.tests.browser import CHROMIUM_ARGS, Visitor, chromium_path, load_regions
from reports.tests.factories import ServiceFactory
from spikes.counting import count_range, floor_minute
from spikes.detection import flat_profile
from spikes.incidents import join_outage
from spikes.models import ALL_REGIONS, Incident, PipelineState, Series, SeriesBaseline, Spike, SpikeChange
from spikes.tests.factories import add_reports

# A Wednesday noon; the pages' "now".
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture
def frozen(db):
    """The pages' clock stopped at NOW, with every minute before it counted (as
    the counting pass leaves it on a running site)."""
    with time_machine.travel(NOW, tick=False):
        counting_done()
        yield NOW


def counting_done() -> None:
    """The counting pass has counted every minute before the current one."""
    PipelineState.objects.update_or_create(pk=1, defaults={"counted_until": floor_minute(timezone.now())})


@pytest.fixture
def whatsapp(meta):
    return ServiceFactory(
        slug="whatsapp",
        name="WhatsApp",
        group=meta,
        status_page_url="https://status.example.com/whatsapp",
        problems=["messages", "pictures", "voice-messages", "login"],
    )


@pytest.fixture
def quiet(db):
    """A service nobody has reported."""
    return ServiceFactory(slug="quietmail", name="QuietMail", category="email", problems=["login", "sending"])


def counted(service, start, minutes, per_minute, region="US", problem=None, reporter="r", subdivision=""):
    """Reports stored and counted per minute, as the detection pass would, which
    has then counted every minute before the current one."""
    add_reports(
        service,
        start,
        minutes,
        per_minute,
        region=region,
        problem=problem,
        reporter=reporter,
        subdivision=subdivision,
    )
    count_range(start, start + timedelta(minutes=minutes))
    counting_done()


def baseline(service, per_minute: float, region: str = ALL_REGIONS) -> Series:
    """A flat baseline of `per_minute` distinct reporters, as if fitted."""
    series, _ = Series.objects.get_or_create(service=service, region=region)
    profile = flat_profile(per_minute, 60, alpha=0.05)
    SeriesBaseline.objects.update_or_create(series=series, defaults={"profile": profile.to_dict()})
    series.baseline_updated_at = NOW - timedelta(hours=1)
    series.save(update_fields=["baseline_updated_at"])
    return series


def make_spike(service, *, started_at, level="danger", region=ALL_REGIONS, ended_at=None, **fields) -> Spike:
    series, _ = Series.objects.get_or_create(service=service, region=region)
    defaults = {
        "detected_at": started_at + timedelta(minutes=3),
        "peak_at": started_at + timedelta(minutes=10),
        "peak_reports": 40,
        "expected_reports": 2.0,
        "problems": {"pictures": 0.7, "messages": 0.3},
        "regions": {"US": 0.8, "IN": 0.2},
    }
    defaults.update(fields)
    spike = Spike.objects.create(
        series=series,
        service=service,
        region=region,
        level=level,
        started_at=started_at,
        ended_at=ended_at,
        **defaults,
    )
    join_outage(spike)  # as the detection pass does when a spike opens
    SpikeChange.objects.create(spike=spike, at=spike.detected_at, kind="opened", level="warning")
    if level == "danger":
        SpikeChange.objects.create(
            spike=spike, at=spike.detected_at + timedelta(minutes=2), kind="level_changed", level="danger"
        )
    if ended_at:
        SpikeChange.objects.create(spike=spike, at=ended_at, kind="resolved")
    return spike


@pytest.fixture
def outage_world(frozen, whatsapp, instagram):
    """WhatsApp: a usual 2 reporters a minute, then an outage since 11:15 with
    40 a minute, mostly pictures, mostly in the US; Instagram down with it (one
    incident); a resolved WhatsApp outage the day before."""
    baseline(whatsapp, 2.0)
    baseline(whatsapp, 1.5, region="US")
    counted(whatsapp, NOW - timedelta(hours=5), 300, 2, reporter="usual")
    counted(whatsapp, NOW - timedelta(minutes=45), 45, 30, problem="pictures", reporter="out")
    counted(whatsapp, NOW - timedelta(minutes=45), 45, 10, region="IN", problem="messages", reporter="outin")
    counted(instagram, NOW - timedelta(minutes=40), 40, 20, problem="feed", reporter="ig")
    incident = Incident.objects.create(
        kind="group", group=whatsapp.group, started_at=NOW - timedelta(minutes=45)
    )
    spike = make_spike(whatsapp, started_at=NOW - timedelta(minutes=45), incident=incident)
    make_spike(
        instagram,
        started_at=NOW - timedelta(minutes=40),
        incident=incident,
        problems={"feed": 1.0},
        regions={"US": 1.0},
    )
    resolved = make_spike(
        whatsapp,
        started_at=NOW - timedelta(days=1, hours=2),
        ended_at=NOW - timedelta(days=1),
        level="warning",
    )
    return {"spike": spike, "resolved": resolved, "incident": incident}


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """This run's screenshots only: the folder is emptied once per run."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="module")
def browser(screenshots):
    """Debian's chromium, headless, for one module of browser tests (pages/tests/browser.py);
    the async-safety exemption Playwright needs ends with it."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread, which makes
    # Django refuse ORM calls from the test itself; the test is not async code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(
                executable_path=executable, headless=True, args=CHROMIUM_ARGS
            )
            yield launched
            launched.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


@pytest.fixture
def visitor(browser, live_server, request):
    """A fresh browser context (parametrize indirectly with its options: PHONE,
    DESKTOP, timezone_id, java_script_enabled...) that screenshots every page."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    options = getattr(request, "param", {})
    context = browser.new_context(accept_downloads=True, **options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    visitor = Visitor(page, live_server.url, SCREENSHOTS, request.node.name)
    yield visitor
    context.close()
    assert visitor.problems == [], "script errors or CSP violations in the browser"


@pytest.fixture(scope="module", autouse=True)
def _regions_kept(request, django_db_blocker):
    """A live-server test ends with a flush, which also empties the regions the
    migrations loaded: put them back for the tests that run after a browser module."""
    yield
    marks = getattr(request.module, "pytestmark", [])
    if any(m.name == "browser" for m in (marks if isinstance(marks, list) else [marks])):
        with django_db_blocker.unblock():
            load_regions()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Name the folder of the browser tests' screenshots in the test log (CI keeps it)."""
    if SCREENSHOTS.exists() and any(SCREENSHOTS.iterdir()):
        count = sum(1 for _ in SCREENSHOTS.glob("*.png"))
        terminalreporter.write_sep("-", "browser test screenshots")
        terminalreporter.write_line(f"{count} screenshots in {SCREENSHOTS}")
