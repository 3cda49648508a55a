"""Rate limits and daily quotas of API clients, counted in the shared cache.

Anonymous clients share a low per-address limit; each partner key has its own
per-minute limit and daily quota; failed key authentications are limited per
address (`failed_authentication`). Both are fixed windows counted with one atomic
INCR each (reports.ratelimit), so every web process sees the same counts.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from partners.models import PartnerKey
from reports.ratelimit import RateDecision, hit, window

DAY = 86400


@dataclass(frozen=True)
class Allowance:
    minute: RateDecision
    day: RateDecision | None  # anonymous clients have no daily quota

    @property
    def allowed(self) -> bool:
        return self.minute.allowed and (self.day is None or self.day.allowed)

    @property
    def retry_after(self) -> int:
        if not self.minute.allowed:
            return self.minute.retry_after
        return self.day.retry_after if self.day else 0

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.minute.limit),
            "X-RateLimit-Remaining": str(self.minute.remaining),
            "X-RateLimit-Reset": str(self.minute.retry_after),
        }
        if self.day is not None:
            headers |= {
                "X-Quota-Limit": str(self.day.limit),
                "X-Quota-Remaining": str(self.day.remaining),
                "X-Quota-Reset": str(self.day.retry_after),
            }
        return headers


def consume(key: PartnerKey | None, address_key: str, now: float | None = None) -> Allowance:
    """Count one request; the daily quota is only charged for requests the minute
    limit let through. `address_key` stands for the client's address (a keyed hash,
    never the address: throttling.address_key)."""
    if key is None:
        limit, window = settings.PARTNER_API_ANON_RATE
        return Allowance(hit(f"api-anon:{address_key}", limit, window, now), None)
    minute = hit(f"api-key:{key.pk}", key.rate_per_minute, 60, now)
    if not minute.allowed:
        return Allowance(minute, _peek_day(key, now))
    return Allowance(minute, hit(f"api-day:{key.pk}", key.daily_quota, DAY, now))


def _peek_day(key: PartnerKey, now: float | None) -> RateDecision:
    """The daily quota as it stands, without charging it (reads reports.ratelimit's counter)."""
    now = time.time() if now is None else now
    window_start = int(now // DAY) * DAY
    used = cache.get(f"rl:api-day:{key.pk}:{window_start}", 0)
    return RateDecision(
        used < key.daily_quota,
        key.daily_quota,
        max(0, key.daily_quota - used),
        max(1, math.ceil(window_start + DAY - now)),
    )


def failed_authentications(address_key: str, now: float | None = None) -> RateDecision:
    """Where the client stands with failed key authentications, without counting one."""
    limit, window_seconds = settings.PARTNER_API_BAD_KEY_RATE
    w = window(f"api-bad-key:{address_key}", window_seconds, now)
    return w.decide(cache.get(w.key, 0), limit)


def count_failed_authentication(address_key: str, now: float | None = None) -> RateDecision:
    """Count one failed key authentication from this client (an atomic INCR)."""
    limit, window_seconds = settings.PARTNER_API_BAD_KEY_RATE
    return hit(f"api-bad-key:{address_key}", limit, window_seconds, now)
