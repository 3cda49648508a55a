"""Fixtures shared by every app's tests."""

import os

import pytest
from django.core.cache import cache

from reports.catalog import invalidate_catalog
from reports.tests.factories import ServiceFactory, ServiceGroupFactory
from spikes.fitting import forget_profiles

# Fixtures kept in support modules, for every app's tests (no import, no noqa).
pytest_plugins = ["spikes.tests.processes"]


def pytest_configure(config):
    # CI must exercise the real infrastructure; locally, tests that need Redis skip.
    if os.environ.get("CI") and not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        raise pytest.UsageError("In CI, DATABASE_URL and REDIS_URL must point at PostgreSQL and Redis.")


@pytest.fixture(autouse=True)
def _fresh_cache_and_catalog():
    """Each test starts with no rate-limit counters, re-reads the catalog and
    re-parses baselines (series ids and fit times repeat from test to test)."""
    cache.clear()
    invalidate_catalog()
    forget_profiles()
    yield
    invalidate_catalog()


@pytest.fixture(autouse=True)
def _regions_in_transactional_tests(request):
    """A transactional test ends by emptying every table, the regions of the data
    migration included; the next transactional test gets them back first."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or {
        "transactional_db",
        "live_server",
    } & set(request.fixturenames)
    if transactional:
        import importlib

        from django.apps import apps

        request.getfixturevalue("transactional_db")
        importlib.import_module("reports.migrations.0002_load_regions").load_regions(apps, None)


# The Meta family most tests use (pages/tests overrides whatsapp with more detail).
@pytest.fixture
def meta(db):
    return ServiceGroupFactory(slug="meta", name="Meta")


@pytest.fixture
def whatsapp(meta):
    return ServiceFactory(
        slug="whatsapp", name="WhatsApp", group=meta, problems=["messages", "pictures", "login"]
    )


@pytest.fixture
def instagram(meta):
    return ServiceFactory(
        slug="instagram", name="Instagram", group=meta, category="social", problems=["feed", "login"]
    )
