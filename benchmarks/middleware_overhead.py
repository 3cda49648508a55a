"""What the production middleware costs per request: request id and log line,
security headers, report metrics, beside Django's own middleware alone.

    .venv/bin/python benchmarks/middleware_overhead.py [--requests 5000] [--runs 9]

In one process, no server and no database: a trivial JSON view is called through
Django's WSGI handler with each middleware list, and the fastest of several interleaved
runs is printed. The log lines are formatted as in production (JSON) and
written to /dev/null. What it shows is the added CPU per request, which is what a
server's throughput loses; the intake benchmark measures the whole.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outagewatch.settings")
os.environ["LOG_FORMAT"] = "json"
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.test import RequestFactory, override_settings  # noqa: E402
from django.urls import path  # noqa: E402


def ok(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [path("ok", ok)]

OURS = {
    "outagewatch.logs.RequestLogMiddleware",
    "outagewatch.security.SecurityHeadersMiddleware",
    "outagewatch.metrics.ReportMetricsMiddleware",
}
VARIANTS = {
    "no middleware": ([], True),
    "Django's middleware only": ([m for m in settings.MIDDLEWARE if m not in OURS], True),
    "all, request log lines on": (list(settings.MIDDLEWARE), True),
    "all, LOG_REQUESTS=0": (list(settings.MIDDLEWARE), False),
}


def per_request_us(middleware: list[str], log_requests: bool, requests: int) -> float:
    with override_settings(MIDDLEWARE=middleware, ROOT_URLCONF=__name__, LOG_REQUESTS=log_requests):
        handler = WSGIHandler()
        environ = RequestFactory().get("/ok").environ
        environ.update({"wsgi.input": sys.stdin.buffer, "wsgi.errors": sys.stderr})

        def start_response(status, headers):
            return None

        for _ in range(200):  # warm up
            handler(dict(environ), start_response)
        started = time.perf_counter()
        for _ in range(requests):
            response = handler(dict(environ), start_response)
            response.close()
        return (time.perf_counter() - started) / requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    devnull = open(os.devnull, "w")  # noqa: SIM115 - open for the whole run
    for handler in logging.getLogger().handlers:
        handler.setStream(devnull)

    # Variants take turns, run after run, and the fastest run of each counts: on a
    # shared machine, other load only ever adds time.
    timings: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for _ in range(args.runs):
        for name, (middleware, log_requests) in VARIANTS.items():
            timings[name].append(per_request_us(middleware, log_requests, args.requests))
    print(f"{'middleware':<28} {'us/request':>10} {'req/s, one core':>16}")
    results = {}
    for name, runs in timings.items():
        results[name] = min(runs)
        print(f"{name:<28} {results[name]:>10.1f} {1e6 / results[name]:>16,.0f}")
    base = results["Django's middleware only"]
    for name in ("all, request log lines on", "all, LOG_REQUESTS=0"):
        print(f"added by ours ({name.split(', ')[1]}): {results[name] - base:.1f} us per request")


if __name__ == "__main__":
    main()
