"""The service page's breakdowns: the most reported problems, and the regions (or a
country's subdivisions) against their usual level, computed from per-minute counts
and baselines (never raw reports) and kept in the shared cache.

store_breakdown computes one and caches it: the Celery task pages.tasks.refresh_breakdown
runs it in a worker, and pages.servicepage reads the cache, refreshing it in the
background once a value is older than its freshness.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.core.cache import cache
from django.db.models import Sum

from reports.models import Service
from spikes.fitting import BUCKET_SECONDS, stored_profile, stored_profiles
from spikes.models import ALL_REGIONS, MinuteCount, Series, SeriesMinute, SubdivisionMinute
from spikes.timeseries import counted_edge

BREAKDOWN_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Share:
    slug: str
    name: str
    share: float  # 0..1

    @property
    def percent(self) -> int:
        return round(self.share * 100)


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    reporters: int
    expected: float | None

    @property
    def ratio(self) -> float | None:
        """Reporters against expected; None without a baseline."""
        if self.expected is None:
            return None
        return self.reporters / max(self.expected, 1.0)

    @property
    def shade(self) -> str:
        """The map's colour class: how far above its usual level the region is."""
        if self.reporters == 0:
            return "r0"
        ratio = self.ratio
        if ratio is None:
            return "rn"
        if ratio < 1.5:
            return "r1"
        if ratio < 3:
            return "r2"
        if ratio < 10:
            return "r3"
        return "r4"


REGION_SORTS = {
    "reports": lambda r: (-r.reporters, r.name),
    "ratio": lambda r: (-(r.ratio if r.ratio is not None else -1), -r.reporters, r.name),
    "name": lambda r: r.name,
}
# The windows the map and the region table can cover: the last hour by default,
# so that an outage of the last minutes shows (over a day, a nine-country outage
# of twenty minutes still read "usual level" everywhere).
MAP_WINDOWS = {"15m": timedelta(minutes=15), "1h": timedelta(hours=1), "24h": timedelta(hours=24)}
DEFAULT_MAP_WINDOW = "1h"
MAP_WINDOW_WORDS = {"15m": "15 minutes", "1h": "hour", "24h": "24 hours"}


# A day's breakdown barely moves in a few minutes, and a busy service's day is
# ~50,000 MinuteCount rows (120-340 ms on the 10 M benchmark). A page is served
# from the cache; a value older than its `fresh` age is still served while a
# Celery task computes the next one, so no reader waits for the query except the
# first one after the cache was emptied, or after `stale` seconds (the workers
# are down, or nobody looked). The cache must be one all processes share (Redis,
# or the file cache of the embedded default; see settings): the task runs in a
# worker, the page in a web process.
@dataclass(frozen=True)
class Freshness:
    fresh: int  # seconds a value is served as it is
    stale: int  # seconds it may be served while its refresh is under way


# Counts change once a minute: the map of the last hour is refreshed every minute
# and never shown more than five minutes old; the day's breakdowns every five.
LIVE = Freshness(fresh=60, stale=300)
DAILY = Freshness(fresh=300, stale=6 * 3600)
# The usual shares of a country's subdivisions (a week of counts): hourly is plenty.
WEEKLY = Freshness(fresh=3600, stale=24 * 3600)


def breakdown_key(kind: str, service_id: int) -> str:
    return f"pages:{kind}:{service_id}"


def breakdown_kind(kind: str):
    """(compute(service, now), freshness) of a kind of breakdown: one of BREAKDOWNS
    ("problems", "regions-1h"), or one of a country's, "<kind>@<ISO code>"
    ("problems@BR", "subdivisions-1h@DE"; COUNTRY_BREAKDOWNS)."""
    name, _, country = kind.partition("@")
    if not country:
        return BREAKDOWNS[name]
    compute, freshness = COUNTRY_BREAKDOWNS[name]
    return (lambda service, now: compute(service, now, country)), freshness


def store_breakdown(kind: str, service: Service, now: datetime):
    """Compute a breakdown as of `now` and cache it; returns it."""
    compute, freshness = breakdown_kind(kind)
    value = compute(service, now)
    cache.set(breakdown_key(kind, service.pk), (now, value), timeout=freshness.stale)
    return value


def current_breakdown(kind: str, service: Service, now: datetime):
    """The cached breakdown while it is fresh, else computed and cached here: for a
    breakdown that needs another one (a subdivision's usual share), where it is
    computed (in a worker's refresh, or for the first reader after the cache was
    emptied). The pages read theirs through pages.servicepage.cached_breakdown, which
    has a worker refresh it instead."""
    hit = cache.get(breakdown_key(kind, service.pk))
    if hit is None or now - hit[0] >= timedelta(seconds=breakdown_kind(kind)[1].fresh):
        return store_breakdown(kind, service, now)
    return hit[1]


