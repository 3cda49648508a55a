"""Prometheus metrics: the instruments other modules import, and GET /metrics.

Counters and histograms are defined here once; code that has something to count
imports them:

    from outagewatch.metrics import WEBHOOK_DELIVERIES
    WEBHOOK_DELIVERIES.labels(outcome="delivered").inc()

Under gunicorn (several worker processes) set PROMETHEUS_MULTIPROC_DIR to an empty
directory private to the container: each process writes its samples there and
/metrics adds them up. Values read from the database (open spikes, the age of the
last detection pass) are computed when /metrics is scraped, so they are right
whichever process answers: the apps that own them register a collector here
(`register_collector`, in their AppConfig.ready), as this module imports no app.
"""

from __future__ import annotations

import hmac
import ipaddress
import os

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import REGISTRY, Collector

from outagewatch.clients import client_from_request

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # Every process (web, worker, a management command) writes its samples there.
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

REPORTS_ACCEPTED = Counter("outagewatch_reports_accepted_total", "Problem reports accepted.", ["source"])
REPORTS_REJECTED = Counter(
    "outagewatch_reports_rejected_total",
    "Problem reports refused, by source and reason (invalid, rate_limited, too_large, ...).",
    ["source", "reason"],
)
DETECTION_PASS_SECONDS = Histogram(
    "outagewatch_detection_pass_seconds",
    "Duration of one detection pass (counting, gap marking and handing out the chunks).",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 45, 60),
)
DETECT_CHUNK_SECONDS = Histogram(
    "outagewatch_detect_chunk_seconds",
    "Duration of one detection chunk (up to 500 series).",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120),
)
# Incremented by the partner webhooks' delivery code: outcome is "delivered",
# "failed" (will be retried) or "gave_up" (retries exhausted).
WEBHOOK_DELIVERIES = Counter(
    "outagewatch_webhook_deliveries_total", "Webhook deliveries to partners, by outcome.", ["outcome"]
)
REPORTS_PURGED = Counter("outagewatch_reports_purged_total", "Raw reports deleted by the retention purge.")

# Reasons of refused reports, by HTTP status.
REJECTION_REASONS = {
    400: "invalid",
    403: "forbidden",
    404: "unknown_service",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    503: "unavailable",
}
# The views that take reports, by URL name: their source label and the status of a
# success. The apps that own them register them (AppConfig.ready).
REPORT_VIEWS: dict[str, tuple[str, int]] = {}


def register_report_view(url_name: str, source: str, success_status: int) -> None:
    """Count the answers of the view named `url_name` as reports from `source`."""
    REPORT_VIEWS[url_name] = (source, success_status)


def count_report_response(url_name: str | None, status: int) -> None:
    """Count one answer of a report view as accepted or refused (with its reason)."""
    if url_name not in REPORT_VIEWS:
        return
    source, success = REPORT_VIEWS[url_name]
    if status == success:
        REPORTS_ACCEPTED.labels(source=source).inc()
    elif status >= 400:
        reason = REJECTION_REASONS.get(status, "server_error" if status >= 500 else f"http_{status}")
        REPORTS_REJECTED.labels(source=source, reason=reason).inc()


class ReportMetricsMiddleware:
    """Counts the report views' answers, so the intake code itself stays free of metrics."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method == "POST" and request.resolver_match is not None:
            count_report_response(request.resolver_match.url_name, response.status_code)
        return response


# Collectors the apps add in their AppConfig.ready (`register_collector`): gauges
# read from the database when /metrics is scraped (spikes/monitoring.py adds the
# open spikes and the age of the last detection pass).
_collectors: list[Collector] = []


def register_collector(collector: Collector) -> None:
    """Add a collector to every scrape of /metrics, in this process."""
    if collector not in _collectors:
        _collectors.append(collector)


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        # One process: its own samples are in the default registry.
        registry.register(_Forward(REGISTRY))
    for collector in _collectors:
        registry.register(collector)
    return registry


class _Forward(Collector):
    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self):
        return self.source.collect()


def is_allowed(request: HttpRequest) -> bool:
    """A scraper with the METRICS_TOKEN bearer token, or from METRICS_ALLOWED_NETWORKS."""
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if hmac.compare_digest(given.encode(), token.encode()):
            return True
    try:
        address = ipaddress.ip_address(client_from_request(request).address)
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not is_allowed(request):
        return HttpResponse(
            "Metrics are only for the monitoring system: send the METRICS_TOKEN as "
            "'Authorization: Bearer <token>', or scrape from an address in METRICS_ALLOWED_NETWORKS.",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
