"""GET /healthz: is this instance able to serve, and is detection keeping up?

200 with every check "ok", else 503 with a JSON body naming the checks that failed:

- database: a query answers;
- redis: Redis (broker, cache, rate limits) answers a PING, when REDIS_URL is set;
- detector: the last detection pass ended at most DETECTOR_STALE_SECONDS ago. Beat
  runs a pass every minute; a stale pass means beat or the workers are down, and
  the site would miss outages while still taking reports.

`?only=database,redis` runs just those checks: for a load balancer that should keep
sending reports to a web instance while detection is late.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from spikes.models import PipelineState

logger = logging.getLogger(__name__)


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _check_redis() -> str:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        return "ok" if client.ping() else "no answer to PING"
    finally:
        client.close()


def _check_detector() -> str:
    last = PipelineState.objects.filter(pk=1).values_list("last_pass_at", flat=True).first()
    if last is None:
        return "no detection pass has run yet (is Celery beat running?)"
    age = (timezone.now() - last).total_seconds()
    limit = settings.DETECTOR_STALE_SECONDS
    if age > limit:
        return f"stale: the last detection pass ended {age:.0f} s ago (limit {limit} s)"
    return "ok"


def _checks() -> dict[str, Callable[[], str]]:
    checks = {"database": _check_database}
    if settings.REDIS_URL:
        checks["redis"] = _check_redis
    checks["detector"] = _check_detector
    return checks


def healthz(request: HttpRequest) -> JsonResponse:
    available = _checks()
    only = [name for name in request.GET.get("only", "").split(",") if name]
    unknown = [name for name in only if name not in available]
    if unknown:
        return JsonResponse(
            {"detail": f"Unknown check {unknown[0]!r}: choose from {', '.join(available)}."}, status=400
        )
    results = {}
    for name, check in available.items():
        if only and name not in only:
            continue
        try:
            results[name] = check()
        except Exception as exc:  # noqa: BLE001 - any failure is "unhealthy", with its reason
            # The endpoint is public: the body names the error, the log has the details.
            logger.warning("health check %s failed: %s", name, exc)
            results[name] = f"error: {type(exc).__name__}"
    failed = [name for name, value in results.items() if value != "ok"]
    return JsonResponse(
        {"status": "unhealthy" if failed else "ok", "checks": results, "failed": failed},
        status=503 if failed else 200,
    )
