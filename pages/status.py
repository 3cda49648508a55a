"""What the service page says: the status banner, the most reported problems and
the regions, from spikes, per-minute counts and baselines (never raw reports).

Breakdowns over a day of counts are cached and refreshed in the background (see
cached_breakdown); the open spike's own breakdown is read fresh.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from django.core.cache import cache
from django.db.models import Sum

from reports.models import ProblemType, Service
from spikes.baselines import BUCKET_SECONDS
from spikes.detection import Profile
from spikes.models import (
    ALL_REGIONS,
    ConfirmedBy,
    Level,
    MinuteCount,
    SeriesBaseline,
    SeriesMinute,
    Spike,
    Verdict,
)
from spikes.timeseries import floor_to

logger = logging.getLogger(__name__)

BREAKDOWN_WINDOW = timedelta(hours=24)


@dataclass
class Banner:
    """The answer at the top of a service page."""

    level: str  # "danger", "warning" or "ok"
    spike: Spike | None = None
    # Open spikes of single regions, beside (or instead of) the all-regions one.
    regional: list[Spike] = field(default_factory=list)

    @property
    def confirmed_by_provider(self) -> bool:
        return bool(
            self.spike
            and self.spike.verdict == Verdict.CONFIRMED
            and self.spike.confirmed_by == ConfirmedBy.PROVIDER
        )

    @property
    def confirmed_by_staff(self) -> bool:
        return bool(
            self.spike
            and self.spike.verdict == Verdict.CONFIRMED
            and self.spike.confirmed_by == ConfirmedBy.STAFF
        )


def banner(service: Service) -> Banner:
    """From the service's open spikes: the all-regions one decides the level; open
    regional ones are named too, so an outage in one country is not lost in the total."""
    spikes = list(
        Spike.objects.open()
        .filter(service=service)
        .select_related("related_to__service")
        .order_by("region", "-started_at")
    )
    overall = next((s for s in spikes if s.region == ALL_REGIONS), None)
    regional = [s for s in spikes if s.region != ALL_REGIONS]
    if overall is not None:
        return Banner(overall.level, overall, regional)
    if regional:
        return Banner(Level.WARNING, None, regional)
    return Banner("ok")


@dataclass(frozen=True)
class Share:
    slug: str
    name: str
    share: float  # 0..1

    @property
    def percent(self) -> int:
        return round(self.share * 100)


# A day's breakdown barely moves in a few minutes, and a busy service's day is
# ~50,000 MinuteCount rows (120-340 ms on the 10 M benchmark). A page is served
# from the cache; a value older than BREAKDOWN_CACHE_SECONDS is still served while
# a Celery task computes the next one, so no reader waits for that query except
# the first one after the cache was emptied (or after BREAKDOWN_STALE_SECONDS
# without a visit).
BREAKDOWN_CACHE_SECONDS = 300
BREAKDOWN_STALE_SECONDS = 6 * 3600


def _breakdown_key(kind: str, service_id: int) -> str:
    return f"pages:{kind}:{service_id}"


def store_breakdown(kind: str, service: Service, now: datetime):
    """Compute a breakdown as of `now` and cache it; returns it."""
    value = BREAKDOWNS[kind](service, now)
    cache.set(_breakdown_key(kind, service.pk), (now, value), timeout=BREAKDOWN_STALE_SECONDS)
    return value


def cached_breakdown(kind: str, service: Service, now: datetime):
    """The cached breakdown, refreshed in the background once it is older than
    BREAKDOWN_CACHE_SECONDS; computed here only when there is none at all."""
    key = _breakdown_key(kind, service.pk)
    hit = cache.get(key)
    if hit is None:
        return store_breakdown(kind, service, now)
    computed_at, value = hit
    if now - computed_at >= timedelta(seconds=BREAKDOWN_CACHE_SECONDS) and cache.add(
        f"{key}:refreshing", 1, timeout=60
    ):
        from pages.tasks import refresh_breakdown  # the tasks module imports this one

        try:
            refresh_breakdown.apply_async((kind, service.pk), retry=False)
        except Exception:  # noqa: BLE001 - a broker outage must not fail a page; it stays stale
            logger.warning(
                "could not queue the %s breakdown refresh of %s", kind, service.slug, exc_info=True
            )
            cache.delete(f"{key}:refreshing")
    return value


def problem_shares(service: Service, now: datetime, spike: Spike | None = None) -> list[Share]:
    """The most reported problems, largest first: the open spike's breakdown while
    there is one (that is the story), else the last 24 hours of counts."""
    names = dict(ProblemType.objects.filter(services=service).values_list("slug", "name"))
    if spike is not None and spike.problems:
        shares = dict(spike.problems)
    else:
        shares = cached_breakdown("problems", service, now)
    return sorted(
        (
            Share(slug, names.get(slug, slug.replace("-", " ").capitalize()), share)
            for slug, share in shares.items()
        ),
        key=lambda s: (-s.share, s.name),
    )


def _problem_counts(service: Service, now: datetime) -> dict[str, float]:
    rows = (
        MinuteCount.objects.filter(service=service, minute__gte=now - BREAKDOWN_WINDOW, minute__lt=now)
        .values("problem__slug")
        .annotate(n=Sum("reporters"))
    )
    counts = {row["problem__slug"]: row["n"] for row in rows if row["n"]}
    total = sum(counts.values())
    return {slug: n / total for slug, n in counts.items()} if total else {}


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


def region_rows(service: Service, now: datetime, region_names: dict[str, str]) -> list[RegionRow]:
    """Distinct reporters per region over the last 24 hours beside what each
    region's baseline expected, for regions with any report."""
    raw = cached_breakdown("regions", service, now)
    return [RegionRow(code, region_names.get(code, code), n, expected) for code, n, expected in raw]


def _region_counts(service: Service, now: datetime) -> list[tuple[str, int, float | None]]:
    start = floor_to(now - BREAKDOWN_WINDOW, 60)
    end = floor_to(now, 60)
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
    for region, profile in SeriesBaseline.objects.filter(
        series__service=service, series__region__in=list(totals)
    ).values_list("series__region", "profile"):
        expected[region] = round(float(Profile.from_dict(profile).expected_many(minutes).sum()), 1)
    return [(code, int(n), expected.get(code)) for code, n in totals.items() if n]


# What cached_breakdown and pages.tasks.refresh_breakdown can compute, by kind.
BREAKDOWNS = {"problems": _problem_counts, "regions": _region_counts}
