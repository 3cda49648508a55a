import pytest

from reports.tests.factories import ServiceFactory, ServiceGroupFactory


@pytest.fixture
def whatsapp(db):
    meta = ServiceGroupFactory(slug="meta", name="Meta")
    return ServiceFactory(
        slug="whatsapp",
        name="WhatsApp",
        group=meta,
        problems=["messages", "pictures", "voice-messages", "login"],
    )


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "faults: stops and restarts real servers of its own (PostgreSQL, Redis); `-m faults`"
    )
