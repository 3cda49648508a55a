"""A fixed-window rate limit on the shared cache (Redis when configured).

On Redis, one round trip per request: INCR and EXPIRE NX in one pipeline, on a
client kept for the cache's connection pool (Django's RedisCache builds a new
client object for every call and spends four round trips on add + incr, which
cost the intake more than everything else it does). Other cache backends use
add + incr.

The limiter fails open: if the cache is down, a report is accepted rather than
refused, since losing good reports during an outage is worse than letting an
abuser through for a while (their repeats are discounted by the distinct-reporter
counts anyway).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until the window resets


@dataclass(frozen=True)
class Window:
    """Where a hit is counted: the cache key of this client's current window."""

    key: str
    seconds: int
    retry_after: int

    def decide(self, count: int, limit: int) -> RateDecision:
        return RateDecision(count <= limit, limit, max(0, limit - count), self.retry_after)


def window(key: str, window_seconds: int, now: float | None = None) -> Window:
    now = time.time() if now is None else now
    window_start = int(now // window_seconds) * window_seconds
    retry_after = max(1, math.ceil(window_start + window_seconds - now))
    return Window(f"rl:{key}:{window_start}", window_seconds, retry_after)


def redis_client():
    """A redis-py client on the default cache's pool, made once per cache object
    (a settings change in tests makes a new cache object, hence a new client), or
    None when the cache is not Redis."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    client = getattr(backend, "_outagewatch_client", None)
    if client is None:
        # Private API of Django's RedisCache: its pool-backed client factory.
        client = backend._cache.get_client(write=True)
        backend._outagewatch_client = client
    return client


def hit(key: str, limit: int, window_seconds: int, now: float | None = None) -> RateDecision:
    w = window(key, window_seconds, now)
    try:
        client = redis_client()
        if client is not None:
            full_key = cache.make_key(w.key)
            with client.pipeline(transaction=False) as pipe:
                pipe.incr(full_key)
                pipe.expire(full_key, w.seconds + 1, nx=True)
                count = pipe.execute()[0]
        else:
            cache.add(w.key, 0, timeout=w.seconds + 1)
            try:
                count = cache.incr(w.key)
            except ValueError:  # the key expired between add and incr
                cache.set(w.key, 1, timeout=w.seconds + 1)
                count = 1
    except Exception:  # any cache failure: fail open, see above
        logger.warning("rate limit cache unavailable; letting the request through", exc_info=True)
        return RateDecision(True, limit, limit, w.retry_after)
    return w.decide(count, limit)
