import ipaddress

import pytest

from outagewatch.celery import app
from statuspages.models import SourceKind, StatusSource
from statuspages.tests.factories import NOW
from statuspages.tests.server import StatusServer


@pytest.fixture
def status_server(settings):
    """A status server on 127.0.0.1, which the poller may reach (and only that address)."""
    settings.STATUSPAGE_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    settings.STATUSPAGE_TOTAL_TIMEOUT = 3
    settings.STATUSPAGE_READ_TIMEOUT = 2
    server = StatusServer().start()
    yield server
    server.stop()


@pytest.fixture
def make_source(whatsapp):
    def make(url: str, kind: str = SourceKind.STATUSPAGE, service=None, **fields) -> StatusSource:
        service = service or whatsapp
        return StatusSource.objects.create(
            service=service,
            name=f"{service.name}'s status page",
            kind=kind,
            url=url,
            next_poll_at=NOW,
            **fields,
        )

    return make


@pytest.fixture
def eager_celery():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False
