"""Every page asks the database a fixed number of questions, whatever the data:
more reports, regions, spikes or comments must not add queries."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pages.tests.conftest import NOW, baseline, counted, make_spike
from reports.catalog import invalidate_catalog
from reports.models import Report
from reports.tests.factories import ServiceFactory
from spikes.fitting import forget_profiles

# The pages and their ceilings: what each costs today, so a new query per row shows.
PAGES = {
    # The charts also read how far counting got and the intake gaps (two queries);
    # the catalog's snapshot (four, once a minute per process) is read cold here;
    # the provider's side, its status sources (one more, and two with a source).
    "service": ("/status/whatsapp/", 19),
    "service_week": ("/status/whatsapp/?range=7d&interval=15m", 19),
    "service_csv": ("/status/whatsapp/reports.csv", 8),
    "service_embed": ("/status/whatsapp/embed/", 8),
    # The country names follow the catalog's snapshot (four queries cold, none warm).
    "archive": ("/outages/?service=whatsapp", 10),
    # Where in its country (subdivisions: their counts, the country's baseline, and
    # cold, their usual shares: how far counting got, the week's totals).
    "spike": ("/outages/{spike}/", 25),
    "csv": ("/outages/{spike}/reports.csv", 6),
    "embed": ("/outages/{spike}/embed/", 6),
    "feed": ("/outages/feed/", 8),
    # A country's edition and its service page (pages/tests/test_editions.py).
    "edition": ("/in/", 14),
    "edition_service": ("/in/status/whatsapp/", 20),
    "edition_archive": ("/in/outages/", 8),
    # In German: the same questions (names and dates come from catalogs, not queries).
    "edition_de": ("/in/?lang=de", 14),
    "edition_service_de": ("/in/status/whatsapp/?lang=de", 20),
}

# What a page asks when the parts many requests share are made (pages.fragments):
# only what must be live (the status, the outages now, the recently ended, the
# comments) and how far counting got, which names the cached parts.
WARM = {
    # The outages now, how far counting got, the recently ended and their parts.
    "/": 4,
    "/?lang=de": 4,
    # The outages now there, how far counting got, the recently ended there (none:
    # no parts to read).
    "/in/": 3,
    "/in/?lang=de": 3,
    # How many outages there (none: no page to read), the owners of the filter.
    "/in/outages/": 2,
    # The service, its status, how far counting got, its status pages, its comments,
    # its group's services; in a country, its spikes there.
    "/status/whatsapp/": 6,
    "/in/status/whatsapp/": 7,
    "/in/status/whatsapp/?lang=de": 7,
}


def grow(whatsapp, spike):
    """Ten times more of everything the pages list."""
    problem = whatsapp.ordered_problem_types()[0]
    for i, code in enumerate(["DE", "FR", "BR", "JP", "GB", "ES", "IT", "MX", "CA", "AU"]):
        baseline(whatsapp, 0.5, region=code)
        counted(whatsapp, NOW - timedelta(hours=3, minutes=i), 30, 2, region=code, reporter=f"g{code}")
        Report.objects.create(
            service=whatsapp, problem=problem, region_id=code, comment=f"down in {code}", source="web"
        )
        other = ServiceFactory(slug=f"other-{i}", name=f"Other {i}", group=whatsapp.group)
        counted(other, NOW - timedelta(minutes=30), 30, 1, reporter=f"o{i}")
        make_spike(
            other, started_at=NOW - timedelta(minutes=20 + i), incident=spike.incident, related_to=None
        )
        make_spike(
            whatsapp,
            started_at=NOW - timedelta(days=2, hours=i),
            ended_at=NOW - timedelta(days=2, hours=i) + timedelta(minutes=30),
            region=code,
        )


def queries(client, url):
    # Every cache cold, so that both counts pay for the same things.
    cache.clear()
    invalidate_catalog()
    forget_profiles()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("page", PAGES)
def test_the_page_costs_the_same_queries_with_ten_times_the_data(
    client, outage_world, whatsapp, page, django_assert_max_num_queries
):
    path, ceiling = PAGES[page]
    url = path.format(spike=outage_world["spike"].pk)
    before = queries(client, url)

    grow(whatsapp, outage_world["spike"])

    cache.clear()
    with django_assert_max_num_queries(ceiling):
        client.get(url)
    assert queries(client, url) == before


def test_the_home_page_costs_the_same_with_ten_or_thirty_services_reported(
    client, db, frozen, django_assert_max_num_queries
):
    def reported(numbers):
        for i in numbers:
            service = ServiceFactory(slug=f"busy-{i:02d}", name=f"Busy {i}")
            counted(service, NOW - timedelta(minutes=20), 10, 1 + i % 3, reporter=f"b{i}")
            make_spike(
                service, started_at=NOW - timedelta(minutes=15), level="warning" if i % 2 else "danger"
            )

    reported(range(10))
    before = queries(client, "/")
    reported(range(10, 40))

    with django_assert_max_num_queries(40):
        client.get("/")
    assert queries(client, "/") == before


@pytest.mark.parametrize("url", WARM)
def test_a_page_asks_only_for_what_is_live_once_its_shared_parts_are_made(client, outage_world, url):
    assert client.get(url).status_code == 200  # makes the shared parts
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    assert len(captured) == WARM[url], "\n".join(q["sql"][:150] for q in captured)
