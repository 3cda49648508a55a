"""Read replicas: the public site's and the partner API's reads go to a PostgreSQL
streaming replica (DATABASE_REPLICA_URL), everything else to the primary.

Who reads where:

- `ReplicaMiddleware` lets a request read from the replica only when it is a GET or
  HEAD handled by a view of the apps in DATABASE_REPLICA_VIEWS (the public site and
  the partner API), and the reader has not written lately: a successful write (the
  report form's POST before its redirect, a partner's webhook change) pins the
  reader's next reads to the primary for DATABASE_REPLICA_PIN_SECONDS, by a cookie
  (browsers) or by the API key (machines), so people see their own writes.
- `ReplicaRouter` sends those requests' reads of the data models to the replica
  while it is healthy; every write, every other read (sessions, users, API keys, the
  Celery tasks, the mover) goes to the primary.

When the replica is unhealthy (down, not a standby, or lagging more than
DATABASE_REPLICA_MAX_LAG_SECONDS behind the primary) reads go to the primary, and the
replica is checked again DATABASE_REPLICA_CHECK_SECONDS later. A replica that fails
in the middle of a request (the query raises) is marked down and the view runs
again on the primary: the reader gets the page, never a 500. Each change of the
replica's state is logged once per process, not once per request.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import Error, connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

REPLICA = "replica"
PRIMARY = "default"
PIN_COOKIE = "ow_primary"
SAFE_METHODS = ("GET", "HEAD")
# Read on every API request and must be current: a revoked key stops at once.
PRIMARY_ONLY_MODELS = {"partners.partnerkey"}

# Set by the middleware for the requests whose reads may go to the replica.
_may_read_replica: contextvars.ContextVar[bool] = contextvars.ContextVar("may_read_replica", default=False)


def configured() -> bool:
    return REPLICA in settings.DATABASES


@dataclass
class _State:
    healthy: bool = False
    checked_at: float = float("-inf")
    reason: str = "not checked yet"
    announced: bool | None = None  # the state last logged (None: nothing logged yet)


class ReplicaHealth:
    """This process's verdict on the replica, refreshed at most every
    DATABASE_REPLICA_CHECK_SECONDS (two tiny queries), so a request pays nothing."""

    def __init__(self) -> None:
        self._state = _State()
        self._lock = threading.Lock()

    def available(self) -> bool:
        state = self._state
        if time.monotonic() - state.checked_at < settings.DATABASE_REPLICA_CHECK_SECONDS:
            return state.healthy
        with self._lock:
            if time.monotonic() - self._state.checked_at >= settings.DATABASE_REPLICA_CHECK_SECONDS:
                healthy, reason = self._check()
                self._set(healthy, reason)
        return self._state.healthy

    def mark_down(self, reason: str) -> None:
        with self._lock:
            self._set(False, reason)

    def forget(self) -> None:
        """Check again on next use (tests)."""
        self._state = _State()

    def _set(self, healthy: bool, reason: str) -> None:
        state = self._state
        state.healthy, state.reason, state.checked_at = healthy, reason, time.monotonic()
        if state.announced is not healthy and (state.announced is not None or not healthy):
            if healthy:
                logger.warning("read replica available again: the site reads from it")
            else:
                logger.warning("read replica unavailable (%s): reading from the primary", reason)
        state.announced = healthy

    def _check(self) -> tuple[bool, str]:
        """(healthy, why not). The replica is healthy when it is a standby that has
        replayed all the WAL the primary had written a moment before, or whose last
        replayed commit is at most DATABASE_REPLICA_MAX_LAG_SECONDS old."""
        try:
            with connections[PRIMARY].cursor() as cursor:
                cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
                primary_lsn = cursor.fetchone()[0]
        except Error:
            # The primary is down: judge by what the replica received, so the site can
            # go on reading while the primary comes back.
            _close(PRIMARY)
            primary_lsn = None
        try:
            with connections[REPLICA].cursor() as cursor:
                cursor.execute(
                    "SELECT pg_is_in_recovery(), "
                    "pg_last_wal_replay_lsn() >= COALESCE(%s::pg_lsn, pg_last_wal_receive_lsn()), "
                    "EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())",
                    [primary_lsn],
                )
                standby, caught_up, lag = cursor.fetchone()
        except Error as exc:
            _close(REPLICA)
            return False, _first_line(exc)
        if not standby:
            return False, "it is not a standby (pg_is_in_recovery() is false)"
        if caught_up:
            return True, "caught up"
        limit = settings.DATABASE_REPLICA_MAX_LAG_SECONDS
        if lag is None or lag > limit:
            shown = "unknown" if lag is None else f"{float(lag):.1f} s"
            return False, f"it lags {shown} behind the primary (limit {limit} s)"
        return True, f"{float(lag):.1f} s behind"


health = ReplicaHealth()


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"


def _close(alias: str) -> None:
    # A broken connection is useless; the next use opens a new one.
    with contextlib.suppress(Error):
        connections[alias].close()


class ReplicaRouter:
    """Reads of the data models go to the replica when the request may read there
    and the replica is healthy; everything else to the primary."""

    def db_for_read(self, model, **hints) -> str:
        if not _may_read_replica.get() or model._meta.label_lower in PRIMARY_ONLY_MODELS:
            return PRIMARY
        if model._meta.app_label not in settings.DATABASE_REPLICA_APPS:
            return PRIMARY
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY  # inside a transaction, read what it wrote
        return REPLICA if health.available() else PRIMARY

    def db_for_write(self, model, **hints) -> str:
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # one database, two doors

    def allow_migrate(self, db: str, app_label: str, model_name=None, **hints) -> bool:
        return db == PRIMARY


def _view_module(view_func: Callable) -> str:
    view = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None) or view_func
    return getattr(view, "__module__", "") or type(view).__module__


def _api_key_pin(request: HttpRequest) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return None
    return "replica-pin:" + hashlib.sha256(header.encode()).hexdigest()[:32]


class ReplicaMiddleware:
    """Decides which requests may read from the replica, pins a writer's next reads
    to the primary, and runs a view again on the primary when the replica fails
    under it. Does nothing unless DATABASE_REPLICA_URL is set."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.enabled = configured()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.enabled:
            return self.get_response(request)
        token = _may_read_replica.set(False)
        try:
            response = self.get_response(request)
        finally:
            _may_read_replica.reset(token)
        if request.method not in SAFE_METHODS and response.status_code < 400:
            self._pin(request, response)
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        if not self.enabled or request.method not in SAFE_METHODS:
            return None
        if not _view_module(view_func).startswith(
            tuple(f"{app}." for app in settings.DATABASE_REPLICA_VIEWS)
        ):
            return None
        if request.COOKIES.get(PIN_COOKIE) or self._pinned_key(request):
            return None
        request._replica_view = (view_func, view_args, view_kwargs)
        _may_read_replica.set(True)
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """The replica failed under a read-only view: mark it down, read the primary."""
        # Error, not DatabaseError: a connection the replica closed under us raises
        # InterfaceError ("connection already closed"), which is not a DatabaseError.
        if not isinstance(exception, Error) or not hasattr(request, "_replica_view"):
            return None
        if not connections[REPLICA].errors_occurred:
            return None  # the primary failed, not the replica: nothing to fall back to
        health.mark_down(f"{_first_line(exception)} (during a request)")
        _close(REPLICA)
        _may_read_replica.set(False)
        view_func, args, kwargs = request._replica_view
        del request._replica_view  # once: a second failure is the primary's to report
        response = view_func(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        return response

    @staticmethod
    def _pinned_key(request: HttpRequest) -> bool:
        key = _api_key_pin(request)
        if key is None:
            return False
        try:
            return bool(cache.get(key))
        except Exception:  # noqa: BLE001 - no cache, no pin: the replica is within its bound anyway
            return False

    @staticmethod
    def _pin(request: HttpRequest, response: HttpResponse) -> None:
        seconds = settings.DATABASE_REPLICA_PIN_SECONDS
        response.set_cookie(PIN_COOKIE, "1", max_age=seconds, samesite="Lax", httponly=True)
        key = _api_key_pin(request)
        if key is not None:
            with contextlib.suppress(Exception):
                cache.set(key, 1, seconds)
