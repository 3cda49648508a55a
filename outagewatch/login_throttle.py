"""Throttled admin log-ins: at most ADMIN_LOGIN_RATE failed attempts per user name
and per client address in a window; beyond it, a 429 until the window ends.

Counted per name (guessing one operator's password from many addresses) and per
address (trying many names from one place), in the cache (Redis in production,
shared by every web worker).

Each attempt takes its place with one atomic INCR *before* the password is
checked, and is refused at once if that place is past the limit: concurrent
attempts cannot slip in between a check and a count (24 at once on one name used
to get 13 password checks against a limit of 10). A successful log-in gives its
place back, so only failures use up the allowance. Redis counts atomically; the
embedded default's file cache does not (its incr is a read, then a write: 24
attempts at once got 24 password checks), so there the counting holds a lock file
shared by every process.

The name and the address are kept only as keyed hashes (HMAC under a key derived
from SECRET_KEY), like every per-address counter in outagewatch.
`manage.py unlock_admin_login NAME` lifts a lock-out.

Why not django-axes: it checks the lock-out before the password and counts the
failure after it (axes/backends.py, 8.3), the very race described above, and it
stores client addresses in its tables and logs every log-in with its address.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Callable, Iterator
from functools import wraps

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.filebased import FileBasedCache
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac

from outagewatch.clients import client_from_request

KEY_PREFIX = "admin-login-attempts"


def _hashed(kind: str, value: str) -> str:
    return salted_hmac(f"outagewatch.login_throttle.{kind}", value, algorithm="sha256").hexdigest()[:32]


def name_key(username: str) -> str:
    return f"{KEY_PREFIX}:user:{_hashed('user', username.strip().lower())}"


def address_key(address: str) -> str:
    return f"{KEY_PREFIX}:addr:{_hashed('addr', address)}"


def _keys(request: HttpRequest) -> list[str]:
    return [name_key(request.POST.get("username", "")), address_key(client_from_request(request).address)]


@contextlib.contextmanager
def _counting() -> Iterator[None]:
    """Makes the file cache's read-then-write counting atomic across processes and
    threads (flock locks belong to each open file, so every caller opens its own)."""
    if not isinstance(caches["default"], FileBasedCache):  # `cache` is only a proxy of it
        yield
        return
    with open(settings.DATA_DIR / "login-throttle.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _take_place(key: str, window: int) -> int:
    """One atomic count; the window starts with the first attempt and keeps its expiry."""
    with _counting():
        return _count(key, window)


def _count(key: str, window: int) -> int:
    if cache.add(key, 1, timeout=window):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=window)
        return 1


def _give_back(key: str) -> None:
    with _counting(), contextlib.suppress(ValueError):  # expired meanwhile: nothing to give back
        cache.decr(key)


def unlock(username: str = "", address: str = "") -> int:
    """Forget the attempts of a name and/or an address; returns how many counters went."""
    keys = ([name_key(username)] if username else []) + ([address_key(address)] if address else [])
    return sum(bool(cache.delete(key)) for key in keys)


def throttled(login_view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap a login view: a POST takes its place first and is refused past the limit."""

    @wraps(login_view)
    def view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method != "POST":
            return login_view(request, *args, **kwargs)
        limit, window = settings.ADMIN_LOGIN_RATE
        keys = _keys(request)
        if max(_take_place(key, window) for key in keys) > limit:
            minutes = max(1, window // 60)
            response = HttpResponse(
                "Too many failed log-ins for this account or from your connection. "
                f"Wait {minutes} minute{'s' if minutes > 1 else ''} and try again, "
                "or ask an operator to run: manage.py unlock_admin_login <your user name>.",
                status=429,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = str(window)
            return response
        response = login_view(request, *args, **kwargs)
        # A successful log-in redirects with the user logged in: not a failure.
        if request.user.is_authenticated and request.user.is_staff:
            for key in keys:
                _give_back(key)
        return response

    return view
