"""The WSGI servers a user would pick, side by side in one run: gunicorn's sync
worker (production today), gunicorn's threaded worker, and granian (WSGI), on the
report intake and on the service page.

    .venv/bin/python benchmarks/wsgi_servers.py [--rounds 3] [--duration 8]

It starts its own PostgreSQL (fsync on) and Redis (append-only file, fsync every
second as in docker-compose), migrates, loads the catalog and counts a day of
reports so the service page has a chart, then starts the three servers at once, each
on its own port with the same number of request slots (processes x threads), the
production settings (`gunicorn.conf.py` for both gunicorns) and the report mover
(`manage.py move_reports`) beside them, as docker-compose runs them.

wrk (apt package `wrk`) keeps its connections open, as a proxy in front keeps a pool
of upstream connections (Caddy's default). Rounds alternate: in each round every
server gets the intake (valid reports, each from its own address, as
benchmarks/intake_load.py sends them) and then the service page, so the load of
whatever else runs on the machine falls on all of them alike. The table gives the
median round, and the load average before and during the run.

Afterwards it checks the durability contract for every server: each 201 is one
report stored in PostgreSQL (docs/intake-load.md). Exits non-zero otherwise.
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
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"

from benchmarks.cpu import Meter, postmaster_pid  # noqa: E402 - needs ROOT on the path
from benchmarks.intake_load import (  # noqa: E402
    combine,
    run_wrk,
    start_services,
    stop_processes,
    stop_services,
    stored_reports,
    wait_for_mover,
    wait_http,
    wrk,
)
from reports.tests.stack import free_port  # noqa: E402

GET_LUA = Path(__file__).resolve().parent / "get_load.lua"


@dataclass
class Server:
    name: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    intake: list[dict] = field(default_factory=list)
    page: list[dict] = field(default_factory=list)
    # CPU seconds of every process tree measured, during each of its rounds.
    intake_cpu: list[dict[str, float]] = field(default_factory=list)
    page_cpu: list[dict[str, float]] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def servers(slots: int) -> list[Server]:
    """Three servers with `slots` requests in progress at most, each."""
    gunicorn = [str(BIN / "gunicorn"), "outagewatch.wsgi:application", "--log-level", "warning"]
    half = max(1, slots // 2)
    made = [
        Server("gunicorn sync", [*gunicorn], {"WEB_CONCURRENCY": str(slots), "WEB_THREADS": "1"}),
        Server("gunicorn gthread", [*gunicorn], {"WEB_CONCURRENCY": str(half), "WEB_THREADS": "2"}),
        Server(
            "granian (WSGI)",
            [
                str(BIN / "granian"),
                "--interface",
                "wsgi",
                "--workers",
                str(half),
                "--blocking-threads",
                "2",
                "--log-level",
                "warning",
                "outagewatch.wsgi:application",
            ],
        ),  # fmt: skip
    ]
    while len({server.port for server in made}) < len(made):  # free_port() may hand out one twice
        made[-1].port = free_port()
    for server in made:
        if server.name.startswith("gunicorn"):
            server.command += ["--bind", f"127.0.0.1:{server.port}"]
        else:
            server.command += ["--host", "127.0.0.1", "--port", str(server.port)]
    return made


def seed_a_day(env: dict[str, str]) -> None:
    """A day of reports for WhatsApp, counted, so the page draws a real chart."""
    script = (
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from reports.models import Service\n"
        "from spikes import counting\n"
        "from spikes.tests.factories import add_reports\n"
        "now = counting.floor_minute(timezone.now())\n"
        "start = now - timedelta(days=1)\n"
        "add_reports(Service.objects.get(slug='whatsapp'), start, minutes=1440, per_minute=3)\n"
        "counting.count_range(start, now)\n"
    )
    subprocess.run([BIN / "python", "manage.py", "shell", "-c", script], cwd=ROOT, env=env, check=True)


def row(name: str, what: str, r: dict, connections: int) -> str:
    statuses = r["statuses"]
    ok = sum(n for s, n in statuses.items() if s.startswith("2"))
    other = sum(n for s, n in statuses.items() if not s.startswith("2")) + r["socket_errors"]
    return (
        f"| {name} | {what} | {connections} | **{r['rps']:,.0f}** | {r['p50_us'] / 1000:.1f} "
        f"| {r['p99_us'] / 1000:.1f} | {ok:,} | {other:,} | {' '.join(f'{x:,}' for x in r['rounds'])} |"
    )


def get_page(url: str, connections: int, duration: int) -> dict:
    return wrk(url, connections, duration, GET_LUA)


def served(results: list[dict]) -> int:
    return sum(n for r in results for s, n in r["statuses"].items() if s.startswith("2"))


def cpu_table(contenders: list[Server]) -> str:
    """Requests per CPU-second of each part: a core's worth, whatever the neighbours did."""
    lines = [
        "\n| server | endpoint | per web core-second | PostgreSQL CPU ms each | mover CPU ms each "
        "| Redis CPU ms each |",
        "|---|---|---|---|---|---|",
    ]
    for server in contenders:
        for what, results, cpu in (
            ("POST /api/v1/reports/", server.intake, server.intake_cpu),
            ("GET /status/whatsapp/", server.page, server.page_cpu),
        ):
            n = served(results)
            used = {name: sum(lap[name] for lap in cpu) for name in cpu[0]}
            lines.append(
                f"| {server.name} | {what} | **{n / used[server.name]:,.0f}** "
                f"| {used['postgres'] / n * 1000:.2f} | {used['mover'] / n * 1000:.2f} "
                f"| {used['redis'] / n * 1000:.2f} |"
            )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=8, help="seconds per server, endpoint and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8, help="wrk's open connections (a proxy's pool)")
    parser.add_argument(
        "--slots", type=int, default=4, help="requests in progress per server (processes x threads)"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")

    # Stopped with SIGTERM, still stop the servers it started (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    folder = Path(tempfile.mkdtemp(prefix="ow-wsgi-bench-"))
    folder.chmod(0o755)  # PostgreSQL runs as its own user, below this folder
    processes: list[subprocess.Popen] = []
    postgres = redis = None
    load_before = os.getloadavg()
    try:
        postgres, redis = start_services(folder, "everysec")
        services = {"DATABASE_URL": postgres.url, "REDIS_URL": redis.url}
        env = {
            **os.environ,
            **services,
            "DJANGO_SETTINGS_MODULE": "outagewatch.settings",
            "DATA_DIR": str(folder / "data"),
            "DEBUG": "0",
            "NUM_PROXIES": "1",
            "REPORT_STREAM": "1",
            "REPORT_RATE_LIMIT": "1000000/m",
            "LOG_LEVEL": "ERROR",
            "LOG_REQUESTS": "0",
        }
        subprocess.run([BIN / "python", "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run([BIN / "python", "manage.py", "load_catalog"], cwd=ROOT, env=env, check=True)
        seed_a_day(env)
        pairs = folder / "pairs.txt"
        catalog = json.loads((ROOT / "reports" / "data" / "catalog.json").read_text())
        pairs.write_text("".join(f"{s['slug']} {p}\n" for s in catalog["services"] for p in s["problems"]))

        contenders = servers(args.slots)
        roots = {}
        for server in contenders:
            log = (folder / f"{server.name.split()[0]}-{server.port}.log").open("a")
            processes.append(
                subprocess.Popen(server.command, cwd=ROOT, env={**env, **server.env}, stdout=log, stderr=log)
            )
            roots[server.name] = processes[-1].pid
        processes.append(subprocess.Popen([BIN / "python", "manage.py", "move_reports"], cwd=ROOT, env=env))
        roots["mover"] = processes[-1].pid
        roots["postgres"] = postmaster_pid(postgres.data)
        roots["redis"] = redis.pid()
        for server in contenders:
            wait_http(f"{server.base}/healthz?only=database,redis")
            # Warm every process and thread (catalog, templates, connections), unmeasured.
            run_wrk(f"{server.base}/api/v1/reports/", args.connections, 2, pairs, 0.0, folder / "ids-warm")
            get_page(f"{server.base}/status/whatsapp/", args.connections, 2)

        loads = []
        c = args.connections
        meter = Meter(roots)
        for i in range(args.rounds):
            for server in contenders:
                ids = folder / f"ids-{server.port}-{i}"
                meter.lap()
                server.intake.append(
                    run_wrk(f"{server.base}/api/v1/reports/", c, args.duration, pairs, 0.0, ids)
                )
                wait_for_mover(services)  # the mover's work for these reports belongs to this round
                server.intake_cpu.append(meter.lap())
                loads.append(os.getloadavg()[0])
                server.page.append(get_page(f"{server.base}/status/whatsapp/", c, args.duration))
                server.page_cpu.append(meter.lap())
                loads.append(os.getloadavg()[0])
        drained = wait_for_mover(services)

        rows, stored_ids = stored_reports(services)
        stored_ids.discard(None)  # the seeded day's reports came without an intake id
        rows -= 1440 * 3
        print(
            f"\nOne run, {args.rounds} alternating rounds of {args.duration} s per server and endpoint; "
            f"wrk -t1 -c{c} (keep-alive); {args.slots} request slots per server; PostgreSQL fsync on; "
            f"Redis AOF everysec; the mover beside them.\nLoad average (1 min): {load_before[0]:.1f} before, "
            f"median {statistics.median(loads):.1f} during (max {max(loads):.1f}); {os.cpu_count()} cores."
        )
        print(
            "\n| server | endpoint | connections | req/s (median) | p50 ms | p99 ms | 2xx | errors | each round |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        ok, verdicts = True, []
        for server in contenders:
            intake, page = combine(server.intake), combine(server.page)
            print(row(server.name, "POST /api/v1/reports/", intake, c))
            print(row(server.name, "GET /status/whatsapp/", page, c))
            accepted = [
                x for f in folder.glob(f"ids-{server.port}-*") for x in f.read_text().split() if x.strip()
            ]
            missing = [x for x in accepted if x not in stored_ids]
            errors = sum(
                n
                for r in server.intake + server.page
                for s, n in r["statuses"].items()
                if not s.startswith("2")
            ) + sum(r["socket_errors"] for r in server.intake + server.page)
            server_ok = not missing and len(set(accepted)) == len(accepted) and errors == 0
            ok &= server_ok
            verdicts.append(
                f"{server.name}: {len(accepted):,} 201s, {len(missing)} of them not stored, "
                f"{len(accepted) - len(set(accepted))} doubled, {errors} errors"
            )
        print(cpu_table(contenders))
        print(
            f"\nDurability: {rows:,} stored reports ({len(stored_ids):,} distinct ids) for the 201s of all three; "
            f"stream drained {drained:.1f} s after the last request; "
            + ("every 201 is one stored report, no error." if ok else "MISMATCH or errors:")
        )
        print("\n".join(verdicts))
        return 0 if ok else 1
    finally:
        stop_processes(processes)
        stop_services(folder, postgres, redis)


if __name__ == "__main__":
    sys.exit(main())
