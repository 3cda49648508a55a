"""Local time for baselines: a country's principal time zone, and the UTC offsets of
many instants at once.  Pure Python (zoneinfo and the tzdata package), no Django.

People report in their own local time, and their clocks jump twice a year: a
weekly profile kept in UTC would be an hour off after every daylight-saving change
until its 28 days of history had turned over (docs/benchmarks-simulated-series.md
measured the false alarms that makes).  A regional series' profile is therefore
kept in its country's local time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

# zone.tab lists a country's zones in an order that is not by population; where its
# first zone keeps a different daylight-saving rule from where most people live
# (Lord Howe Island's half-hour shift, Kaliningrad, Newfoundland), name the zone of
# the most people.  Only the rule matters: a constant offset is learned by the profile.
_PRINCIPAL = {
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "CL": "America/Santiago",
    "EC": "America/Guayaquil",
    "KZ": "Asia/Almaty",
    "MN": "Asia/Ulaanbaatar",
    "PT": "Europe/Lisbon",
    "RU": "Europe/Moscow",
    "UA": "Europe/Kyiv",
    "US": "America/New_York",
}


@lru_cache(maxsize=1)
def _country_zones() -> dict[str, str]:
    text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    zones: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            code, _coordinates, zone = line.split("\t")[:3]
            zones.setdefault(code, zone)
    zones.update(_PRINCIPAL)
    return zones


def country_zone(code: str) -> str:
    """The IANA zone where most of an ISO 3166-1 country's people live ('' if tzdata
    knows none, e.g. for a code that is not a country)."""
    return _country_zones().get(code.upper(), "")


@lru_cache(maxsize=65536)
def _offset_at_hour(zone: str, hour: int) -> float:
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return 0.0
    return datetime.fromtimestamp(hour * 3600, UTC).astimezone(tz).utcoffset().total_seconds()


def utc_offsets(t: np.ndarray | float, zone: str) -> np.ndarray:
    """Seconds to add to each UTC epoch ``t`` to get ``zone``'s local time.

    Offsets are looked up once per UTC hour (every daylight-saving change in
    tzdata since 1970 falls on a whole UTC hour in the zones we use), so a
    week of minutes costs 168 lookups, and those are cached.
    """
    t = np.asarray(t, dtype=float)
    hours = np.floor(t / 3600.0).astype(np.int64)
    unique, inverse = np.unique(hours, return_inverse=True)
    offsets = np.array([_offset_at_hour(zone, int(h)) for h in unique], dtype=float)
    return offsets[inverse].reshape(t.shape)
