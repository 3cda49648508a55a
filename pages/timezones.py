"""The reader's time zone: guessed from the browser, changeable, kept in a cookie,
active on every page.

The zone switch offers each country's clocks by name ("India: Kolkata", "United
States: Chicago (Central)"), one zone per distinct clock of a country (tzdata's
zone.tab, with its zonenow.tab's representative zones preferred), not the 600
raw IANA names; any IANA name is still accepted (the browser may send another).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources

import pycountry

TZ_COOKIE = "tz"
TZ_COOKIE_MAX_AGE = 365 * 24 * 3600


@lru_cache(maxsize=1)
def zone_names() -> frozenset[str]:
    """Every IANA zone name this system knows."""
    return frozenset(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC")


def parse_zone(name: str) -> zoneinfo.ZoneInfo | None:
    """The zone of that IANA name, or None for anything else (never an exception)."""
    if not name or len(name) > 64 or name not in zone_names():
        return None
    return zoneinfo.ZoneInfo(name)


@dataclass(frozen=True)
class ZoneChoice:
    zone: str
    label: str


def _tab(name: str) -> list[list[str]]:
    text = (resources.files("tzdata.zoneinfo") / name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


def _offset_words(zone: zoneinfo.ZoneInfo, at: datetime) -> str:
    minutes = int(at.astimezone(zone).utcoffset().total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@lru_cache(maxsize=1)
def zone_choices() -> list[ZoneChoice]:
    """Each country's clocks, by country name: one zone per distinct clock (its
    offsets in January and July), the representative one where tzdata names it."""
    representative = {row[2] for row in _tab("zonenow.tab")}
    year = datetime.now(UTC).year
    winter, summer = datetime(year, 1, 15, tzinfo=UTC), datetime(year, 7, 15, tzinfo=UTC)
    by_country: dict[str, dict[tuple, tuple[int, str, str]]] = {}
    for position, row in enumerate(_tab("zone.tab")):
        code, name = row[0], row[2]
        comment = row[3] if len(row) > 3 else ""
        if name not in zone_names():
            continue
        zone = zoneinfo.ZoneInfo(name)
        clock = (winter.astimezone(zone).utcoffset(), summer.astimezone(zone).utcoffset())
        rank = 0 if name in representative else 1 if "most" in comment.lower() else 2
        best = by_country.setdefault(code, {}).get(clock)
        if best is None or (rank, position) < best[:2]:
            by_country[code][clock] = (rank, position, name, comment)  # type: ignore[assignment]
    choices = []
    for code, clocks in by_country.items():
        country = pycountry.countries.get(alpha_2=code)
        country_name = getattr(country, "common_name", None) or (country.name if country else code)
        for _, _, name, comment in sorted(clocks.values(), key=lambda c: c[2]):
            city = name.rsplit("/", 1)[-1].replace("_", " ")
            detail = f" ({comment})" if comment and len(clocks) > 1 else ""
            offset = _offset_words(zoneinfo.ZoneInfo(name), datetime.now(UTC))
            choices.append(ZoneChoice(name, f"{country_name}: {city}{detail}, {offset}"))
    return sorted(choices, key=lambda c: c.label)


def suggested(current: str) -> list[ZoneChoice]:
    """Shown first: the zone in use, and UTC."""
    labels = {c.zone: c.label for c in zone_choices()}
    first = [ZoneChoice(current, labels.get(current, current))]
    if current != "UTC":
        first.append(ZoneChoice("UTC", "UTC (Coordinated Universal Time)"))
    return first
