from datetime import UTC, datetime

import pytest

from reports.tests.factories import ServiceFactory, ServiceGroupFactory

# A Monday, so that weekly slots line up with the start of the history.
T0 = datetime(2026, 3, 2, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _forget_cached_profiles():
    """Series ids repeat from test to test: the pass's profile cache must not."""
    from spikes import detecting

    detecting._profiles.clear()


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
