"""Logs: one line per event on stdout, JSON in production (LOG_FORMAT=json) or plain
text, each carrying the id of the request (or Celery task) it belongs to.

The request id comes from the proxy's X-Request-ID when it sent a sane one (so a
line can be followed from the proxy's log to ours), else it is made up here; it is
sent back in the response's X-Request-ID. Client addresses are never logged: the
log is a store like any other, and outagewatch keeps no raw address anywhere.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse

request_id: ContextVar[str] = ContextVar("request_id", default="-")

_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
access_log = logging.getLogger("outagewatch.request")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# The attributes every LogRecord has: anything else on a record came from `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "request_id"}


class JsonLineFormatter(logging.Formatter):
    """One JSON object per line: time (ISO 8601, UTC), level, logger, request_id,
    message, the fields passed in `extra=`, and the traceback if there is one.

    A dozen lines instead of a library: this runs once per request, and a general
    formatter that parses a format string and copies the record costs several
    times more (benchmarks/middleware_overhead.py)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD:
                line[key] = value
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class RequestIdFilter(logging.Filter):
    """Puts the current request or task id on every record (as `request_id`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def logging_config(level: str, fmt: str) -> dict:
    """The LOGGING setting: everything to stdout, in `fmt` ("json" or "text")."""
    formatter = {"()": "outagewatch.logs.JsonLineFormatter"} if fmt == "json" else {"format": TEXT_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "outagewatch.logs.RequestIdFilter"}},
        "formatters": {"main": formatter},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "main",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            # Our request lines replace Django's own warnings ("Not Found: /x" for each 404).
            "django.request": {"level": max(logging.ERROR, logging.getLevelName(level))},
            # runserver's line per request goes the same way as everything else (Django
            # sends it to stderr in a format of its own, whatever LOG_LEVEL says).
            "django.server": {"level": level, "propagate": True},
        },
    }


class RequestLogMiddleware:
    """Gives each request an id, and logs one line per request when it is answered."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        rid = given if _SANE_ID.match(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = rid
            if settings.LOG_REQUESTS:
                access_log.info(
                    "%s %s %s",
                    request.method,
                    request.path,
                    response.status_code,
                    extra={
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    },
                )
            return response
        finally:
            request_id.reset(token)
