"""A PostgreSQL database with ten million reports, for the latency benchmarks of the
site and the partner API.

    eval "$(scripts/test-services start /tmp/ow-bench)"      # or any PostgreSQL
    .venv/bin/python benchmarks/seed_big.py [--reports 10000000] [--fresh]

It creates (or reuses) the database `outagewatch_big` on the server of DATABASE_URL:
the real catalog, N reports over the last four weeks (popular services and regions
far busier than the rest, a daily cycle, a few dozen outages, a third of them naming
a subdivision of their country), the per-minute counts
made by the real counting code, a fitted baseline for every all-regions series (the
real fit) and its regional shares for the regional series, and spikes with their
history. Other benchmarks call `use_big_database()` before django.setup().

Reports are generated inside PostgreSQL (INSERT ... SELECT over generate_series), so
seeding costs minutes, most of them in counting; a second run reuses the database.
(On the shared development machine, /tmp/ow-big.env names a server that already
holds a seeded copy: `export $(cat /tmp/ow-big.env)` instead of seeding your own.)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outagewatch.settings")

DATABASE = "outagewatch_big"
DAYS = 28
OUTAGES = 40
# Zipf-like weights: the first services and regions of the lists get most reports.
TOP_REGIONS = ["US", "GB", "IN", "BR", "DE", "FR", "MX", "ES", "IT", "CA", "AU", "JP", "NL", "PL", "TR"]
TOP_REGIONS += ["ID", "PH", "AR", "CO", "NG", "ZA", "SE", "BE", "PT", "IE", "AT", "CH", "DK", "NO", "FI"]


def use_big_database() -> str:
    """Point DATABASE_URL at the seeded database (call before django.setup())."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (scripts/test-services start DIR prints one).")
    os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + DATABASE
    return os.environ["DATABASE_URL"]


def _server(url: str):
    import dj_database_url
    import psycopg2

    config = dj_database_url.parse(url)
    conn = psycopg2.connect(
        host=config["HOST"],
        port=config["PORT"],
        user=config["USER"],
        password=config["PASSWORD"],
        dbname="postgres",
    )
    conn.autocommit = True
    return conn


def create_database(fresh: bool) -> bool:
    """Create the database; True when it already existed and may be reused."""
    conn = _server(os.environ["DATABASE_URL"])
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE])
        exists = cursor.fetchone() is not None
        if exists and fresh:
            cursor.execute(f"DROP DATABASE {DATABASE}")
            exists = False
        if not exists:
            cursor.execute(f"CREATE DATABASE {DATABASE}")
    conn.close()
    return exists


def weights(n: int, exponent: float = 1.1) -> list[int]:
    """Integer Zipf weights summing to about 10,000, every item at least 1."""
    raw = [1 / (rank + 1) ** exponent for rank in range(n)]
    scale = 10_000 / sum(raw)
    return [max(1, round(w * scale)) for w in raw]


