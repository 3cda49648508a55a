"""The Redis stream's headroom: how many report appends one Redis core takes, and how
much memory a report waiting in the stream holds (so how long PostgreSQL may be away
before the backlog fills a given memory).

    .venv/bin/python benchmarks/redis_headroom.py [--reports 50000]

It starts a Redis of its own (append-only file, fsync every second, as in
docker-compose) and appends reports exactly as the intake does (`reports.stream.append`:
the rate limit and the XADD in one Lua call, pre-packed, on a kept connection) from
--clients processes at once, with no mover reading. It reports Redis's CPU seconds
per append (from /proc: what a core of Redis buys, whatever else runs on the
machine), the appends per second the clients got (bound by the clients' own CPU on a
small machine), and the memory (INFO used_memory) per report in the stream.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outagewatch.settings")

from benchmarks.cpu import Meter  # noqa: E402
from reports.tests.stack import Redis  # noqa: E402


def append_many(args: tuple[str, int, int]) -> float:
    """One client: `n` appends, as the intake makes them; returns its seconds."""
    url, n, client = args
    os.environ["REDIS_URL"] = url
    import django

    django.setup()
    from django.conf import settings

    from reports import stream

    settings.REPORT_STREAM = True
    stream.reset()
    began = time.perf_counter()
    for i in range(n):
        entry = stream.Entry(
            intake_id=uuid.uuid4(),
            service_id=1 + i % 175,
            problem_id=1 + i % 34,
            region="US",
            comment="",
            source="api",
            fingerprint=f"{client:02d}{i:030x}"[:32],
            created_at=datetime.now(UTC),
        )
        stream.append(entry, (f"ow:1:report:{client}-{i % 5000}", 1_000_000, 61))
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=2)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ow-redis-headroom-"))
    redis = Redis(folder / "redis")
    try:
        redis.start()
        before = int(redis.cli("INFO", "memory").split("used_memory:")[1].split()[0])
        meter = Meter({"redis": redis.pid()})
        per_client = args.reports // args.clients
        began = time.perf_counter()
        with ProcessPoolExecutor(args.clients) as pool:
            list(pool.map(append_many, [(redis.url, per_client, c) for c in range(args.clients)]))
        wall = time.perf_counter() - began
        used = meter.lap()["redis"]
        total = per_client * args.clients
        length = int(redis.cli("XLEN", "reports:intake"))
        after = int(redis.cli("INFO", "memory").split("used_memory:")[1].split()[0])
        per_entry = (after - before) / length
        print(f"\n{total:,} appends from {args.clients} client processes in {wall:.1f} s; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")  # fmt: skip
        print("| measure | value |\n|---|---|")
        print(f"| Redis CPU per append (rate limit + XADD, AOF everysec) | {used / total * 1e6:.1f} µs |")
        print(f"| appends per Redis core-second | **{total / used:,.0f}** |")
        print(f"| appends per second the {args.clients} clients got | {total / wall:,.0f} |")
        print(f"| memory per report waiting in the stream | {per_entry:,.0f} bytes |")
        print(f"| backlog that fits in 1 GiB | {2**30 / per_entry / 1e6:.1f} M reports |")
        return 0
    finally:
        redis.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
