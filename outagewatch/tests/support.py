"""Helpers for tests of any app: scraping /metrics, and the test database's URL
for processes a test starts."""

from __future__ import annotations

from django.db import connection
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families


def sample(name: str, **labels: str) -> float:
    """A sample of this process's default registry (0 when it was never set)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(client, **extra) -> dict[tuple[str, tuple], float]:
    """GET /metrics, as {(sample name, sorted labels): value}."""
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.content.decode())
        for s in family.samples
    }


def database_url() -> str:
    """The URL of the test database, for a process a test starts (its tables exist;
    rows of a test that is not transactional are not visible to it)."""
    conf = connection.settings_dict
    if conf["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{conf['NAME']}"
    auth = conf["USER"] + (f":{conf['PASSWORD']}" if conf["PASSWORD"] else "")
    return f"postgres://{auth}@{conf['HOST']}:{conf['PORT']}/{conf['NAME']}"
