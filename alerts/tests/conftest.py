"""Fixtures of the alerts' tests: the outside parties (SMTP server, push service,
chat services) running for real on 127.0.0.1, settings pointing at them, Celery
tasks run in the test process, and a small world of services and spikes."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import pytest

from alerts import tasks
from alerts.models import AlertCursor, Follow, Medium, Subscriber
from alerts.tests import servers
from outagewatch import safehttp
from outagewatch.celery import app
from reports.tests.factories import ServiceFactory
from spikes.models import Series, Spike, SpikeChange

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def eager_tasks():
    """Tasks run where they are called, as a worker would run them."""
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def alert_settings(settings):
    settings.SITE_URL = "https://outagewatch.example"
    settings.ALERTS_ALLOW_PRIVATE_URLS = True  # our push service and chat services live on 127.0.0.1
    settings.ALERTS_EMAIL_RATE = (100_000, 1)
    settings.ALERTS_HOURLY_LIMIT = 3
    settings.ALERTS_DAILY_LIMIT = 20
    return settings


# A public address (of the documentation's example.com) for every name the tests give.
PUBLIC_ADDRESS = "93.184.215.14"


def _test_dns(host: str, port: int) -> list[str]:
    """The DNS of the tests (an outside party): any name is public, while address
    literals and localhost resolve as they are (the machine has no DNS of its own)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if host != "localhost":
            return [PUBLIC_ADDRESS]
    return safehttp.system_resolver(host, port)


@pytest.fixture(autouse=True)
def public_names():
    with safehttp.use_resolver(_test_dns):
        yield


@pytest.fixture
def smtp(settings):
    """A real SMTP server; Django's SMTP backend sends to it."""
    server, controller = servers.start_smtp()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield server
    controller.stop()


@pytest.fixture
def push_service():
    service, server = servers.start_push()
    yield service
    server.shutdown()
    server.server_close()


@pytest.fixture
def chat():
    service, server = servers.start_chat()
    yield service
    server.shutdown()
    server.server_close()


@pytest.fixture
def facebook(meta):
    return ServiceFactory(
        slug="facebook", name="Facebook", group=meta, category="social", problems=["feed", "login"]
    )


def email_subscriber(address: str, *follows, time_zone: str = "Europe/Paris", **fields) -> Subscriber:
    """A confirmed email subscriber following services (or groups), everywhere
    unless a follow is given as (target, region)."""
    subscriber = Subscriber.objects.create(medium=Medium.EMAIL, email=address, time_zone=time_zone, **fields)
    for item in follows:
        target, region = item if isinstance(item, tuple) else (item, "")
        kind = "service" if hasattr(target, "category") else "group"
        Follow.objects.create(subscriber=subscriber, region=region, **{kind: target})
    return subscriber


def push_subscriber(browser: servers.Browser, *follows) -> Subscriber:
    keys = browser.subscription()["keys"]
    subscriber = Subscriber.objects.create(
        medium=Medium.PUSH,
        endpoint=browser.endpoint,
        p256dh=keys["p256dh"],
        auth=keys["auth"],
        time_zone="UTC",
    )
    for target in follows:
        Follow.objects.create(subscriber=subscriber, service=target)
    return subscriber


def open_spike(service, *, at: datetime = NOW, region: str = "", level: str = "danger", **fields) -> Spike:
    """A spike as the detector stores it, with its 'opened' change."""
    series, _ = Series.objects.get_or_create(service=service, region=region)
    spike = Spike.objects.create(
        series=series,
        service=service,
        region=region,
        level=level,
        started_at=at - timedelta(minutes=4),
        detected_at=at,
        peak_at=at,
        peak_reports=fields.pop("peak_reports", 120),
        expected_reports=fields.pop("expected_reports", 4.0),
        problems=fields.pop("problems", {"pictures": 0.7, "messages": 0.3}),
        regions=fields.pop("regions", {"IN": 0.6, "BR": 0.3, "US": 0.1}),
        **fields,
    )
    SpikeChange.objects.create(spike=spike, at=at, kind="opened", level=level)
    return spike


def change(
    spike: Spike, kind: str, *, at: datetime | None = None, level: str = "", note: str = "", **fields
) -> SpikeChange:
    """Change a spike as the detector (or staff) would, with its history row."""
    for name, value in fields.items():
        setattr(spike, name, value)
    if kind == "level_changed":
        spike.level = level
    if kind == "resolved":
        # The end is the lifecycle: the verdict stays as it is.
        spike.ended_at = spike.ended_at or at or NOW + timedelta(minutes=30)
    if kind == "dismissed":
        spike.verdict = "dismissed"
    if kind == "confirmed":
        spike.verdict = "confirmed"
    spike.save()
    return SpikeChange.objects.create(
        spike=spike, at=at or NOW + timedelta(minutes=5), kind=kind, level=level or spike.level, note=note
    )


@pytest.fixture
def outbox_started(db):
    """The alerts outbox as it is after its first run, before any change below."""
    AlertCursor.objects.create(pk=1, seen=[[0, 0]])


def run_alerts() -> dict:
    """What beat does every 30 s: collect events, fan them out, send (all in this process)."""
    return {"events": tasks.collect_alert_events.delay().get()}
