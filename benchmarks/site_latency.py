"""Server time of the public site's pages with ten million reports stored.

    eval "$(scripts/test-services start /tmp/ow-bench)"   # or: export $(cat /tmp/ow-big.env)
    .venv/bin/python benchmarks/seed_big.py               # once: ~10 M reports (see there)
    .venv/bin/python benchmarks/site_latency.py [--requests 200]

Runs on the seeded PostgreSQL database `outagewatch_big` (benchmarks/seed_big.py),
with Redis as the cache when REDIS_URL is set. Everything happens in one
transaction that is rolled back at the end, so the shared database is left as it
was: this branch's pending migrations (indexes) are applied inside it, and when
the busiest service has no open spike one is added, so the service page shows an
outage and the spike page has one to show.

"Now" is the last counted minute of the seeded data (time_machine), so the pages
read a full day of counts. Each page is requested through Django's test client in
this process: server time is the whole request (middleware, queries, template),
without the network. Two passes per page: "warm" as in production (the per-minute
breakdown cache filled), and "cold" with the cache and the catalog snapshot (and the
parts of pages made of it) cleared before every request.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outagewatch.settings")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def measure(client, url: str, n: int, cold: bool) -> tuple[list[float], int, int]:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.catalog import invalidate_catalog

    times = []
    for _ in range(n):
        if cold:
            # The shared cache and this process's catalog (and what is made of it).
            cache.clear()
            invalidate_catalog()
        began = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    if cold:
        cache.clear()
        invalidate_catalog()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    return times, len(captured), len(response.content)


def profile(client, url: str, n: int) -> None:
    """The functions the page's time goes to, and its queries with their times."""
    import cProfile
    import pstats

    from django.db import connection
    from django.template.base import Template
    from django.test.utils import CaptureQueriesContext

    # Time inside each template (inclusive of the templates it includes).
    spent: dict[str, float] = {}
    plain_render = Template._render

    def timed_render(self, context):
        began = time.perf_counter()
        try:
            return plain_render(self, context)
        finally:
            spent[self.name] = spent.get(self.name, 0.0) + time.perf_counter() - began

    Template._render = timed_render
    try:
        for _ in range(n):
            client.get(url)
    finally:
        Template._render = plain_render
    for name, seconds in sorted(spent.items(), key=lambda kv: -kv[1])[:15]:
        print(f"{seconds / n * 1000:7.2f} ms a request in {name}")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        client.get(url)
    profiler.disable()
    stats = pstats.Stats(profiler).sort_stats("cumulative")
    stats.print_stats(r"/(pages|reports|spikes|outagewatch|statuspages)/", 45)
    stats.sort_stats("tottime").print_stats(25)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    for query in captured.captured_queries:
        print(f"{float(query['time']) * 1000:6.1f} ms  {query['sql'][:300]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page and pass")
    parser.add_argument("--service", default="whatsapp", help="the service whose pages are timed")
    parser.add_argument("--calm-service", default="messenger", help="a busy service timed without an outage")
    parser.add_argument("--quiet-service", default=None, help="also time a little-reported service's page")
    parser.add_argument(
        "--editions", default="us,de", help="the country editions whose home and service page are timed"
    )
    parser.add_argument(
        "--lang",
        default="de",
        help="also time the home, edition pages and country service pages in this language "
        "(?lang=; '' for English only)",
    )
    parser.add_argument("--only", default="", help="time only the pages whose name contains this")
    parser.add_argument("--warm-only", action="store_true", help="skip the cold pass")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="print where the warm requests' time goes (cProfile) and their queries",
    )
    args = parser.parse_args()

    from seed_big import use_big_database

    use_big_database()
    import django

    django.setup()
    # One log line per request would time the terminal, not the page.
    logging.getLogger("outagewatch.request").setLevel(logging.WARNING)
    import time_machine
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import Max
    from django.test import Client

    from reports.models import Report, Service
    from spikes.models import ALL_REGIONS, Series, SeriesMinute, Spike, SpikeChange

    with transaction.atomic():
        call_command("migrate", verbosity=0)
        now = SeriesMinute.objects.aggregate(m=Max("minute"))["m"] + timedelta(minutes=1)
        service = Service.objects.get(slug=args.service)
        quiet = (
            Service.objects.get(slug=args.quiet_service)
            if args.quiet_service
            else Service.objects.active()
            .exclude(series__minutes__minute__gte=now - timedelta(days=1))
            .first()
            or Service.objects.active().order_by("-pk").first()
        )
        spike = Spike.objects.open().filter(service=service, region=ALL_REGIONS).first()
        added = spike is None
        if added:
            series, _ = Series.objects.get_or_create(service=service, region=ALL_REGIONS)
            started = now - timedelta(minutes=45)
            spike = Spike.objects.create(
                series=series, service=service, region=ALL_REGIONS, level="danger",
                started_at=started, detected_at=started + timedelta(minutes=3), peak_at=started + timedelta(minutes=15),
                peak_reports=400, expected_reports=12.0, problems={"pictures": 0.6, "messages": 0.4},
                regions={"US": 0.5, "IN": 0.3, "BR": 0.2},
            )  # fmt: skip
            SpikeChange.objects.create(spike=spike, at=spike.detected_at, kind="opened", level="warning")
            SpikeChange.objects.create(
                spike=spike, at=spike.detected_at, kind="level_changed", level="danger"
            )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE reports_report")
        pages = {
            f"service page ({service.slug}, 24 h)": f"/status/{service.slug}/",
            f"service page ({service.slug}, 7 d)": f"/status/{service.slug}/?range=7d&interval=15m",
            f"service page ({args.calm_service}, no outage)": f"/status/{args.calm_service}/",
            f"service page ({quiet.slug}, little reported)": f"/status/{quiet.slug}/",
            "spike page": f"/outages/{spike.pk}/",
            "spike CSV": f"/outages/{spike.pk}/reports.csv",
            "home": "/",
            "archive": "/outages/",
        }
        for cc in filter(None, args.editions.split(",")):
            pages[f"edition home (/{cc}/)"] = f"/{cc}/"
            pages[f"country service page ({service.slug} in {cc.upper()})"] = f"/{cc}/status/{service.slug}/"
            pages[f"edition archive (/{cc}/outages/)"] = f"/{cc}/outages/"
        if args.lang:
            # The translated pages: names through pycountry's catalogs, dates and
            # numbers through Babel's (the same rows, in another language).
            lang = f"?lang={args.lang}"
            pages[f"home ({args.lang})"] = f"/{lang}"
            pages[f"service page ({service.slug}, {args.lang})"] = f"/status/{service.slug}/{lang}"
            for cc in filter(None, args.editions.split(",")):
                pages[f"edition home (/{cc}/, {args.lang})"] = f"/{cc}/{lang}"
                pages[f"country service page ({service.slug} in {cc.upper()}, {args.lang})"] = (
                    f"/{cc}/status/{service.slug}/{lang}"
                )
        print(
            f"{Report.objects.count():,} reports, {SeriesMinute.objects.count():,} series-minutes, "
            f"{Spike.objects.count():,} spikes; now = {now:%Y-%m-%d %H:%M} UTC; "
            f"spike {'added for the run' if added else 'from the data'}; {args.requests} requests per pass"
        )
        print(f"{'page':44} {'pass':5} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'queries':>7} {'kB':>5}")
        client = Client(HTTP_HOST="127.0.0.1")
        with time_machine.travel(now, tick=True):
            for name, url in pages.items():
                if args.only not in name:
                    continue
                for cold in (False,) if args.warm_only else (False, True):
                    measure(client, url, 3, cold)  # warm-up: imports, connection, template cache
                    if args.profile and not cold:
                        profile(client, url, args.requests)
                    times, queries, size = measure(client, url, args.requests, cold)
                    print(
                        f"{name:44} {'cold' if cold else 'warm':5} {statistics.median(times):7.1f} "
                        f"{percentile(times, 95):7.1f} {max(times):7.1f} {queries:7d} {size / 1024:5.0f}"
                    )
        transaction.set_rollback(True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
