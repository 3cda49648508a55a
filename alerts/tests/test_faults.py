"""A real Celery worker killed with SIGKILL in the middle of a batch of mails:
nothing is sent twice and nothing is skipped. Select with `-m faults`; it needs
the test PostgreSQL and Redis (the worker is another process) and skips on SQLite."""

from __future__ import annotations

import asyncio
import signal
import threading
from datetime import timedelta

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.utils import timezone

from alerts import delivery, outbox
from alerts.models import Notification
from alerts.tasks import send_batch
from alerts.tests import servers
from alerts.tests.conftest import email_subscriber, open_spike
from outagewatch.celery import app
from spikes.tests.processes import needs_postgres_and_redis, wait_until, workers  # noqa: F401

pytestmark = pytest.mark.faults


class HoldingHandler(servers.SMTPServer):
    """Takes mails until the `hold_at`-th, which it keeps waiting at DATA."""

    def __init__(self, hold_at: int) -> None:
        super().__init__(port=servers.free_port())
        self.hold_at = hold_at
        self.holding = threading.Event()
        self.released = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        if len(self.messages) + 1 == self.hold_at and not self.released.is_set():
            self.holding.set()
            while not self.released.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 Try again later"  # the sender is dead by then
        return await super().handle_DATA(server, session, envelope)


@needs_postgres_and_redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_sends_nothing_twice_and_skips_nobody(whatsapp, workers, settings):  # noqa: F811
    smtp = HoldingHandler(hold_at=3)
    controller = Controller(smtp, hostname="127.0.0.1", port=smtp.port)
    controller.start()
    app.conf.task_always_eager = False
    try:
        outbox.collect()  # the outbox's first run starts from here
        for i in range(6):
            email_subscriber(f"r{i}@example.org", whatsapp)
        open_spike(whatsapp)
        for event_id in outbox.collect():
            outbox.fan_out_page(event_id)
        worker = workers(
            "sender",
            EMAIL_BACKEND="smtp",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(smtp.port),
            EMAIL_SECURITY="none",
            SITE_URL="https://outagewatch.example",
            ALERTS_EMAIL_RATE="100000/s",
        )
        send_batch.delay("email")
        wait_until(
            smtp.holding.is_set, lambda: f"the third mail to reach DATA; worker log:\n{worker.output()}"
        )
        worker.kill()
        smtp.released.set()
        assert worker.process.returncode == -signal.SIGKILL
        assert Notification.objects.filter(status="sent").count() == 2
        assert Notification.objects.filter(status="sending").count() == 4

        # The sweeper hands the dead worker's claims back once their lease is over.
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        with time_machine.travel(timezone.now() + timedelta(seconds=settings.ALERTS_CLAIM_LEASE_SECONDS + 1)):
            assert delivery.sweep().batches == {"email": 1}
            assert delivery.send_emails().sent == 4
    finally:
        app.conf.task_always_eager = True
        smtp.released.set()
        controller.stop()

    received = sorted(m.to[0] for m in smtp.messages)
    assert received == [f"r{i}@example.org" for i in range(6)]
    assert len({m.message["Message-ID"] for m in smtp.messages}) == 6
    assert Notification.objects.filter(status="sent").count() == 6
