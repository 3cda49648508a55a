"""Traffic that is not an outage, and a campaign that pretends to be one, for the
outage simulator. Pure (numpy only). Times are minutes since the simulation's start.

* ``holiday``: New Year's Eve. At local midnight, in every region, people message
  and post far more than on an ordinary night, and a few more of them report a
  problem as they always do: consumer services run 1.5-2x their usual level for
  about 40 minutes from a few minutes before midnight.
* ``match``: a football final on a Saturday evening in one or two countries:
  consumer and leisure services 1.2-1.6x for the two hours of the match.
* ``curiosity``: news says a service is down somewhere; people look, and some
  report from a service that is up: 1.4-2x, building over 10-30 minutes.
* ``campaign``: dozens of distinct fake reporters over an hour in one region,
  each filing several reports of the same problem type. Real people hit by an
  outage mostly report once; a campaign may reach "possible problems" at most.

A detector should raise nothing on the first three (a spike there is a false
alarm) and never "problems detected" on a campaign.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

import numpy as np

from lab.simulation_catalog import ServiceSpec
from lab.simulation_scenarios import EventSpec, _Calendar

SURGE_KINDS = ("holiday", "match", "curiosity")
DEFAULT_SURGE_COUNTS: dict[str, int] = {"curiosity": 3, "match": 1, "campaign": 2}
MATCH_COUNTRIES = ("GB", "ES", "IT", "DE", "FR", "BR")
KICK_OFF = 20 * 60  # local minutes


class Clock(Protocol):
    """What the planner needs to know about the simulation's clocks."""

    start: datetime
    regions: list[str]

    def minute_of_local(self, region: str, day: int, local_minute: float) -> float: ...


def surge_events(
    services: Sequence[ServiceSpec],
    minutes: int,
    warmup: int,
    rng: np.random.Generator,
    clock: Clock,
    calendar: _Calendar,
    counts: dict[str, int] | None = None,
) -> list[EventSpec]:
    """New Year's Eve (when the simulated weeks hold it), match days, curiosity
    surges and campaigns, after `warmup` and six hours before the end, on services
    the `calendar` leaves free (so that no surge lands on an outage)."""
    counts = {**DEFAULT_SURGE_COUNTS, **(counts or {})}
    lo, hi = float(warmup), float(minutes - 6 * 60)
    events: list[EventSpec] = []

    def add(ev: EventSpec) -> None:
        calendar.take(ev.service, ev.start, ev.last_minute)
        events.append(ev)

    def crowd(
        kind: str,
        region: str,
        at: float,
        length: float,
        profiles: tuple[str, ...],
        share: float,
        magnitude: tuple[float, float],
        ramp: float,
        plateau: float,
        fade: float,
    ) -> None:
        """Traffic of `kind` on every service of `profiles` with at least `share` of
        its reports from `region` (a holiday, a match: everyone is online at once)."""
        for svc in services:
            if svc.profile not in profiles or svc.regions.get(region, 0.0) < share:
                continue
            ev = EventSpec(
                kind,
                svc.slug,
                at,
                length,
                region=region,
                magnitude=float(rng.uniform(*magnitude)),
                ramp=ramp,
                plateau=plateau,
                fade=fade,
                tail=10.0,
            )
            if calendar.free(svc.slug, ev.start, ev.last_minute):
                add(ev)

    # New Year's Eve: the calendar day (counted from the start) that ends the year.
    start = clock.start
    first_day = (start.replace(month=12, day=31) - start).days
    for day in (first_day, first_day + 365):
        for region in clock.regions:
            midnight = clock.minute_of_local(region, day + 1, 0.0)
            if not lo <= midnight - 10 <= hi:
                continue
            crowd("holiday", region, midnight - 5.0, 45.0, ("consumer",), 0.02, (1.5, 2.0), 5.0, 0.5, 20.0)

    # A final on a Saturday evening, in one or two countries.
    days = range(int(lo // 1440), int(hi // 1440) + 1)
    saturdays = [d for d in days if (start + timedelta(days=d)).weekday() == 5]
    for _ in range(counts.get("match", 0)):
        if not saturdays:
            break
        day = int(rng.choice(saturdays))
        countries = rng.choice(MATCH_COUNTRIES, size=int(rng.integers(1, 3)), replace=False)
        for region in countries:
            kick_off = clock.minute_of_local(str(region), day, KICK_OFF)
            if not lo <= kick_off <= hi:
                continue
            crowd(
                "match",
                str(region),
                kick_off,
                110.0,
                ("consumer", "leisure"),
                0.03,
                (1.2, 1.6),
                15.0,
                0.8,
                60.0,
            )

    big = [s for s in services if s.per_hour >= 30]
    for _ in range(counts.get("curiosity", 0) if big else 0):
        for _attempt in range(50):
            svc = big[int(rng.integers(len(big)))]
            start_at = float(np.floor(rng.uniform(lo, hi)))
            home = max(svc.regions, key=svc.regions.__getitem__)
            ev = EventSpec(
                "curiosity",
                svc.slug,
                start_at,
                float(rng.uniform(30, 120)),
                region=None if rng.random() < 0.5 else home,
                magnitude=float(rng.uniform(1.4, 2.0)),
                ramp=float(rng.uniform(10, 30)),
                plateau=0.6,
                fade=40.0,
                tail=15.0,
            )
            if calendar.free(svc.slug, ev.start, ev.last_minute):
                add(ev)
                break

    # Campaigns target services of every size, but a small one is where they show.
    targets = [s for s in services if 1.0 <= s.per_hour <= 60]
    for _ in range(counts.get("campaign", 0) if targets else 0):
        for _attempt in range(50):
            svc = targets[int(rng.integers(len(targets)))]
            start_at = float(np.floor(rng.uniform(lo, hi)))
            reporters = int(rng.integers(24, 73))
            ev = EventSpec(
                "campaign",
                svc.slug,
                start_at,
                60.0,
                region=max(svc.regions, key=svc.regions.__getitem__),
                problems=(str(rng.choice(list(svc.problems))),),
                reporters=reporters,
                total_reports=int(reporters * rng.uniform(3, 6)),
            )
            if calendar.free(svc.slug, ev.start, ev.end + 60):
                calendar.take(svc.slug, ev.start, ev.end + 60)
                events.append(ev)
                break

    ordered = sorted(events, key=lambda e: (e.start, e.service or ""))
    return [replace(ev, id=f"{ev.kind[:4]}-{i:03d}") for i, ev in enumerate(ordered, 1)]


def campaign_rows(ev: EventSpec, rng: np.random.Generator, start_s: int) -> tuple[np.ndarray, np.ndarray]:
    """(unix seconds, reporter ids) of a campaign's ``total_reports``: every fake
    reporter files at least three, at random moments of the hour."""
    total = int(ev.total_reports or 3 * ev.reporters)
    per = 3 + rng.multinomial(total - 3 * ev.reporters, np.full(ev.reporters, 1.0 / ev.reporters))
    ids = rng.integers(1, 2**62, size=ev.reporters)
    times = rng.uniform(ev.start, ev.end, size=total) * 60
    return start_s + times.astype(np.int64), ids[np.repeat(np.arange(ev.reporters), per)]
