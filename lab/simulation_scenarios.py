"""Injected events for the outage simulator: their description, their report
curve, and the default schedule of ~45 outages plus the things that must not fire
(traffic surges and campaigns are planned in lab/simulation_surges.py).

Pure (numpy only). Times are minutes since the start of the simulation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from lab.simulation_catalog import ServiceSpec

OUTAGE_KINDS = ("global", "regional", "partial", "group", "small", "short", "slow", "night", "mild")
NON_EVENT_KINDS = ("bombing", "intake_gap", "campaign")

# Default number of outages of each kind; "group" counts events, each of which
# takes down every service of a group (Meta first, then Google or Microsoft).
DEFAULT_COUNTS: dict[str, int] = {
    "global": 7,
    "regional": 6,
    "partial": 4,
    "group": 2,
    "small": 4,
    "short": 4,
    "slow": 3,
    # A country that sends a service one or two percent of its reports, at local
    # night: 25 to 50 people in an hour where about two are usual.
    "night": 4,
    # Outages of only 2.5 to 4 times the usual level.
    "mild": 4,
}
# "night" outages: the country's share of the service, and its local hours.
NIGHT_SHARE = (0.008, 0.03)
NIGHT_HOURS = (0.0, 5.0)
GROUPS_BY_PRIORITY = ("meta", "alphabet", "microsoft")
# An outage nobody reports is not an outage a crowdsourced tracker can know of:
# scheduled outages add at least this many reports per minute at their peak
# (a 20x outage of a service with 0.01 reports/min in that country at 4am is not one).
MIN_PEAK_EXTRA_PER_MIN = 2.0


@dataclass(frozen=True)
class EventSpec:
    """One injected event. `start` is minutes since the simulation's start.

    magnitude: peak report rate as a multiple of the usual rate (so 10 adds 9x
    the expected background at the peak), ignored when `total_reports` is set
    (small-service outages and bombing are described by how many reports they add).
    """

    kind: str
    service: str | None
    start: float
    duration: float  # minutes until the cause is fixed (reports then decay)
    region: str | None = None
    magnitude: float = 10.0
    ramp: float = 3.0  # minutes from onset to peak
    problems: tuple[str, ...] = ()  # partial: the problem types the extra reports name
    group: str | None = None
    id: str | None = None
    related_to: str | None = None  # sympathetic: the outage this echoes
    total_reports: int | None = None
    reporters: int = 1  # bombing: how many ids send all the reports
    plateau: float = 0.6  # share of the peak rate still reported late in a long outage
    fade: float = 60.0  # minutes over which reporting fades to the plateau
    tail: float = 6.0  # minutes of exponential decay after the fix

    @property
    def end(self) -> float:
        return self.start + self.duration

    @property
    def last_minute(self) -> float:
        """When the event stops adding reports (its decay has died out)."""
        return self.end + 5 * self.tail if self.kind not in NON_EVENT_KINDS else self.end


def outage_shape(ev: EventSpec, minutes: np.ndarray) -> np.ndarray:
    """Relative report rate (peak = 1) at `minutes` since the simulation start.

    Real report curves rise as people notice, peak, then sag while the outage
    lasts (the news spreads, people give up reporting), and decay over a few
    minutes once service is back.
    """
    t = minutes + 0.5 - ev.start  # the middle of each minute
    x = np.clip(t / max(ev.ramp, 0.5), 0.0, 1.0)
    if ev.kind == "slow":
        rise = x * x * (3 - 2 * x)  # smoothstep: builds slowly then accelerates
    else:
        rise = (1 - np.exp(-3.0 * x)) / (1 - np.exp(-3.0))
    sag = ev.plateau + (1 - ev.plateau) * np.exp(-np.clip(t - ev.ramp, 0, None) / ev.fade)
    decay = np.exp(-np.clip(t - ev.duration, 0, None) / ev.tail)
    shape = rise * sag * decay
    shape[(t < 0) | (t > ev.duration + 5 * ev.tail)] = 0.0
    return shape


class _Calendar:
    """Which (service, time) slots are taken, so events don't pile on each other."""

    def __init__(self, gap: float) -> None:
        self.gap = gap
        self.busy: dict[str | None, list[tuple[float, float]]] = {}

    def free(self, service: str | None, start: float, end: float) -> bool:
        for key in (service, None) if service is not None else tuple(self.busy):
            for a, b in self.busy.get(key, ()):
                if start < b + self.gap and a < end + self.gap:
                    return False
        return True

    def take(self, service: str | None, start: float, end: float) -> None:
        self.busy.setdefault(service, []).append((start, end))


def _loguniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _small_region(rng: np.random.Generator, svc: ServiceSpec) -> str | None:
    """A country that sends the service only one or two percent of its reports."""
    options = [r for r, s in svc.regions.items() if NIGHT_SHARE[0] <= s <= NIGHT_SHARE[1]]
    return str(rng.choice(options)) if options else None


