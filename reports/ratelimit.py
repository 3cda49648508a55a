"""A fixed-window rate limit on the shared cache (Redis when configured).

One atomic INCR per request. The limiter fails open: if the cache is down, a report
is accepted rather than refused, since losing good reports during an outage is
worse than letting an abuser through for a while (their repeats are discounted by
the distinct-reporter counts anyway).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from django.core.cache import cache

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until the window resets


def hit(key: str, limit: int, window_seconds: int, now: float | None = None) -> RateDecision:
    now = time.time() if now is None else now
    window_start = int(now // window_seconds) * window_seconds
    cache_key = f"rl:{key}:{window_start}"
    retry_after = max(1, math.ceil(window_start + window_seconds - now))
    try:
        cache.add(cache_key, 0, timeout=window_seconds + 1)
        try:
            count = cache.incr(cache_key)
        except ValueError:  # the key expired between add and incr
            cache.set(cache_key, 1, timeout=window_seconds + 1)
            count = 1
    except Exception:  # noqa: BLE001 - any cache failure: fail open, see above
        logger.warning("rate limit cache unavailable; letting the request through", exc_info=True)
        return RateDecision(True, limit, limit, retry_after)
    return RateDecision(count <= limit, limit, max(0, limit - count), retry_after)
