"""The reader's time zone: chosen once, kept in a cookie, active on every page."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

TZ_COOKIE = "tz"
TZ_COOKIE_MAX_AGE = 365 * 24 * 3600


@lru_cache(maxsize=1)
def zone_names() -> list[str]:
    """Every IANA zone name this system knows, in order; the select's options."""
    return sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC")


def parse_zone(name: str) -> zoneinfo.ZoneInfo | None:
    """The zone of that IANA name, or None for anything else (never an exception)."""
    if not name or len(name) > 64 or name not in set(zone_names()):
        return None
    return zoneinfo.ZoneInfo(name)