def _big_region(rng: np.random.Generator, svc: ServiceSpec) -> str | None:
    """A country with a real share of the service's users (regional outages)."""
    options = [(r, s) for r, s in svc.regions.items() if s >= 0.07 and svc.per_hour * s >= 2.5]
    if not options:
        return None
    codes, shares = zip(*options)
    return str(rng.choice(codes, p=np.array(shares) / sum(shares)))


def _outage(kind: str, svc: ServiceSpec, start: float, rng: np.random.Generator, **overrides) -> EventSpec:
    """A random outage of `kind` on `svc`, with realistic size and timing."""
    ramp = float(rng.uniform(2, 5))
    duration = _loguniform(rng, 30, 300)
    magnitude = _loguniform(rng, 3, 50)
    problems: tuple[str, ...] = ()
    total = None
    if kind == "short":
        duration, magnitude = float(rng.uniform(8, 15)), _loguniform(rng, 6, 30)
    elif kind == "slow":
        ramp, duration, magnitude = (
            float(rng.uniform(30, 60)),
            _loguniform(rng, 90, 300),
            _loguniform(rng, 4, 20),
        )
    elif kind == "small":
        duration, total = float(rng.uniform(12, 30)), int(rng.integers(30, 101))
    elif kind == "partial":
        magnitude = _loguniform(rng, 4, 15)
        n = int(rng.integers(1, 3))
        problems = tuple(str(p) for p in rng.choice(list(svc.problems), size=n, replace=False))
    elif kind == "regional":
        magnitude = _loguniform(rng, 5, 40)
    elif kind == "mild":
        magnitude, duration = float(rng.uniform(2.5, 4.0)), _loguniform(rng, 30, 240)
    elif kind == "night":
        duration, total = float(rng.uniform(45, 75)), int(rng.integers(25, 51))
        ramp = float(rng.uniform(3, 10))
    spec = EventSpec(
        kind=kind,
        service=svc.slug,
        start=start,
        duration=duration,
        magnitude=magnitude,
        ramp=ramp,
        problems=problems,
        total_reports=total,
        plateau=float(rng.uniform(0.35, 0.85)),
        fade=float(rng.uniform(30, 120)),
        tail=float(rng.uniform(3, 10)),
    )
    return replace(spec, **overrides)


