"""Report intake under load, beside a bare Django JSON view, in one run.

    .venv/bin/python benchmarks/intake_load.py                 # the stream (docker-compose's)
    .venv/bin/python benchmarks/intake_load.py --mode direct   # commit on the request path

It starts its own PostgreSQL (fsync on) and Redis (append-only file, fsync every
second as in docker-compose, or --appendfsync always), migrates, loads the catalog
and starts gunicorn on 127.0.0.1 with `benchmarks.intake_settings`: production
settings plus a bare view at /bench/bare/, so both go through the same server,
workers and middleware. In `stream` mode the report mover (`manage.py
move_reports`) runs beside it, on the same cores. Then wrk (apt package `wrk`):

1. bare: POSTs to the bare view at the sustained concurrency;
2. intake: POSTs of valid reports (random service, problem and region from the
   catalog, each from its own address in X-Forwarded-For; the app trusts one
   proxy hop for this run) at the same concurrency;
   (1 and 2 alternate for --rounds rounds: the machine's other load drifts)
3. burst: ten times the concurrency against the intake, 10% of the requests from
   a single abusive address, with the production rate limit (30/min).

Afterwards it waits for the mover to drain the stream, counts the stored reports
and checks that every 201 is exactly one stored report. Each phase is bounded by
--duration; everything it started is stopped at the end. Prints a Markdown table
and exits non-zero if a 201 is missing or doubled, or any error but 429 occurred.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"

from reports.tests.stack import Postgres, Redis, free_port  # noqa: E402 - needs ROOT on the path

LUA = Path(__file__).resolve().parent / "intake_load.lua"


def start_services(folder: Path, appendfsync: str) -> tuple[Postgres, Redis]:
    """PostgreSQL with fsync on (the facts in docs/ were measured so; the test
    services run with it off) and Redis with its append-only file."""
    postgres = Postgres(folder / "servers", durable=True)
    redis = Redis(folder / "servers", appendfsync=appendfsync)
    postgres.init()
    redis.start()
    return postgres, redis


def wrk(url: str, connections: int, duration: int, script: Path, *script_args: str) -> dict:
    """One wrk run (one thread, keep-alive connections) with a Lua script that prints
    its tally as a WRKJSON line; the tally, with requests per second added."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", str(script), url]
    if script_args:
        command += ["--", *script_args]
    out = subprocess.run(command, check=True, capture_output=True, text=True, timeout=duration + 60).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    result = json.loads(line.removeprefix("WRKJSON "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def run_wrk(
    url: str, connections: int, duration: int, pairs: Path, abuser_share: float, ids: Path | None = None
) -> dict:
    return wrk(url, connections, duration, LUA, str(pairs), str(abuser_share), *([str(ids)] if ids else []))


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout} s")


def stored_reports(env: dict[str, str]) -> tuple[int, set[str]]:
    """(rows, their distinct intake ids)."""
    import psycopg2

    with psycopg2.connect(env["DATABASE_URL"]) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT intake_id::text FROM reports_report")
        ids = [r[0] for r in cursor.fetchall()]
    return len(ids), set(ids)


def wait_for_mover(env: dict[str, str], timeout: float = 120) -> float:
    """Seconds until the stream has nothing pending or undelivered."""
    import redis

    client = redis.Redis.from_url(env["REDIS_URL"])
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        # The mover deletes each entry once it is committed and acknowledged.
        if client.xlen("reports:intake") == 0:
            return time.monotonic() - started
        time.sleep(0.2)
    raise SystemExit(f"the mover did not drain the stream within {timeout} s")


def stop_processes(processes: list[subprocess.Popen], timeout: float = 30) -> None:
    """SIGTERM to all at once, then wait for each (killed past `timeout`)."""
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()


def stop_services(folder: Path, *servers: Postgres | Redis | None) -> None:
    """Stop the PostgreSQL and Redis a benchmark started and remove their folder."""
    for server in servers:
        if server is not None:
            server.stop()
    shutil.rmtree(folder, ignore_errors=True)


def combine(rounds: list[dict]) -> dict:
    """Several rounds as one: counts added up, rates and latencies their medians."""
    statuses: dict[str, int] = {}
    for r in rounds:
        for status, n in r["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    return {
        "statuses": statuses,
        "socket_errors": sum(r["socket_errors"] for r in rounds),
        "rps": statistics.median(r["rps"] for r in rounds),
        "p50_us": statistics.median(r["p50_us"] for r in rounds),
        "p99_us": statistics.median(r["p99_us"] for r in rounds),
        "rounds": [round(r["rps"]) for r in rounds],
    }


def row(name: str, r: dict, connections: int) -> str:
    statuses = r["statuses"]
    other = sum(n for s, n in statuses.items() if s not in ("200", "201", "429")) + r["socket_errors"]
    ok = statuses.get("200", 0) + statuses.get("201", 0)
    return (
        f"| {name} | {connections} | {r['rps']:,.0f} | {r['p50_us'] / 1000:.1f} | {r['p99_us'] / 1000:.1f} "
        f"| {ok:,} | {statuses.get('429', 0):,} | {other:,} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=["stream", "direct"], default="stream")
    parser.add_argument(
        "--appendfsync",
        choices=["everysec", "always"],
        default="everysec",
        help="Redis's fsync of the stream: docker-compose's everysec, or before every answer",
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per round (the burst: twice)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of bare view and intake")
    parser.add_argument("--connections", type=int, default=8, help="sustained concurrency")
    parser.add_argument("--burst-factor", type=int, default=10)
    parser.add_argument(
        "--workers",
        type=int,
        default=4,
        help="gunicorn workers (docker-compose's WEB_CONCURRENCY default); the rest of the "
        "server settings are gunicorn.conf.py's, as in production",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")

    folder = Path(tempfile.mkdtemp(prefix="ow-intake-bench-"))
    folder.chmod(0o755)  # PostgreSQL runs as its own user, below this folder
    processes: list[subprocess.Popen] = []
    postgres = redis = None
    try:
        postgres, redis = start_services(folder, args.appendfsync)
        services = {"DATABASE_URL": postgres.url, "REDIS_URL": redis.url}
        port = free_port()
        env = {
            **os.environ,
            **services,
            "DJANGO_SETTINGS_MODULE": "benchmarks.intake_settings",
            "DATA_DIR": str(folder / "data"),
            "DEBUG": "0",
            "NUM_PROXIES": "1",
            "REPORT_STREAM": "1" if args.mode == "stream" else "0",
            "LOG_LEVEL": "ERROR",
        }
        subprocess.run([BIN / "python", "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run([BIN / "python", "manage.py", "load_catalog"], cwd=ROOT, env=env, check=True)
        pairs = folder / "pairs.txt"
        catalog = json.loads((ROOT / "reports" / "data" / "catalog.json").read_text())
        pairs.write_text("".join(f"{s['slug']} {p}\n" for s in catalog["services"] for p in s["problems"]))

        def start_web(rate_limit: str) -> subprocess.Popen:
            web = subprocess.Popen(
                [
                    BIN / "gunicorn",
                    "outagewatch.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(args.workers),
                    "--log-level",
                    "warning",
                ],
                cwd=ROOT,
                env={**env, "REPORT_RATE_LIMIT": rate_limit},
                # Django logs every 429 as a warning: keep that out of the table.
                stderr=(folder / "gunicorn.log").open("a"),
            )
            processes.append(web)
            # No detection pass runs here, so the detector check stays red: ask for the rest.
            wait_http(f"http://127.0.0.1:{port}/healthz?only=database,redis")
            return web

        if args.mode == "stream":
            processes.append(
                subprocess.Popen([BIN / "python", "manage.py", "move_reports"], cwd=ROOT, env=env)
            )

        base = f"http://127.0.0.1:{port}"
        c, burst_c = args.connections, args.connections * args.burst_factor
        # Sustained phases: one limit high enough for every simulated client; the
        # burst runs with the production default, so the abuser meets it.
        web = start_web("1000000/m")
        # Alternate short rounds of the two: on a shared machine the load of other
        # work drifts, and each side then meets the same share of it.
        bares, intakes = [], []
        for i in range(args.rounds):
            bares.append(run_wrk(f"{base}/bench/bare/", c, args.duration, pairs, 0.0))
            intakes.append(
                run_wrk(f"{base}/api/v1/reports/", c, args.duration, pairs, 0.0, folder / f"ids-intake-{i}")
            )
        bare, intake = combine(bares), combine(intakes)
        web.send_signal(signal.SIGTERM)
        web.wait(timeout=30)
        processes.remove(web)
        web = start_web("30/m")
        burst = run_wrk(
            f"{base}/api/v1/reports/", burst_c, args.duration * 2, pairs, 0.1, folder / "ids-burst"
        )

        drained = wait_for_mover(services) if args.mode == "stream" else 0.0
        accepted = [
            line for f in sorted(folder.glob("ids-*")) for line in f.read_text().split() if line.strip()
        ]
        rows, stored_ids = stored_reports(services)
        missing = [i for i in accepted if i not in stored_ids]

        print(
            f"\nIntake mode: {args.mode}; Redis appendfsync {args.appendfsync}; PostgreSQL fsync on; "
            f"gunicorn (gunicorn.conf.py) {args.workers} workers x {os.environ.get('WEB_THREADS', '1')} threads, "
            f"max_requests {os.environ.get('WEB_MAX_REQUESTS', '10000')}; wrk -t1; "
            f"{args.rounds} rounds of {args.duration} s, burst {2 * args.duration} s"
        )
        print("\n| phase | connections | req/s | p50 ms | p99 ms | 2xx | 429 | other errors |")
        print("|---|---|---|---|---|---|---|---|")
        print(row("bare Django view", bare, c))
        print(row("POST /api/v1/reports/", intake, c))
        print(row("burst: reports, 10% from one abuser", burst, burst_c))
        print(
            f"\nintake / bare: {intake['rps'] / bare['rps']:.2f} (median req/s of {args.rounds} alternating "
            f"rounds: bare {bare['rounds']}, intake {intake['rounds']})"
        )
        # wrk stops reading at its deadline: the requests then in flight (at most one
        # per connection) are stored although wrk never saw their 201.
        in_flight = c * args.rounds + burst_c
        print(
            f"201 answers: {len(accepted):,} ({len(set(accepted)):,} distinct ids); stored reports: "
            f"{rows:,} ({len(stored_ids):,} distinct ids); 201s not stored: {len(missing)}; "
            f"stored beyond the 201s seen: {rows - len(accepted)} (at most {in_flight} in flight at the cut)"
        )
        if args.mode == "stream":
            print(f"stream drained {drained:.1f} s after the last request")
        ok = (
            not missing
            and len(set(accepted)) == len(accepted)
            and rows == len(stored_ids)
            and 0 <= rows - len(accepted) <= in_flight
        )
        other = (
            sum(n for r in (intake, burst) for s, n in r["statuses"].items() if s not in ("201", "429"))
            + intake["socket_errors"]
            + burst["socket_errors"]
        )
        print("every 201 is one stored report" if ok else "MISMATCH between 201 answers and stored reports")
        print("no error other than 429" if other == 0 else f"{other} errors other than 429")
        return 0 if ok and other == 0 else 1
    finally:
        stop_processes(processes)
        stop_services(folder, postgres, redis)


if __name__ == "__main__":
    sys.exit(main())
