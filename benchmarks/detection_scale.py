"""How long one detection pass takes over 10,000 active series on PostgreSQL, and
whether that depends on the length of history (it should not) and on the number
of workers (more should finish sooner).

    eval "$(scripts/test-services start /tmp/ow-bench)"      # or any PostgreSQL
    .venv/bin/python benchmarks/detection_scale.py --series 10000 --weeks 1 4

It builds its own database (DATABASE_URL with the name suffixed _bench, dropped and
recreated), fills it with sparse per-minute counts for every series, gives every
series a baseline, then times passes of one minute: all series stepped, their
state written, spikes opened where the data says so. Workers are processes that
each take chunks of series, exactly as Celery workers take detect_chunk tasks.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outagewatch.settings")

import numpy as np  # noqa: E402

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def setup_database() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (scripts/test-services start DIR prints one).")
    os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/outagewatch_bench"
    import django

    django.setup()
    from django.db import connections

    admin = connections["default"].settings_dict.copy()
    import psycopg2

    conn = psycopg2.connect(
        host=admin["HOST"],
        port=admin["PORT"],
        user=admin["USER"],
        password=admin["PASSWORD"],
        dbname="postgres",
    )
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("DROP DATABASE IF EXISTS outagewatch_bench")
        cursor.execute("CREATE DATABASE outagewatch_bench")
    conn.close()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from outagewatch import partitioning
    from spikes import partitions

    # The per-minute counts are partitioned by month: the history's months get theirs
    # (else every row would land in the default partition).
    for spec in partitions.COUNTS:
        partitioning.ensure(spec, NOW - timedelta(weeks=5), NOW)


def fill(series_count: int, weeks: int, rng: np.random.Generator) -> list[int]:
    """Services with four regions each plus their all-regions series; sparse counts."""
    from django.db import connection

    from reports.models import Service
    from spikes.detection import flat_profile
    from spikes.models import ALL_REGIONS, Series, SeriesBaseline

    regions = ["US", "GB", "IN", "BR", ALL_REGIONS]
    services = Service.objects.bulk_create(
        Service(slug=f"svc-{i}", name=f"Service {i}", category="other")
        for i in range(series_count // len(regions))
    )
    series = Series.objects.bulk_create(
        Series(service=s, region=r, last_report_at=NOW, detected_until=NOW - timedelta(minutes=1))
        for s in services
        for r in regions
    )
    # Busy series are few, quiet ones many: per-minute rates from 0.0005 to 2.
    rates = np.exp(rng.uniform(np.log(0.0005), np.log(2), len(series)))
    minutes = weeks * 7 * 1440
    start = NOW - timedelta(minutes=minutes)
    stamps = np.array([(start + timedelta(minutes=m)).isoformat() for m in range(minutes)])
    rows = 0
    with connection.cursor() as cursor:
        for one, rate in zip(series, rates):
            counts = rng.poisson(rate, minutes)
            nonzero = np.flatnonzero(counts)
            lines = "".join(
                f"{one.pk}\t{stamp}\t{n}\t{n}\n" for stamp, n in zip(stamps[nonzero], counts[nonzero])
            )
            cursor.cursor.copy_expert(
                "COPY spikes_seriesminute (series_id, minute, reports, reporters) FROM STDIN",
                io.StringIO(lines),
            )
            rows += len(nonzero)
    SeriesBaseline.objects.bulk_create(
        SeriesBaseline(series=one, profile={**flat_profile(float(rate), 60).to_dict(), "n_days": 28.0})
        for one, rate in zip(series, rates)
    )
    Series.objects.update(baseline_updated_at=NOW)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  {len(series)} series, {rows:,} per-minute rows over {weeks} week(s)", flush=True)
    return [s.pk for s in series]


def _detect(args: tuple[list[int], str]) -> float:
    from django.db import connection

    from spikes import stepping

    began = time.perf_counter()
    stepping.detect(args[0], datetime.fromisoformat(args[1]))
    connection.close()
    return time.perf_counter() - began


def time_passes(ids: list[int], workers: int, passes: int) -> list[float]:
    from django.db import connection

    from spikes.models import Series
    from spikes.pipeline import CHUNK_SIZE

    durations = []
    chunks = [ids[i : i + CHUNK_SIZE] for i in range(0, len(ids), CHUNK_SIZE)]
    connection.close()  # forked workers must not share the parent's connection
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_detect, [(chunks[0][:1], (NOW - timedelta(minutes=2)).isoformat())]))  # warm up
        for _ in range(passes):
            Series.objects.update(detected_until=NOW - timedelta(minutes=1))
            connection.close()
            began = time.perf_counter()
            list(pool.map(_detect, [(chunk, NOW.isoformat()) for chunk in chunks]))
            durations.append(time.perf_counter() - began)
    return durations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    print(f"| history | workers | pass (median of {args.passes}) | per series |")
    print("|---|---|---|---|")
    for weeks in args.weeks:
        setup_database()
        ids = fill(args.series, weeks, np.random.default_rng(1))
        for workers in args.workers:
            durations = time_passes(ids, workers, args.passes)
            median = statistics.median(durations)
            print(
                f"| {weeks} week(s) | {workers} | {median:.2f} s | {median / len(ids) * 1e6:.0f} µs |",
                flush=True,
            )


if __name__ == "__main__":
    main()
