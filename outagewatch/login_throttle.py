"""Throttled admin log-ins: after ADMIN_LOGIN_RATE failed attempts for one user
name, or from one client address, further attempts are refused with a 429 until
the window is over.

Counted per name (guessing one operator's password from many addresses) and per
address (trying many names from one place). The counters live in the cache (Redis
in production, shared by every web worker). The address is kept only as a keyed
hash, like everywhere else in outagewatch.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from reports.clients import client_from_request

KEY_PREFIX = "admin-login-failures"


def _hashed(value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()[:32]


def _keys(request: HttpRequest) -> list[str]:
    username = request.POST.get("username", "").strip().lower()
    address = client_from_request(request).address
    return [f"{KEY_PREFIX}:user:{_hashed(username)}", f"{KEY_PREFIX}:addr:{_hashed(address)}"]


def is_locked_out(request: HttpRequest) -> bool:
    limit, _ = settings.ADMIN_LOGIN_RATE
    return any(count >= limit for count in cache.get_many(_keys(request)).values())


def record_failure(request: HttpRequest) -> None:
    _, window = settings.ADMIN_LOGIN_RATE
    for key in _keys(request):
        # add() starts the window with the first failure; incr() keeps its expiry.
        if not cache.add(key, 1, timeout=window):
            try:
                cache.incr(key)
            except ValueError:  # expired between add() and incr()
                cache.add(key, 1, timeout=window)


def throttled(login_view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap a login view: refuse a locked-out POST, count each failed one."""

    @wraps(login_view)
    def view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method != "POST":
            return login_view(request, *args, **kwargs)
        _, window = settings.ADMIN_LOGIN_RATE
        if is_locked_out(request):
            minutes = max(1, window // 60)
            response = HttpResponse(
                "Too many failed log-ins for this account or from your connection. "
                f"Wait {minutes} minute{'s' if minutes > 1 else ''} and try again.",
                status=429,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = str(window)
            return response
        response = login_view(request, *args, **kwargs)
        # A successful log-in redirects with the user logged in; anything else failed.
        if not (request.user.is_authenticated and request.user.is_staff):
            record_failure(request)
        return response

    return view
