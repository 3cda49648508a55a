"""Built-in services, regions and usage profiles for the outage simulator.

No Django: the slugs match reports/data/catalog.json so a simulated CSV can be
replayed through the real intake/backtest. Volumes are reports per hour
(distinct reporters, averaged over a week, all regions) at scale 1.

Two tiers, 200 services in all (CATALOG), because real trackers are mostly tail:
* SERVICES: thirty hand-described services, from a few reports an hour (Signal,
  Barclays) to over a thousand at WhatsApp's evening peak;
* TAIL: an even sample of the other services of reports/data/catalog.json
  (national ones in the countries the catalog names; invented ones pad a shorter
  catalog), at 0.03 to 12 reports an hour, most of them near-silent, with
  audiences in one to a few countries and sometimes a country that sends only one
  or two percent of their reports. Drawn once from a fixed seed, so the catalog is
  the same in every simulation.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

# UTC offsets in minutes, for the simulator's "fixed" clocks: one offset per country
# all year; the US and Brazil span several zones, so they get a population-weighted
# middle. With "real" clocks (the default) each region follows REGION_ZONES instead.
REGION_OFFSETS: dict[str, int] = {
    "US": -6 * 60,
    "CA": -5 * 60,
    "MX": -6 * 60,
    "BR": -3 * 60,
    "GB": 0,
    "DE": 60,
    "FR": 60,
    "ES": 60,
    "IT": 60,
    "NG": 60,
    "IN": 330,
    "JP": 540,
    "AU": 600,
}
REGIONS: tuple[str, ...] = tuple(REGION_OFFSETS)
# The zone whose clocks a region's people keep (the same middle as above: Central
# time for the US, whose daylight-saving rules are the whole country's).
REGION_ZONES: dict[str, str] = {
    "US": "America/Chicago",
    "CA": "America/Toronto",
    "MX": "America/Mexico_City",
    "BR": "America/Sao_Paulo",
    "GB": "Europe/London",
    "DE": "Europe/Berlin",
    "FR": "Europe/Paris",
    "ES": "Europe/Madrid",
    "IT": "Europe/Rome",
    "NG": "Africa/Lagos",
    "IN": "Asia/Kolkata",
    "JP": "Asia/Tokyo",
    "AU": "Australia/Sydney",
}


@dataclass(frozen=True)
class UsageProfile:
    """When people use (and so report) a kind of service, in local time.

    `bumps` are (hour, width in hours, weight) Gaussians on top of `floor`; the
    curve is normalised to mean 1 over the day by the simulator. `weekdays` are
    Monday..Sunday multipliers, also normalised to mean 1.
    """

    floor: float
    bumps: tuple[tuple[float, float, float], ...]
    weekdays: tuple[float, ...]


PROFILES: dict[str, UsageProfile] = {
    # Messaging/social: awake all day, strongest in the evening.
    "consumer": UsageProfile(
        0.08, ((9.5, 2.5, 0.6), (14.0, 3.0, 0.7), (21.0, 2.2, 1.0)), (1.0, 0.98, 0.98, 1.0, 1.03, 1.05, 1.02)
    ),
    # Work tools: office hours, far fewer users at weekends.
    "business": UsageProfile(
        0.03, ((10.0, 1.8, 1.0), (14.5, 2.0, 0.9)), (1.22, 1.2, 1.2, 1.18, 1.05, 0.45, 0.4)
    ),
    # Games and streaming: evenings and weekends.
    "leisure": UsageProfile(
        0.07,
        ((13.0, 2.5, 0.35), (20.5, 2.0, 1.0), (23.0, 1.5, 0.3)),
        (0.88, 0.86, 0.88, 0.92, 1.05, 1.23, 1.18),
    ),
    # Banks and payments: daytime, paydays aside, quieter at weekends.
    "banking": UsageProfile(
        0.04,
        ((9.0, 1.5, 1.0), (13.0, 2.5, 0.8), (19.0, 2.0, 0.45)),
        (1.15, 1.07, 1.05, 1.05, 1.12, 0.8, 0.76),
    ),
    # Phone and internet: everyone, all day, a little more in the evening.
    "telecom": UsageProfile(
        0.12, ((10.0, 3.0, 0.7), (20.0, 2.5, 0.9)), (1.02, 1.0, 1.0, 1.0, 1.02, 0.98, 0.98)
    ),
}

# Typical audience mixes; services below pick one or give their own.
_GLOBAL_APP = {
    "US": 0.30,
    "IN": 0.12,
    "BR": 0.09,
    "GB": 0.08,
    "MX": 0.06,
    "DE": 0.06,
    "FR": 0.05,
    "CA": 0.05,
    "ES": 0.04,
    "IT": 0.04,
    "NG": 0.04,
    "JP": 0.03,
    "AU": 0.04,
}
_WHATSAPP = {
    "IN": 0.24,
    "BR": 0.17,
    "US": 0.10,
    "GB": 0.08,
    "MX": 0.09,
    "DE": 0.07,
    "ES": 0.06,
    "IT": 0.06,
    "NG": 0.06,
    "FR": 0.04,
    "CA": 0.01,
    "AU": 0.01,
    "JP": 0.01,
}
_US_HEAVY = {
    "US": 0.55,
    "GB": 0.10,
    "CA": 0.07,
    "BR": 0.05,
    "MX": 0.04,
    "DE": 0.04,
    "FR": 0.03,
    "IN": 0.04,
    "AU": 0.04,
    "JP": 0.02,
    "ES": 0.01,
    "IT": 0.01,
}
_GAMING = {
    "US": 0.42,
    "GB": 0.12,
    "DE": 0.08,
    "FR": 0.06,
    "BR": 0.07,
    "JP": 0.07,
    "CA": 0.06,
    "MX": 0.04,
    "AU": 0.04,
    "ES": 0.02,
    "IT": 0.02,
}


@dataclass(frozen=True)
class ServiceSpec:
    slug: str
    per_hour: float
    profile: str
    problems: dict[str, float]  # usual share of each problem type, sums to 1
    regions: dict[str, float]  # share of reports from each region, sums to 1
    group: str | None = None
    growth: float = 0.0  # relative change in volume over the simulated period
    kind: str = "app"  # "isp" services get sympathetic bumps when big apps fail
    tags: tuple[str, ...] = field(default=())


def _norm(d: dict[str, float]) -> dict[str, float]:
    total = sum(d.values())
    return {k: v / total for k, v in d.items()}


_BANK = {"login": 0.4, "mobile-banking": 0.28, "online-banking": 0.14, "cards": 0.1, "payments": 0.08}
_MOBILE = {"mobile-internet": 0.36, "signal": 0.3, "phone-calls": 0.16, "internet": 0.1, "outage": 0.08}

SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        "whatsapp",
        700,
        "consumer",
        {
            "messages": 0.42,
            "server-connection": 0.17,
            "app": 0.1,
            "login": 0.07,
            "pictures": 0.1,
            "voice-messages": 0.07,
            "video-calls": 0.07,
        },
        _WHATSAPP,
        "meta",
        0.05,
    ),
    ServiceSpec(
        "messenger",
        55,
        "consumer",
        {
            "messages": 0.5,
            "login": 0.16,
            "app": 0.14,
            "pictures": 0.08,
            "video-calls": 0.06,
            "notifications": 0.06,
        },
        _US_HEAVY,
        "meta",
    ),
    ServiceSpec(
        "facebook",
        160,
        "consumer",
        {
            "feed": 0.34,
            "login": 0.26,
            "website": 0.12,
            "app": 0.1,
            "posting": 0.08,
            "pictures": 0.05,
            "notifications": 0.05,
        },
        _GLOBAL_APP,
        "meta",
        -0.05,
    ),
    ServiceSpec(
        "instagram",
        150,
        "consumer",
        {
            "feed": 0.36,
            "login": 0.2,
            "app": 0.14,
            "posting": 0.1,
            "messages": 0.1,
            "pictures": 0.05,
            "notifications": 0.05,
        },
        _GLOBAL_APP,
        "meta",
        0.08,
    ),
    ServiceSpec(
        "threads",
        18,
        "consumer",
        {"feed": 0.45, "posting": 0.2, "login": 0.15, "app": 0.12, "notifications": 0.08},
        _US_HEAVY,
        "meta",
        0.25,
    ),
    ServiceSpec(
        "youtube",
        130,
        "leisure",
        {"video-streaming": 0.52, "website": 0.14, "app": 0.14, "login": 0.08, "feed": 0.07, "search": 0.05},
        _GLOBAL_APP,
        "alphabet",
        0.03,
    ),
    ServiceSpec(
        "gmail",
        60,
        "business",
        {"login": 0.3, "receiving-email": 0.28, "sending-email": 0.2, "website": 0.12, "app": 0.1},
        _GLOBAL_APP,
        "alphabet",
    ),
    ServiceSpec(
        "outlook",
        55,
        "business",
        {"login": 0.34, "receiving-email": 0.26, "sending-email": 0.18, "website": 0.12, "app": 0.1},
        _US_HEAVY,
        "microsoft",
    ),
    ServiceSpec(
        "microsoft-teams",
        35,
        "business",
        {"login": 0.3, "video-calls": 0.26, "messages": 0.2, "server-connection": 0.14, "app": 0.1},
        _US_HEAVY,
        "microsoft",
        0.05,
    ),
    ServiceSpec(
        "xbox-live",
        35,
        "leisure",
        {
            "login": 0.34,
            "game-servers": 0.26,
            "server-connection": 0.2,
            "matchmaking": 0.12,
            "payments": 0.08,
        },
        _GAMING,
        "microsoft",
    ),
    ServiceSpec(
        "netflix",
        75,
        "leisure",
        {"video-streaming": 0.55, "login": 0.2, "app": 0.15, "website": 0.1},
        _US_HEAVY,
    ),
    ServiceSpec(
        "spotify",
        50,
        "consumer",
        {"music-playback": 0.5, "app": 0.22, "login": 0.14, "search": 0.07, "website": 0.07},
        _GLOBAL_APP,
        None,
        0.08,
    ),
    ServiceSpec(
        "discord",
        60,
        "leisure",
        {
            "server-connection": 0.38,
            "messages": 0.22,
            "login": 0.16,
            "app": 0.1,
            "video-calls": 0.08,
            "voice-messages": 0.06,
        },
        _GAMING,
        None,
        0.1,
    ),
    ServiceSpec(
        "telegram",
        45,
        "consumer",
        {
            "messages": 0.36,
            "server-connection": 0.3,
            "login": 0.12,
            "app": 0.1,
            "pictures": 0.06,
            "notifications": 0.06,
        },
        {
            "IN": 0.25,
            "BR": 0.15,
            "DE": 0.1,
            "US": 0.12,
            "NG": 0.08,
            "MX": 0.07,
            "ES": 0.08,
            "IT": 0.08,
            "GB": 0.07,
        },
    ),
    ServiceSpec(
        "signal",
        3,
        "consumer",
        {"messages": 0.45, "server-connection": 0.3, "app": 0.1, "login": 0.08, "video-calls": 0.07},
        {"US": 0.45, "DE": 0.2, "GB": 0.15, "FR": 0.1, "CA": 0.1},
    ),
    ServiceSpec(
        "slack",
        25,
        "business",
        {"messages": 0.4, "login": 0.2, "server-connection": 0.2, "app": 0.1, "notifications": 0.1},
        {"US": 0.6, "GB": 0.12, "CA": 0.08, "DE": 0.08, "FR": 0.05, "IN": 0.04, "AU": 0.03},
        None,
        0.03,
    ),
    ServiceSpec(
        "zoom",
        8,
        "business",
        {"video-calls": 0.52, "login": 0.18, "app": 0.12, "server-connection": 0.12, "website": 0.06},
        _US_HEAVY,
    ),
    ServiceSpec(
        "steam",
        40,
        "leisure",
        {
            "login": 0.3,
            "website": 0.12,
            "game-servers": 0.24,
            "app": 0.1,
            "payments": 0.08,
            "server-connection": 0.16,
        },
        _GAMING,
        None,
        0.05,
    ),
    ServiceSpec(
        "playstation-network",
        40,
        "leisure",
        {"login": 0.34, "game-servers": 0.28, "server-connection": 0.24, "payments": 0.06, "website": 0.08},
        _GAMING,
    ),
    ServiceSpec(
        "roblox",
        60,
        "leisure",
        {"game-servers": 0.4, "login": 0.28, "website": 0.1, "app": 0.14, "payments": 0.08},
        _GAMING,
        None,
        0.1,
    ),
    ServiceSpec(
        "chatgpt",
        90,
        "business",
        {"ai-responses": 0.48, "login": 0.2, "website": 0.16, "app": 0.12, "voice-messages": 0.04},
        _GLOBAL_APP,
        None,
        0.3,
    ),
    ServiceSpec(
        "paypal",
        30,
        "banking",
        {"payments": 0.42, "login": 0.3, "website": 0.12, "app": 0.1, "cards": 0.06},
        _US_HEAVY,
    ),
    ServiceSpec("chase", 12, "banking", _BANK, {"US": 0.97, "GB": 0.03}),
    ServiceSpec("barclays", 5, "banking", _BANK, {"GB": 0.96, "US": 0.04}),
    ServiceSpec("att", 35, "telecom", _MOBILE, {"US": 0.98, "MX": 0.02}, None, 0.0, "isp"),
    ServiceSpec("verizon", 30, "telecom", _MOBILE, {"US": 1.0}, None, 0.0, "isp"),
    ServiceSpec("t-mobile", 28, "telecom", _MOBILE, {"US": 1.0}, None, 0.02, "isp"),
    ServiceSpec(
        "comcast-xfinity",
        40,
        "telecom",
        {"internet": 0.46, "wifi": 0.2, "tv": 0.18, "phone-calls": 0.06, "outage": 0.1},
        {"US": 1.0},
        None,
        0.0,
        "isp",
    ),
    ServiceSpec(
        "vodafone", 18, "telecom", _MOBILE, {"GB": 0.42, "DE": 0.34, "ES": 0.12, "IT": 0.12}, None, 0.0, "isp"
    ),
    ServiceSpec("jio", 45, "telecom", _MOBILE, {"IN": 0.98, "GB": 0.01, "US": 0.01}, None, 0.1, "isp"),
    ServiceSpec("airtel", 28, "telecom", _MOBILE, {"IN": 0.97, "NG": 0.03}, None, 0.05, "isp"),
)

for _s in SERVICES:  # catch typos in the table above at import time
    assert abs(sum(_s.problems.values()) - 1) < 1e-6, _s.slug
    assert set(_s.regions) <= set(REGIONS), _s.slug
    assert _s.profile in PROFILES, _s.slug

SERVICES = tuple(
    ServiceSpec(
        s.slug, s.per_hour, s.profile, s.problems, _norm(s.regions), s.group, s.growth, s.kind, s.tags
    )
    for s in SERVICES
)


# ---- the long tail -----------------------------------------------------------

_CATALOG_FILE = Path(__file__).resolve().parents[1] / "reports" / "data" / "catalog.json"
_PROFILE_OF = {
    "messaging": "consumer",
    "social": "consumer",
    "shopping": "consumer",
    "search": "consumer",
    "music": "consumer",
    "video": "leisure",
    "gaming": "leisure",
    "email": "business",
    "productivity": "business",
    "cloud": "business",
    "ai": "business",
    "banking": "banking",
    "payments": "banking",
    "mobile": "telecom",
    "isp": "telecom",
}
_AUDIENCES = (_GLOBAL_APP, _US_HEAVY, _GAMING, _WHATSAPP)
# National services (banks, carriers, ISPs, shops) live in one country or two.
_NATIONAL = ("banking", "mobile", "isp")
# Invented national services, so that every region has a few quiet local series.
_LOCAL = (
    ("bank", "banking", ("login", "mobile-banking", "online-banking", "cards", "payments")),
    ("isp", "isp", ("internet", "wifi", "outage", "tv", "phone-calls")),
    ("delivery", "shopping", ("app", "login", "payments", "website")),
)


def _tail_service(
    rng: np.random.Generator, slug: str, category: str, problems: list[str], countries: Sequence[str] = ()
) -> ServiceSpec:
    # Log-uniform from 0.03 to 12 reports an hour, skewed towards the quiet end:
    # most catalog services are near-silent between their own outages.
    per_hour = float(0.03 * 400 ** (rng.random() ** 1.6))
    # The catalog names where a national service is offered; else one is drawn.
    homes = [c for c in countries if c in REGIONS]
    if category in _NATIONAL or homes:
        home = homes[0] if homes else str(rng.choice(REGIONS))
        regions = {home: 1.0}
        if rng.random() < 0.5:  # a neighbour or expatriates: a small second audience
            regions[str(rng.choice([r for r in REGIONS if r != home]))] = float(rng.uniform(0.01, 0.08))
    else:
        base = _AUDIENCES[int(rng.integers(len(_AUDIENCES)))]
        keep = sorted(base, key=base.get, reverse=True)[: int(rng.integers(3, len(base) + 1))]
        shares = np.array([base[r] for r in keep]) * rng.lognormal(0, 0.5, len(keep))
        regions = dict(zip(keep, (float(x) for x in shares)))
    weights = rng.dirichlet(np.ones(len(problems)) * 2.0)
    return ServiceSpec(
        slug,
        per_hour,
        _PROFILE_OF.get(category, "consumer"),
        dict(zip(problems, (float(w) for w in weights))),
        _norm(regions),
        growth=float(rng.uniform(-0.05, 0.2)),
        kind="isp" if category in ("isp", "mobile") else "app",
        tags=("tail",),
    )


def _tail() -> tuple[ServiceSpec, ...]:
    rng = np.random.default_rng(2025)  # fixed: the same catalog in every simulation
    known = {s.slug for s in SERVICES}
    others = [e for e in json.loads(_CATALOG_FILE.read_text())["services"] if e["slug"] not in known]
    # 200 services in all: an even sample of a longer catalog (worldwide apps first,
    # then each country's own), so that every kind and country stays in it.
    n = min(len(others), 200 - len(SERVICES))
    sample = [others[k * len(others) // n] for k in range(n)] if n > 0 else []
    tail = [
        _tail_service(rng, e["slug"], e["category"], e["problems"], e.get("countries") or ()) for e in sample
    ]
    i = 0
    while len(SERVICES) + len(tail) < 200:
        name, category, problems = _LOCAL[i % len(_LOCAL)]
        region = REGIONS[(i // len(_LOCAL)) % len(REGIONS)]
        spec = _tail_service(rng, f"{name}-{region.lower()}", category, list(problems))
        tail.append(replace(spec, regions={region: 1.0}))
        i += 1
    return tuple(tail)


TAIL: tuple[ServiceSpec, ...] = _tail()
CATALOG: tuple[ServiceSpec, ...] = SERVICES + TAIL
