"""One poll round over many status sources, on one worker, against a local status server.

    eval "$(scripts/test-services start /tmp/ow-bench)"      # PostgreSQL (SQLite works too)
    .venv/bin/python benchmarks/statuspages_poll.py [--sources 2000] [--hanging 20]

Creates a throwaway database (test_<name>, dropped at the end), N services each
with a Statuspage source on its own URL, and starts a status server in a second
process (so it does not share this process's interpreter lock) answering a
realistic summary.json (12 components, an incident with up to three updates, ~7 kB) with
an ETag. Then it times, in one run, the rounds a worker meets, each through the
production code (statuspages.polling.poll_round: claim, fetch in
STATUSPAGE_FETCH_THREADS threads through the public-address guard, parse, store):

1. first round: every page new (incidents and updates stored);
2. unchanged: every page answers 304 to the conditional GET;
3. changed: every page has a new update (the ETag changes);
4. with `--hanging` sources whose server never answers (cut at the total timeout).

The target (issue 17): a round fits well within the 2-minute default interval.
Exits 1 when a round takes longer than half of it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outagewatch.settings")
os.environ["STATUSPAGE_ALLOWED_NETWORKS"] = "127.0.0.1/32"
INTERVAL = 120


def page(version: int) -> bytes:
    """A summary.json the size of a real mid-sized page."""
    components = [
        {
            "id": f"c{i}",
            "name": name,
            "status": "partial_outage" if i == 2 else "operational",
            "group": False,
            "description": f"{name}: " + "what users of this part of the service rely on every day. " * 6,
            "created_at": "2014-05-03T01:22:07Z",
            "updated_at": "2026-03-05T18:10:00Z",
            "position": i,
            "showcase": True,
            "group_id": None,
            "page_id": "p",
            "only_show_if_degraded": False,
        }
        for i, name in enumerate(
            [
                "API",
                "Website",
                "Media",
                "Login",
                "Payments",
                "Search",
                "Push",
                "Calls",
                "Web",
                "Android",
                "iOS",
                "CDN",
            ]
        )
    ]
    updates = [
        {
            "id": f"u{n}",
            "status": status,
            "body": f"Update {n}: {'we are looking into failed media uploads for some of our users. ' * 8}",
            "created_at": f"2026-03-05T18:{10 + n:02d}:00Z",
        }
        for n, status in enumerate(["investigating", "identified", "monitoring"][: 1 + version % 3])
    ]
    incident = {
        "id": "inc1",
        "name": "Media uploads fail for some users",
        "status": updates[-1]["status"],
        "impact": "minor",
        "created_at": "2026-03-05T18:10:00Z",
        "updated_at": updates[-1]["created_at"],
        "shortlink": "https://stspg.io/inc1",
        "incident_updates": list(reversed(updates)),
        "components": [components[2]],
    }
    return json.dumps(
        {
            "page": {"id": "p", "name": "Example", "updated_at": "2026-03-05T18:20:00Z"},
            "components": components,
            "incidents": [incident],
            "scheduled_maintenances": [],
            "status": {"indicator": "minor", "description": "Partially Degraded Service"},
        }
    ).encode()


def serve(port_file: str) -> None:
    """The status server (run in its own process): /s/<n>/api/v2/summary.json answers
    the current version with an ETag; /hang/... never answers; POST /bump moves on."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    state = {"version": 0, "body": page(0)}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if self.path.startswith("/hang/"):
                time.sleep(3600)
                return
            etag = f'"v{state["version"]}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = state["body"]
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            state["version"] += 1
            state["body"] = page(state["version"])
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.request_queue_size = 256
    Path(port_file).write_text(str(httpd.server_address[1]))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    while True:
        time.sleep(3600)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", type=int, default=2000)
    parser.add_argument(
        "--hanging", type=int, default=20, help="sources that never answer, in the last round"
    )
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return 0

    port_file = Path(f"/tmp/statuspages-bench-{os.getpid()}.port")
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port_file)])
    try:
        while not port_file.exists() or not port_file.read_text():
            time.sleep(0.05)
        return run(args, f"http://127.0.0.1:{port_file.read_text()}")
    finally:
        server.terminate()
        server.wait()
        port_file.unlink(missing_ok=True)


def run(args, base: str) -> int:
    import urllib.request

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from reports.models import Service
    from statuspages import polling
    from statuspages.models import ProviderIncident, ProviderIncidentUpdate, StatusSource

    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        services = Service.objects.bulk_create(
            Service(slug=f"bench-{i}", name=f"Bench {i}", category="other") for i in range(args.sources)
        )
        StatusSource.objects.bulk_create(
            StatusSource(
                service=s, name=f"{s.name} status", kind="statuspage", url=f"{base}/s/{i}/api/v2/summary.json"
            )
            for i, s in enumerate(services)
        )
        print(
            f"{args.sources} sources, {len(page(0)):,}-byte pages, {settings.STATUSPAGE_FETCH_THREADS} fetch "
            f"threads, database {connection.vendor}; one round must fit in {INTERVAL} s"
        )
        print(f"| round | sources | wall time (s) | polls/s | share of the {INTERVAL} s interval |")
        print("|---|---|---|---|---|")
        worst = 0.0

        def round_(label: str) -> None:
            nonlocal worst
            StatusSource.objects.update(next_poll_at=timezone.now())
            began = time.perf_counter()
            summary = polling.poll_round()
            took = time.perf_counter() - began
            worst = max(worst, took)
            print(
                f"| {label} | {summary.polled} ({summary.changed} changed, {summary.unchanged} 304, "
                f"{summary.failed} failed) | {took:.1f} | {summary.polled / took:,.0f} | {took / INTERVAL:.0%} |"
            )

        round_("first: every page new")
        round_("unchanged: 304 everywhere")
        urllib.request.urlopen(urllib.request.Request(f"{base}/bump", method="POST")).close()
        round_("changed: a new update everywhere")
        if args.hanging:
            StatusSource.objects.filter(
                pk__in=list(StatusSource.objects.values_list("pk", flat=True)[: args.hanging])
            ).update(url=f"{base}/hang/api/v2/summary.json")
            round_(f"with {args.hanging} pages that never answer")
        print(
            f"stored: {ProviderIncident.objects.count():,} incidents, "
            f"{ProviderIncidentUpdate.objects.count():,} updates"
        )
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
    if worst > INTERVAL / 2:
        print(f"FAIL: the slowest round took {worst:.1f} s, more than half the interval")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