def _weighted(codes: list[str]) -> list[str]:
    """Each code repeated by its Zipf weight (of about 10,000 in all), so that a random
    pick favours the first ones: a few busy states, many quiet ones."""
    return [code for code, w in zip(codes, weights(len(codes), 0.8)) for _ in range(max(1, w // 50))]


def insert_reports(total: int, now: datetime) -> None:
    """`total` reports in [now - DAYS, now), made by PostgreSQL itself."""
    from django.db import connection

    from reports.models import Service
    from reports.subdivisions import first_level

    services = list(Service.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    # Busy services first, as in the catalog (WhatsApp, Facebook...).
    service_pool = [pk for pk, w in zip(services, weights(len(services))) for _ in range(w)]
    region_pool = [code for code, w in zip(TOP_REGIONS, weights(len(TOP_REGIONS), 1.0)) for _ in range(w)]
    start = now - timedelta(days=DAYS)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE TEMP TABLE offered AS
            SELECT service_id, array_agg(problem_type_id ORDER BY position) AS problems
            FROM reports_serviceproblem GROUP BY service_id
            """
        )
        # A third of the reporters in a country with subdivisions name theirs (the
        # form's optional "where in the country"), spread by a Zipf-like weight.
        cursor.execute("CREATE TEMP TABLE places (region_id varchar(2) PRIMARY KEY, subdivisions varchar[])")
        cursor.executemany(
            "INSERT INTO places VALUES (%s, %s)",
            [(code, _weighted(list(first_level(code)))) for code in TOP_REGIONS if first_level(code)],
        )
        batch = 1_000_000
        for first in range(0, total, batch):
            n = min(batch, total - first)
            # The time of day follows u + 0.08 sin(2 pi u): about twice as many
            # reports in the evening peak as at night.
            cursor.execute(
                """
                INSERT INTO reports_report
                    (service_id, problem_id, region_id, created_at, comment, comment_hidden,
                     source, fingerprint, is_repeat, subdivision)
                SELECT r.service_id,
                       o.problems[1 + floor(random() * cardinality(o.problems))::int],
                       r.region_id,
                       %(start)s::timestamptz
                         + floor(random() * %(days)s) * interval '1 day'
                         + (r.u + 0.08 * sin(2 * pi() * r.u)) * interval '1 day',
                       CASE WHEN random() < 0.02 THEN 'Not working here either' ELSE '' END,
                       false,
                       CASE WHEN random() < 0.7 THEN 'web' ELSE 'api' END,
                       md5((%(first)s + i)::text)::varchar(32),
                       false,
                       CASE WHEN p.subdivisions IS NOT NULL AND random() < 0.33
                            THEN p.subdivisions[1 + floor(random() * cardinality(p.subdivisions))::int]
                            ELSE '' END
                FROM (
                    SELECT i,
                           (%(services)s::int[])[1 + floor(random() * %(n_services)s)::int] AS service_id,
                           (%(regions)s::varchar[])[1 + floor(random() * %(n_regions)s)::int] AS region_id,
                           random() AS u
                    FROM generate_series(1, %(n)s) AS i
                ) r
                JOIN offered o ON o.service_id = r.service_id
                LEFT JOIN places p ON p.region_id = r.region_id
                """,
                {
                    "start": start,
                    "days": DAYS,
                    "first": first,
                    "n": n,
                    "services": service_pool,
                    "n_services": len(service_pool),
                    "regions": region_pool,
                    "n_regions": len(region_pool),
                },
            )
            print(f"  reports: {first + n:,} of {total:,}", flush=True)
        _insert_outages(cursor, services[:OUTAGES], start, now)
        cursor.execute("ANALYZE reports_report")


def _insert_outages(cursor, services: list[int], start: datetime, now: datetime) -> None:
    """One outage per busy service: 40 to 400 reporters a minute for up to 2 hours."""
    for k, service_id in enumerate(services):
        onset = start + timedelta(hours=12 + (k * 397) % ((DAYS - 1) * 24))
        minutes = 20 + (k * 37) % 100
        per_minute = 40 + (k * 53) % 360
        cursor.execute(
            """
            INSERT INTO reports_report
                (service_id, problem_id, region_id, created_at, comment, comment_hidden,
                 source, fingerprint, is_repeat)
            SELECT %(service)s, o.problems[1], 'US',
                   %(onset)s::timestamptz + (i / %(per_minute)s) * interval '1 minute'
                     + random() * interval '1 minute',
                   '', false, 'web', md5('outage' || %(service)s || '-' || i)::varchar(32), false
            FROM generate_series(0, %(n)s - 1) AS i
            JOIN offered o ON o.service_id = %(service)s
            """,
            {"service": service_id, "onset": onset, "per_minute": per_minute, "n": minutes * per_minute},
        )


def count_everything(now: datetime) -> None:
    from tqdm import tqdm

    from spikes import counting
    from spikes.models import PipelineState

    start = now - timedelta(days=DAYS)
    chunks = int((now - start) / counting.CHUNK)
    for i in tqdm(range(chunks), desc="counting", unit="chunk"):
        counting.count_range(start + i * counting.CHUNK, start + (i + 1) * counting.CHUNK)
    PipelineState.objects.update_or_create(pk=1, defaults={"counted_until": now})


def fit_baselines(now: datetime) -> None:
    """The real fit for every all-regions series; regional series get the service's
    profile times the region's share, which is the prior the real fit starts from."""
    from django.db.models import Sum
    from tqdm import tqdm

    from spikes import fitting
    from spikes.detection import Profile
    from spikes.models import ALL_REGIONS, Series, SeriesBaseline, SeriesMinute

    parents = list(Series.objects.filter(region=ALL_REGIONS))
    for one in tqdm(parents, desc="baselines", unit="series"):
        fitting.refit_many([one], now)
    profiles = {
        s: Profile.from_dict(p)
        for s, p in SeriesBaseline.objects.filter(series__region=ALL_REGIONS).values_list(
            "series__service_id", "profile"
        )
    }
    totals = dict(
        SeriesMinute.objects.values("series_id").annotate(n=Sum("reporters")).values_list("series_id", "n")
    )
    parent_of = {s.service_id: s.pk for s in parents}
    regional = list(Series.objects.exclude(region=ALL_REGIONS))
    SeriesBaseline.objects.bulk_create(
        [
            SeriesBaseline(
                series=one,
                profile=profiles[one.service_id]
                .scaled(totals.get(one.pk, 0) / max(totals.get(parent_of[one.service_id], 1), 1))
                .to_dict(),
            )
            for one in regional
            if one.service_id in profiles
        ],
        batch_size=500,
        ignore_conflicts=True,
    )
    Series.objects.update(baseline_updated_at=now, detected_until=now)


def insert_spikes(now: datetime) -> None:
    """The outages as spikes with their history, plus a long tail of small
    regional spikes for the archive, and a few open ones."""
    import random

    from spikes.models import ALL_REGIONS, Level, Series, Spike, SpikeChange

    rng = random.Random(1)
    series = list(Series.objects.select_related("service").order_by("pk"))
    spikes, changes = [], []
    for k in range(5000):
        one = rng.choice(series)
        onset = now - timedelta(minutes=rng.randint(60, DAYS * 1440))
        minutes = rng.randint(8, 240)
        is_open = k < 12
        level = Level.DANGER if rng.random() < 0.4 else Level.WARNING
        spikes.append(
            Spike(
                series=one,
                service=one.service,
                region=one.region,
                level=level,
                started_at=now - timedelta(minutes=30) if is_open else onset,
                detected_at=(now - timedelta(minutes=27)) if is_open else onset + timedelta(minutes=3),
                peak_at=(now - timedelta(minutes=10)) if is_open else onset + timedelta(minutes=minutes // 3),
                peak_reports=rng.randint(5, 3000),
                expected_reports=round(rng.uniform(0.2, 40), 2),
                ended_at=None if is_open else onset + timedelta(minutes=minutes),
                problems={"login": 0.6, "app": 0.3, "website": 0.1},
                regions={one.region or "US": 0.8, "GB": 0.2},
            )
        )
    # One open spike per series at most (the one_open_spike constraint).
    seen: set[int] = set()
    spikes = [
        s for s in spikes if s.ended_at is not None or not (s.series_id in seen or seen.add(s.series_id))
    ]
    Spike.objects.bulk_create(spikes, batch_size=1000)
    for spike in spikes:
        changes.append(SpikeChange(spike=spike, at=spike.detected_at, kind="opened", level=Level.WARNING))
        if spike.level == Level.DANGER:
            changes.append(
                SpikeChange(
                    spike=spike,
                    at=spike.detected_at + timedelta(minutes=2),
                    kind="level_changed",
                    level=Level.DANGER,
                )
            )
        if spike.ended_at:
            changes.append(SpikeChange(spike=spike, at=spike.ended_at, kind="resolved", level=spike.level))
    SpikeChange.objects.bulk_create(changes, batch_size=2000)
    print(f"  spikes: {len(spikes):,} ({sum(s.region == ALL_REGIONS for s in spikes)} all-regions)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=10_000_000)
    parser.add_argument("--fresh", action="store_true", help="drop and re-seed an existing database")
    args = parser.parse_args()
    exists = create_database(args.fresh)
    use_big_database()
    import django

    django.setup()
    from django.core.management import call_command

    from reports.models import Report

    if exists and Report.objects.exists():
        print(f"{DATABASE} is already seeded (use --fresh to start over).")
        return
    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("load_catalog", verbosity=0)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    from outagewatch import partitioning
    from spikes import partitions

    # On PostgreSQL the tables are partitioned by time: the days and months of the
    # seeded history get their partitions first (else they would fill the default).
    for spec in partitions.ALL:
        partitioning.ensure(spec, now - timedelta(days=DAYS + 1), now)
    insert_reports(args.reports, now)
    count_everything(now)
    fit_baselines(now)
    insert_spikes(now)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"Seeded {DATABASE} in {time.perf_counter() - began:.0f} s, up to {now:%Y-%m-%d %H:%M} UTC.")


if __name__ == "__main__":
    main()
