"""An outage replayed through the real stack: gunicorn, the Redis stream, the mover,
Celery beat and a worker (counting, detection), and the service page, measuring how
long a report takes from its 201 to the site, and how the pages hold up at the peak.

    .venv/bin/python benchmarks/outage_day.py [--before 3] [--peak 5] [--after 3]

It starts its own PostgreSQL (fsync on) and Redis (append-only file), migrates, loads
the catalog and writes three quiet days of history for 20 services (Poisson counts
per minute, a few reporters a minute each, ending now), counts them and fits their
baselines with the real code. Then, on the wall clock:

1. `--before` minutes of that quiet traffic, live (a client posting at the
   history's rates);
2. `--peak` minutes of a Meta-shaped outage: Facebook, Instagram, Messenger,
   WhatsApp and Threads reported together (weights 50/25/12/8/5), at the highest
   rate this machine sustains: wrk with --connections open connections, as fast as
   the intake answers, every report from its own address;
3. `--after` minutes of quiet traffic again.

Meanwhile pollers read the site as people and partners do: the Facebook page once
every 0.25 s (its latency), each outage service's page every 2 s (when its banner
shows the outage), and Facebook's 1-minute series from the partner API every 2 s
(when each minute's reports are in the chart).

Reported: the peak rate; for every report accepted during the peak, the lag from its
201 (its created_at) to the minute's count on the site including it (p50, p99); for
each outage service, the lag from the outage's first 201 to its banner; the page's
latency before, during and after the peak; and the durability check (every 201 one
stored report). The replay is real time, so its size is the machine's rate times
--peak: say so beside the 10 million reports of a full outage day.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"

from benchmarks.cpu import Meter, postmaster_pid  # noqa: E402
from benchmarks.intake_load import (  # noqa: E402
    start_services,
    stop_processes,
    stop_services,
    wait_for_mover,
    wait_http,
)
from reports.tests.stack import free_port  # noqa: E402

LUA = Path(__file__).resolve().parent / "outage_load.lua"
OUTAGE = {"facebook": 50, "instagram": 25, "messenger": 12, "whatsapp": 8, "threads": 5}
# Quiet traffic: distinct reporters a minute, on average, per service.
QUIET = {"facebook": 4, "instagram": 3, "whatsapp": 4, "messenger": 2, "threads": 1, "youtube": 3,
         "netflix": 2, "x": 3, "tiktok": 2, "discord": 2, "telegram": 1, "reddit": 1, "snapchat": 1,
         "gmail": 2, "outlook": 1, "spotify": 1, "steam": 1, "roblox": 2, "chatgpt": 2, "paypal": 1}  # fmt: skip
REGIONS = ["US", "US", "US", "IN", "BR", "GB", "DE", "MX"]
HISTORY_DAYS = 3


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] if ordered else float("nan")


def weighted_percentile(pairs: list[tuple[float, int]], q: float) -> float:
    """The q-th percentile of values given as (value, how many times)."""
    pairs = sorted(pairs)
    total, seen = sum(n for _, n in pairs), 0
    for value, n in pairs:
        seen += n
        if seen >= q / 100 * total:
            return value
    return float("nan")


def seed_history(now: datetime) -> int:
    """Three quiet days for the QUIET services, counted, baselines fitted, detected."""
    import numpy as np

    from reports.models import Report, Service
    from spikes import counting, pipeline
    from spikes.db import insert_many

    rng = np.random.default_rng(14)
    start = now - timedelta(days=HISTORY_DAYS)
    columns = ["service_id", "problem_id", "region_id", "created_at", "comment", "comment_hidden"]
    columns += ["source", "fingerprint", "is_repeat"]
    total = 0
    for slug, rate in QUIET.items():
        service = Service.objects.get(slug=slug)
        problems = [p.pk for p in service.ordered_problem_types()]
        counts = rng.poisson(rate, HISTORY_DAYS * 1440)
        rows = [
            (service.pk, problems[i % len(problems)], REGIONS[i % len(REGIONS)],
             start + timedelta(minutes=m, seconds=int(rng.integers(60))), "", False, "api", f"h{slug}{m}-{i}", False)
            for m, n in enumerate(counts) for i in range(n)
        ]  # fmt: skip
        total += insert_many(Report._meta.db_table, columns, rows)
    counting.catch_up(now)
    pipeline.refresh_baselines(now)
    pipeline.run_pass(now)
    return total


class Site:
    """What the pollers saw."""

    def __init__(self, base: str):
        self.base = base
        self.page: list[tuple[float, float, int]] = []  # (when, seconds, status) of the Facebook page
        self.banner: dict[str, float] = {}  # slug -> when its page first showed the outage
        self.minutes: dict[str, float] = {}  # minute start (ISO) -> when its count reached the 201s
        self.series: list[tuple[float, dict[str, int]]] = []
        self.stop = threading.Event()

    def get(self, path: str) -> tuple[int, str, float]:
        began = time.monotonic()
        try:
            with urllib.request.urlopen(self.base + path, timeout=30) as response:
                status, body = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, body = error.code, ""
        except OSError:
            status, body = 0, ""
        return status, body, time.monotonic() - began

    def watch_page(self) -> None:
        while not self.stop.is_set():
            status, _, took = self.get("/status/facebook/")
            self.page.append((time.time(), took, status))
            time.sleep(0.25)

    def watch_banners_and_series(self) -> None:
        while not self.stop.is_set():
            for slug in OUTAGE:
                if slug not in self.banner:
                    status, body, _ = self.get(f"/status/{slug}/")
                    # "...indicate problems at", "...indicate possible problems at" (not
                    # "...indicate no current problems").
                    if status == 200 and (
                        "indicate problems at" in body or "indicate possible problems at" in body
                    ):
                        self.banner[slug] = time.time()
            since = (datetime.now(UTC) - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:00Z")
            status, body, _ = self.get(f"/api/v1/services/facebook/series/?interval=1m&from={since}")
            if status == 200:
                counts = {b["start"]: b["reports"] for b in json.loads(body)["buckets"]}
                self.series.append((time.time(), counts))
            time.sleep(2)


def quiet_traffic(base: str, stop: threading.Event, ids: list[str], problems: dict[str, list[str]]) -> None:
    """The history's rates, live: one report at a time from a random quiet service."""
    per_second = sum(QUIET.values()) / 60
    slugs, weights = list(QUIET), list(QUIET.values())
    while not stop.is_set():
        slug = random.choices(slugs, weights)[0]
        body = json.dumps({"service": slug, "problem": problems[slug][0], "region": random.choice(REGIONS)})
        request = urllib.request.Request(
            base + "/api/v1/reports/", data=body.encode(), method="POST",
            headers={"Content-Type": "application/json", "X-Forwarded-For": f"198.19.{random.randrange(256)}.{random.randrange(1, 255)}"},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                ids.append(json.loads(response.read())["id"])
        except (urllib.error.HTTPError, OSError):
            pass  # counted by the durability check only if it was a 201
        stop.wait(random.expovariate(per_second))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=float, default=3, help="minutes of quiet traffic before the outage")
    parser.add_argument("--peak", type=float, default=5, help="minutes of the outage at the highest rate")
    parser.add_argument("--after", type=float, default=3, help="minutes of quiet traffic after it")
    parser.add_argument("--connections", type=int, default=16, help="wrk's open connections at the peak")
    parser.add_argument("--web-workers", type=int, default=2, help="granian processes (2 threads each)")
    parser.add_argument("--celery-workers", type=int, default=1, help="Celery worker processes (concurrency)")
    parser.add_argument("--keep", action="store_true", help="leave PostgreSQL running with the data, to look")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    # Stopped with SIGTERM, still stop the servers it started (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    folder = Path(tempfile.mkdtemp(prefix="ow-outage-day-"))
    folder.chmod(0o755)
    processes: list[subprocess.Popen] = []
    postgres = redis = None
    loads: list[float] = []
    try:
        postgres, redis = start_services(folder, "everysec")
        services = {"DATABASE_URL": postgres.url, "REDIS_URL": redis.url}
        env = {
            **os.environ, **services,
            "DJANGO_SETTINGS_MODULE": "outagewatch.settings", "DATA_DIR": str(folder / "data"), "DEBUG": "0",
            "NUM_PROXIES": "1", "REPORT_STREAM": "1", "REPORT_RATE_LIMIT": "1000000/m",
            "PARTNER_API_ANON_RATE": "1000000/m", "LOG_LEVEL": "WARNING", "LOG_REQUESTS": "0",
            "WEB_CONCURRENCY": str(args.web_workers),
        }  # fmt: skip
        os.environ.update(
            {k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "DATA_DIR", "DJANGO_SETTINGS_MODULE")}
        )
        subprocess.run([BIN / "python", "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run([BIN / "python", "manage.py", "load_catalog"], cwd=ROOT, env=env, check=True)
        import django

        django.setup()
        began = time.monotonic()
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        seeded = seed_history(now)
        print(f"history: {seeded:,} reports over {HISTORY_DAYS} days, counted and fitted in "
              f"{time.monotonic() - began:.0f} s", flush=True)  # fmt: skip
        from django.db import connections

        connections.close_all()

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        logs = {name: (folder / f"{name}.log").open("a") for name in ("web", "mover", "worker", "beat")}
        commands = {
            "web": [BIN / "granian", "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
                    "--workers", str(args.web_workers), "--blocking-threads", "2", "outagewatch.wsgi:application"],
            "mover": [BIN / "python", "manage.py", "move_reports"],
            "worker": [BIN / "celery", "-A", "outagewatch", "worker", "-l", "warning",
                       "--concurrency", str(args.celery_workers), "--without-gossip", "--without-mingle"],
            "beat": [BIN / "celery", "-A", "outagewatch", "beat", "-l", "warning",
                     "--schedule", str(folder / "beat-schedule")],
        }  # fmt: skip
        roots = {"postgres": postmaster_pid(postgres.data), "redis": redis.pid()}
        for name, command in commands.items():
            processes.append(
                subprocess.Popen(command, cwd=ROOT, env=env, stdout=logs[name], stderr=logs[name])
            )
            roots[name] = processes[-1].pid
        wait_http(base + "/healthz?only=database,redis", timeout=300)

        catalog = json.loads((ROOT / "reports" / "data" / "catalog.json").read_text())
        problems = {s["slug"]: s["problems"] for s in catalog["services"]}
        site = Site(base)
        quiet_ids: list[str] = []
        quiet_stop = threading.Event()
        threads = [
            threading.Thread(target=site.watch_page, daemon=True),
            threading.Thread(target=site.watch_banners_and_series, daemon=True),
            threading.Thread(target=quiet_traffic, args=(base, quiet_stop, quiet_ids, problems), daemon=True),
        ]
        for thread in threads:
            thread.start()

        def sleep_minutes(minutes: float) -> None:
            end = time.monotonic() + minutes * 60
            while time.monotonic() < end:
                loads.append(os.getloadavg()[0])
                time.sleep(min(10, max(0.0, end - time.monotonic())))

        sleep_minutes(args.before)
        weights = folder / "outage.txt"
        weights.write_text("".join(f"{slug} {w} {','.join(problems[slug])}\n" for slug, w in OUTAGE.items()))
        meter = Meter(roots)
        peak_began = time.time()
        out = folder / "peak"
        wrk = subprocess.Popen(
            ["wrk", "-t1", f"-c{args.connections}", f"-d{int(args.peak * 60)}s", "--timeout", "30s",
             "-s", str(LUA), base + "/api/v1/reports/", "--", str(weights), str(out)],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        sleep_minutes(args.peak)
        wrk_out = wrk.communicate(timeout=120)[0]
        cpu = meter.lap()
        peak_ended = time.time()
        sleep_minutes(args.after)
        quiet_stop.set()
        site.stop.set()
        for thread in threads:
            thread.join(timeout=60)
        drained = wait_for_mover(services, timeout=600)

        peak = (peak_began, peak_ended)
        return report(args, folder, wrk_out, site, quiet_ids, peak, loads, drained, seeded, cpu)
    finally:
        stop_processes(processes, timeout=60)
        if args.keep and postgres is not None:
            print(f"kept: DATABASE_URL={postgres.url} (stop: pg_ctl -D {postgres.data} stop; rm -r {folder})")
        else:
            stop_services(folder, postgres, redis)


def report(args, folder, wrk_out, site, quiet_ids, peak, loads, drained, seeded, cpu) -> int:
    from reports.models import Report

    peak_began, peak_ended = peak
    tally: Counter[tuple[str, str]] = Counter()
    statuses: Counter[str] = Counter()
    for path in folder.glob("peak.*.tally"):
        for line in path.read_text().splitlines():
            key, second, n = line.split(" ")  # "facebook 2026-12-02T17:30:05 12" or "status 503 4"
            if key == "status":
                statuses[second] += int(n)
            else:
                tally[(key, second)] += int(n)
    ids = [x for path in folder.glob("peak.*.ids") for x in path.read_text().split()] + quiet_ids
    accepted = sum(tally.values())
    per_second = Counter()
    for (_, second), n in tally.items():
        per_second[second] += n
    wrk_stats = json.loads(
        next(x for x in wrk_out.splitlines() if x.startswith("WRKJSON ")).removeprefix("WRKJSON ")
    )

    # When did each minute's Facebook count on the site reach the 201s of that minute?
    sent: dict[str, int] = defaultdict(int)
    for (slug, second), n in tally.items():
        if slug == "facebook":
            sent[second[:16] + ":00Z"] += n
    visible: dict[str, float] = {}
    for seen_at, counts in site.series:
        for minute, n in counts.items():
            if minute in sent and minute not in visible and n >= sent[minute]:
                visible[minute] = seen_at
    lags, unseen = [], 0
    for (slug, second), n in tally.items():
        minute = second[:16] + ":00Z"
        if slug != "facebook":
            continue
        if minute not in visible:
            unseen += n
            continue
        at = datetime.fromisoformat(second + "+00:00").timestamp() + 0.5
        lags.append((visible[minute] - at, n))

    def page_stats(start: float, end: float) -> str:
        took = [t for when, t, s in site.page if start <= when < end and s == 200]
        errors = sum(1 for when, _, s in site.page if start <= when < end and s != 200)
        if not took:
            return "no answer"
        return (f"p50 {percentile(took, 50) * 1000:.0f} ms, p99 {percentile(took, 99) * 1000:.0f} ms, "
                f"{len(took)} pages, {errors} errors")  # fmt: skip

    stored = set(map(str, Report.objects.filter(intake_id__isnull=False).values_list("intake_id", flat=True)))
    missing = [x for x in ids if x not in stored]
    rates = sorted(per_second.values())
    minutes = args.peak
    print(f"\n## Outage replay: {args.before:g} min quiet, {minutes:g} min outage at the highest rate, "
          f"{args.after:g} min quiet")  # fmt: skip
    print(f"\nLoad average (1 min) during the run: median {statistics.median(loads):.1f}, max {max(loads):.1f} "
          f"on {os.cpu_count()} cores (shared with other work).")  # fmt: skip
    print(f"Stack: granian {args.web_workers} processes x 2 threads, 1 mover, Celery beat + {args.celery_workers} worker "
          f"process, PostgreSQL (fsync on), Redis (AOF everysec), wrk -c{args.connections}; history {seeded:,} reports.")  # fmt: skip
    print("\n| measure | value |\n|---|---|")
    print(f"| reports accepted in the outage (201) | {accepted:,} in {minutes * 60:.0f} s |")
    print(f"| intake rate, per second (median / p10 / max) | {statistics.median(rates):,.0f} / "
          f"{percentile(rates, 10):,.0f} / {rates[-1]:,} |")  # fmt: skip
    print(f"| intake latency at the peak (wrk p50 / p99) | {wrk_stats['p50_us'] / 1000:.0f} ms / "
          f"{wrk_stats['p99_us'] / 1000:.0f} ms |")  # fmt: skip
    print(f"| non-201 answers, socket errors | {dict(statuses) or 0}, {wrk_stats['socket_errors']} |")
    if lags:
        print(f"| 201 to the report counted on the site (Facebook's chart; p50 / p99 / max) | "
              f"{weighted_percentile(lags, 50):.0f} s / {weighted_percentile(lags, 99):.0f} s / "
              f"{max(v for v, _ in lags):.0f} s ({unseen:,} reports of minutes never seen complete) |")  # fmt: skip
    first = datetime.fromisoformat(min(s for _, s in tally) + "+00:00").timestamp() if tally else peak_began
    banners = {slug: site.banner[slug] - first for slug in OUTAGE if slug in site.banner}
    for slug in OUTAGE:
        shown = f"{banners[slug]:.0f} s" if slug in banners else "not shown"
        print(f"| outage's first 201 to the banner on /status/{slug}/ | {shown} |")
    if banners:
        values = sorted(banners.values())
        print(
            f"| ... over the {len(values)} services (p50 / max) | {statistics.median(values):.0f} s / {values[-1]:.0f} s |"
        )
    print(f"| service page before the outage | {page_stats(peak_began - args.before * 60, peak_began)} |")
    print(f"| service page during the outage | {page_stats(peak_began, peak_ended)} |")
    print(f"| service page after it | {page_stats(peak_ended, peak_ended + args.after * 60)} |")
    print(f"| stream empty after the last request | {drained:.1f} s |")
    print(f"| 201s not stored | {len(missing)} of {len(ids):,} |")
    parts = ", ".join(f"{name} {seconds / accepted * 1000:.2f}" for name, seconds in cpu.items())
    print(f"| CPU ms per outage report during the peak, by part (the pollers' pages included) | {parts} |")
    print(f"\nA full outage day of 10,000,000 reports at this machine's median rate would take "
          f"{10_000_000 / max(1, statistics.median(rates)) / 3600:.1f} hours of wall clock; "
          f"the 5 March 2024 peak (6.5 M in ~2 h, ~900/s on average) is "
          f"{900 / max(1, statistics.median(rates)):.1f}x this machine's rate.")  # fmt: skip
    return 0 if not missing else 1


if __name__ == "__main__":
    sys.exit(main())
