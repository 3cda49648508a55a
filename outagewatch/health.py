"""GET /healthz: is this instance able to serve, and is detection keeping up?

200 with every check "ok", else 503 with a JSON body naming the checks that failed.
This module runs two checks of its own:

- database: a query answers;
- redis: Redis (broker, cache, rate limits) answers a PING, when REDIS_URL is set;

and then those the apps register in their AppConfig.ready (`register`), in the
order of INSTALLED_APPS: spikes adds "detector" (the last detection pass is
recent; spikes/monitoring.py). The project package imports no app: an app that
has something to say about its health tells it here.

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

logger = logging.getLogger(__name__)

# A check answers "ok", or says in a few words what is wrong; an exception counts
# as unhealthy too (its type is shown, the details are logged).
Check = Callable[[], str]

_registered: dict[str, Check] = {}


def register(name: str, check: Check) -> None:
    """Add a check to /healthz under `name` (registering a name again replaces it)."""
    _registered[name] = check


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


def checks() -> dict[str, Check]:
    """Every check of /healthz, by name, in the order they run."""
    available: dict[str, Check] = {"database": _check_database}
    if settings.REDIS_URL:
        available["redis"] = _check_redis
    return available | _registered


def healthz(request: HttpRequest) -> JsonResponse:
    available = checks()
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