def default_events(
    services: Sequence[ServiceSpec],
    minutes: int,
    warmup: int,
    rng: np.random.Generator,
    counts: dict[str, int] | None = None,
    bombings: int = 3,
    intake_gaps: int = 2,
    usual_rate: Callable[[EventSpec], float] | None = None,
    calendar: _Calendar | None = None,
    local_hour: Callable[[str, float], float] | None = None,
) -> list[EventSpec]:
    """A schedule of outages, sympathetic bumps, bombing and intake gaps.

    Everything lands after `warmup` (a baseline needs history) and at least six
    hours before the end (so the last outage plays out). Outages on one service
    are a day apart; intake gaps keep two hours clear of any outage so that a
    spike near them can only be a false alarm. `usual_rate(ev)` (reports per
    minute without the event, over its regions, at its peak) lets the
    schedule skip moments when too few people are awake to notice an outage.
    `calendar` (shared with the caller's other events) keeps events on one service
    apart; `local_hour(region, minute)` places "night" outages at local night.
    """

    def visible(ev: EventSpec) -> bool:
        if usual_rate is None or ev.total_reports:
            return True
        return (ev.magnitude - 1) * usual_rate(ev) >= MIN_PEAK_EXTRA_PER_MIN

    def made_visible(ev: EventSpec) -> EventSpec:
        """Scale a group member up if its users are asleep: the root cause is shared."""
        if visible(ev) or usual_rate is None:
            return ev
        return replace(ev, magnitude=min(1 + MIN_PEAK_EXTRA_PER_MIN / max(usual_rate(ev), 1e-3), 100.0))

    counts = {**DEFAULT_COUNTS, **(counts or {})}
    by_slug = {s.slug: s for s in services}
    lo, hi = float(warmup), float(minutes - 6 * 60)
    if hi <= lo:
        raise ValueError("the simulation is too short for events after the warm-up")
    cal = calendar if calendar is not None else _Calendar(gap=24 * 60)
    events: list[EventSpec] = []

    def place(service: str | None, length: float, tries: int = 500) -> float | None:
        for _ in range(tries):
            start = float(np.floor(rng.uniform(lo, hi)))
            if cal.free(service, start, start + length):
                return start
        return None

    groups = [g for g in GROUPS_BY_PRIORITY if sum(s.group == g for s in services) >= 2]
    for i in range(counts.get("group", 0)):
        if not groups:
            break
        group = groups[0] if i == 0 else str(rng.choice(groups[1:] or groups))
        members = [s for s in services if s.group == group]
        base = _outage("global", members[0], 0.0, rng)
        starts = [place(s.slug, base.duration + 60) for s in members[:1]]
        if starts[0] is None:
            continue
        t0 = starts[0]
        if not all(cal.free(s.slug, t0, t0 + base.duration + 65) for s in members):
            continue
        for s in members:
            # One root cause: onsets within a few minutes, similar durations,
            # but each app's users notice (and report) at their own rate.
            ev = made_visible(
                _outage(
                    "group",
                    s,
                    t0 + float(rng.integers(0, 5)),
                    rng,
                    group=group,
                    duration=base.duration * float(rng.uniform(0.9, 1.1)),
                    magnitude=_loguniform(rng, 6, 40),
                )
            )
            cal.take(s.slug, ev.start, ev.last_minute)
            events.append(ev)

    def eligible(kind: str) -> list[ServiceSpec]:
        if kind == "small":
            return [s for s in services if s.per_hour <= 12]
        if kind == "regional":
            return [s for s in services if max(s.regions.values()) < 0.9 and _big_region(rng, s)]
        if kind == "short":
            return [s for s in services if s.per_hour >= 35]
        if kind == "night":
            return [
                s for s in services if any(NIGHT_SHARE[0] <= v <= NIGHT_SHARE[1] for v in s.regions.values())
            ]
        return [s for s in services if s.per_hour >= 15]

    def at_night(ev: EventSpec) -> bool:
        if ev.kind != "night" or local_hour is None:
            return True
        return NIGHT_HOURS[0] <= local_hour(ev.region, ev.start) < NIGHT_HOURS[1]  # type: ignore[arg-type]

    for kind in ("global", "regional", "partial", "small", "short", "slow", "night", "mild"):
        pool = eligible(kind)
        for _ in range(counts.get(kind, 0)):
            if not pool:
                break
            for attempt in range(50):
                svc = pool[int(rng.integers(len(pool)))]
                ev = _outage(kind, svc, 0.0, rng)
                start = place(svc.slug, ev.last_minute - ev.start, tries=20)
                if start is None:
                    continue
                region = {"regional": _big_region, "night": _small_region}.get(kind, lambda *_: None)(
                    rng, svc
                )
                ev = replace(ev, start=start, region=region)
                if not at_night(ev):
                    continue
                if not visible(ev) and attempt < 40:
                    continue  # try another moment (or service) when people are awake
                ev = made_visible(ev)
                cal.take(svc.slug, ev.start, ev.last_minute)
                events.append(ev)
                break

    events.sort(key=lambda e: (e.start, e.service or ""))
    events = [replace(ev, id=f"out-{i:02d}") for i, ev in enumerate(events, 1)]

    # Sympathetic reports: when a big app fails, some people blame their ISP or
    # carrier; when a carrier fails, people also report its competitors.
    isps = [s for s in services if s.kind == "isp"]
    extra: list[EventSpec] = []
    for ev in events:
        parent = by_slug[ev.service]  # type: ignore[index]
        quiet_kinds = ("small", "partial", "short", "night", "mild")
        if ev.kind in quiet_kinds or (parent.per_hour < 100 and parent.kind != "isp"):
            continue
        for isp in isps:
            if isp.slug == ev.service or rng.random() > 0.5:
                continue
            home = max(isp.regions, key=isp.regions.__getitem__)
            if ev.region not in (None, home) or home not in parent.regions:
                continue
            if not cal.free(isp.slug, ev.start, ev.last_minute):
                continue
            extra.append(
                replace(
                    ev,
                    kind="sympathetic",
                    service=isp.slug,
                    region=home,
                    magnitude=float(rng.uniform(1.3, 3.0)),
                    related_to=ev.id,
                    id=f"sym-{len(extra) + 1:02d}",
                    group=None,
                    problems=(),
                    total_reports=None,
                )
            )
            cal.take(isp.slug, ev.start, ev.last_minute)

    for i in range(bombings):
        svc = services[int(rng.integers(len(services)))]
        length = float(rng.uniform(30, 90))
        start = place(svc.slug, length)
        if start is None:
            continue
        cal.take(svc.slug, start, start + length)
        # A lone troll, or a handful of friends/bots; hundreds of reports in an hour.
        who = 1 if i % 2 == 0 else int(rng.integers(3, 6))
        home = max(svc.regions, key=svc.regions.__getitem__)
        region = home if rng.random() < 0.6 else (_big_region(rng, svc) or home)
        extra.append(
            EventSpec(
                "bombing",
                svc.slug,
                start,
                length,
                region=region,
                total_reports=int(rng.integers(150, 600)),
                reporters=who,
                id=f"bomb-{i + 1:02d}",
            )
        )

    outage_cal = _Calendar(gap=120)
    for ev in events:
        outage_cal.take(None, ev.start, ev.last_minute)
    for i in range(intake_gaps):
        length = float(rng.integers(20, 61))
        for _ in range(500):
            start = float(np.floor(rng.uniform(lo, hi)))
            if outage_cal.free(None, start, start + length):
                outage_cal.take(None, start, start + length)
                extra.append(EventSpec("intake_gap", None, start, length, id=f"gap-{i + 1:02d}"))
                break
    return sorted(events + extra, key=lambda e: (e.start, e.id or ""))