def _problem_counts(service: Service, now: datetime, country: str = ALL_REGIONS) -> dict[str, float]:
    counts = MinuteCount.objects.filter(service=service, minute__gte=now - BREAKDOWN_WINDOW, minute__lt=now)
    if country:
        counts = counts.filter(region=country)
    rows = counts.values("problem__slug").annotate(n=Sum("reporters"))
    counts = {row["problem__slug"]: row["n"] for row in rows if row["n"]}
    total = sum(counts.values())
    return {slug: n / total for slug, n in counts.items()} if total else {}


def _region_counts(service: Service, now: datetime, window: timedelta) -> list[tuple[str, int, float | None]]:
    end = counted_edge(now, 60)
    start = end - window
    totals = dict(
        SeriesMinute.objects.filter(series__service=service, minute__gte=start, minute__lt=end)
        .exclude(series__region=ALL_REGIONS)
        .values("series__region")
        .annotate(n=Sum("reporters"))
        .values_list("series__region", "n")
    )
    minutes = start.timestamp() + BUCKET_SECONDS * np.arange(
        int((end - start).total_seconds()) // 60, dtype=float
    )
    expected: dict[str, float] = {}
    regional = list(Series.objects.filter(service=service, region__in=list(totals)))
    for series, profile in zip(regional, stored_profiles(regional).values()):
        if profile is not None:
            expected[series.region] = round(float(profile.expected_many(minutes).sum()), 1)
    return [(code, int(n), expected.get(code)) for code, n in totals.items() if n]


def _regions_over(window: timedelta):
    return lambda service, now: _region_counts(service, now, window)


def subdivisions_between(
    service: Service, country: str, start: datetime, end: datetime
) -> list[tuple[str, int, float | None]]:
    """(subdivision, distinct reporters, expected) over [start, end): what a spike
    page shows for its country. Expected as in subdivision_rows."""
    totals = dict(
        SubdivisionMinute.objects.filter(service=service, region=country, minute__gte=start, minute__lt=end)
        .values("subdivision")
        .annotate(n=Sum("reporters"))
        .values_list("subdivision", "n")
    )
    expected_total = _expected_between(service, country, start, end)
    shares = current_breakdown(f"usual-shares@{country}", service, end) if expected_total is not None else {}
    return [
        (code, int(n), round(expected_total * shares[code], 1) if code in shares else None)
        for code, n in totals.items()
        if n
    ]


def _expected_between(service: Service, country: str, start: datetime, end: datetime) -> float | None:
    profile = stored_profile(Series.objects.filter(service=service, region=country).first())
    if profile is None:
        return None
    minutes = start.timestamp() + BUCKET_SECONDS * np.arange(
        int((end - start).total_seconds()) // BUCKET_SECONDS, dtype=float
    )
    return float(profile.expected_many(minutes).sum())


# The usual shares are learned from a week of counts ending a day ago: long enough
# for a quiet subdivision to show, short enough to follow a service that grows
# somewhere, and clear of an outage of the last hours (which would make its own
# subdivision look usual).
USUAL_SHARE_HISTORY = timedelta(days=7)
USUAL_SHARE_GAP = timedelta(days=1)


def _usual_shares(service: Service, now: datetime, country: str) -> dict[str, float]:
    """{subdivision: its share of the country's distinct reporters} over the week
    ending a day before `now`, out of all the country's reporters (most name no
    subdivision), so that shares times the country's expected level give each
    subdivision's."""
    end = counted_edge(now, 60) - USUAL_SHARE_GAP
    start = end - USUAL_SHARE_HISTORY
    country_total = (
        SeriesMinute.objects.filter(
            series__service=service, series__region=country, minute__gte=start, minute__lt=end
        ).aggregate(n=Sum("reporters"))["n"]
        or 0
    )
    if not country_total:
        return {}
    rows = (
        SubdivisionMinute.objects.filter(service=service, region=country, minute__gte=start, minute__lt=end)
        .values("subdivision")
        .annotate(n=Sum("reporters"))
        .values_list("subdivision", "n")
    )
    return {code: n / country_total for code, n in rows if n}


def _subdivisions_over(window: timedelta):
    def compute(service: Service, now: datetime, country: str) -> list[tuple[str, int, float | None]]:
        end = counted_edge(now, 60)
        return subdivisions_between(service, country, end - window, end)

    return compute


# What pages.servicepage.cached_breakdown and pages.tasks.refresh_breakdown can compute, by kind,
# with how fresh each must be.
BREAKDOWNS = {
    "problems": (_problem_counts, DAILY),
    **{
        f"regions-{name}": (_regions_over(span), LIVE if span <= timedelta(hours=1) else DAILY)
        for name, span in MAP_WINDOWS.items()
    },
}
# The same for one country's reports: cached_breakdown("subdivisions-1h@DE", ...).
COUNTRY_BREAKDOWNS = {
    "problems": (_problem_counts, DAILY),
    "usual-shares": (_usual_shares, WEEKLY),
    **{
        f"subdivisions-{name}": (_subdivisions_over(span), LIVE if span <= timedelta(hours=1) else DAILY)
        for name, span in MAP_WINDOWS.items()
    },
}
