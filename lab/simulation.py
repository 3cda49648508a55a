"""Outage simulator: a reports CSV with its ground truth, for backtesting spike detection.

Pure Python + numpy (no Django), so it runs anywhere and in tests.

    sim = simulate(SimulationConfig(), seed=1)
    write_reports_csv(sim, "reports.csv")   # created_at,service,region,problem,reporter
    write_truth_json(sim, "truth.json")

Background reports are drawn per (service, region, minute) from a gamma-Poisson
(negative binomial) whose mean follows the daily cycle in the region's local time,
the weekly cycle, the service's growth, and a slowly wandering level. Injected
events (lab/simulation_scenarios.py: outages, sympathetic bumps, bombing, intake gaps;
lab/simulation_surges.py: holiday and match-day traffic, curiosity surges, coordinated
campaigns) add reports on top; an intake gap removes every report in its window. Rows
are produced a day at a time from per-day seeds, so iterating twice gives the same rows
and memory stays flat.

Clocks: "real" (the default) moves each region's daily cycle with its zone's
daylight-saving changes (REGION_ZONES); "fixed" keeps one UTC offset all year
(REGION_OFFSETS), the kind of data a feed on fixed offsets gives.

Command line: python -m lab.simulation --out /tmp/sim [--seed 1 --weeks 6 --scale 1
    --start 2024-12-09 --clocks real]
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from scipy.signal import lfilter

from lab.simulation_catalog import CATALOG, PROFILES, REGION_OFFSETS, REGION_ZONES, REGIONS, ServiceSpec
from lab.simulation_scenarios import (
    NON_EVENT_KINDS,
    OUTAGE_KINDS,
    EventSpec,
    _Calendar,
    default_events,
    outage_shape,
)
from lab.simulation_surges import SURGE_KINDS, campaign_rows, surge_events

CSV_HEADER = ("created_at", "service", "region", "problem", "reporter")
_LEVEL_BLOCK = 10  # minutes per step of the slowly varying level


@dataclass
class SimulationConfig:
    # A Monday, midnight UTC; six weeks from it hold New Year's Eve after the warm-up.
    start: datetime = datetime(2024, 12, 9, tzinfo=UTC)
    weeks: float = 6
    warmup_weeks: float = 2  # no events before this: a baseline needs history
    services: Sequence[ServiceSpec] = CATALOG
    clocks: str = "real"  # "real": daylight saving per REGION_ZONES; "fixed": REGION_OFFSETS
    scale: float = 1.0  # multiplies every service's volume
    events: Sequence[EventSpec] | None = None  # None: a random default schedule
    outage_counts: dict[str, int] | None = None  # per kind, for the default schedule
    bombings: int = 3
    intake_gaps: int = 2
    surge_counts: dict[str, int] | None = None  # curiosity surges, match days, campaigns
    # Gamma shape of the per-minute noise: variance = mean + mean^2 / dispersion.
    dispersion: float = 8.0
    event_dispersion: float = 4.0  # outage reports come in bursts (news, social posts)
    level_sd: float = 0.15  # log-sd of the slowly wandering level (hours-long swings)
    level_hours: float = 4.0  # correlation time of that level
    repeat_rate: float = 0.02  # share of ordinary reporters who report again within 15 min
    outage_repeat_rate: float = 0.06  # frustrated users repeat more during outages


@dataclass
class ReportChunk:
    """A time-ordered block of reports as parallel arrays (indices into the vocabularies)."""

    ts: np.ndarray  # int64 unix seconds
    service: np.ndarray
    region: np.ndarray
    problem: np.ndarray
    reporter: np.ndarray  # int64, shown as 16 hex digits
    services: Sequence[str]
    regions: Sequence[str]
    problems: Sequence[str]

    def __len__(self) -> int:
        return len(self.ts)

    def columns(self) -> tuple[list[str], ...]:
        """The five CSV columns as lists of strings (vectorised: this is the hot path)."""
        stamps = np.datetime_as_string(self.ts.astype("datetime64[s]"), unit="s")
        return (
            [s + "Z" for s in stamps.tolist()],
            np.asarray(self.services, dtype=object)[self.service].tolist(),
            np.asarray(self.regions, dtype=object)[self.region].tolist(),
            np.asarray(self.problems, dtype=object)[self.problem].tolist(),
            [f"{r:016x}" for r in self.reporter.tolist()],
        )

    def rows(self) -> Iterator[tuple[str, str, str, str, str]]:
        return zip(*self.columns())


def _cyclic_profile(profile: str) -> np.ndarray:
    """Relative usage for each local minute of the day, mean 1."""
    p = PROFILES[profile]
    hours = np.arange(1440) / 60.0
    curve = np.full(1440, p.floor)
    for centre, width, weight in p.bumps:
        d = np.abs(hours - centre)
        d = np.minimum(d, 24 - d)  # the day wraps around midnight
        curve += weight * np.exp(-0.5 * (d / width) ** 2)
    return curve / curve.mean()


class Simulation:
    """A planned simulation: ground truth up front, report rows on demand."""

    def __init__(self, config: SimulationConfig, seed: int) -> None:
        self.config, self.seed = config, seed
        self.start = config.start.astimezone(UTC)
        self.minutes = int(round(config.weeks * 7 * 1440))
        self.warmup = int(round(config.warmup_weeks * 7 * 1440))
        self.end = self.start + timedelta(minutes=self.minutes)
        self.warmup_until = self.start + timedelta(minutes=self.warmup)
        self._start_s = int(self.start.timestamp())
        svcs = list(config.services)
        self.services = [s.slug for s in svcs]
        self._spec = {s.slug: s for s in svcs}
        self.regions = list(REGIONS)
        self.problems = sorted({p for s in svcs for p in s.problems})
        S, R = len(svcs), len(self.regions)
        pidx = {p: i for i, p in enumerate(self.problems)}

        self._per_min = np.array([s.per_hour / 60.0 * config.scale for s in svcs])
        self._share = np.array([[s.regions.get(r, 0.0) for r in self.regions] for s in svcs])
        self._growth = np.array([s.growth for s in svcs])
        profiles = sorted(PROFILES)
        self._profile_idx = np.array([profiles.index(s.profile) for s in svcs])
        self._daily = np.stack([_cyclic_profile(p) for p in profiles])  # (P, 1440)
        weekly = np.array([PROFILES[p].weekdays for p in profiles])
        self._weekly = weekly / weekly.mean(axis=1, keepdims=True)  # (P, 7)
        self._offsets = self._offset_table(config.clocks)  # (R, hours) minutes
        # Problem sampling: each service's cumulative shares, padded, and the map
        # from its local problem index to the global vocabulary.
        width = max(len(s.problems) for s in svcs)
        self._cum = np.ones((S, width))
        self._pmap = np.zeros((S, width), dtype=np.int16)
        for i, s in enumerate(svcs):
            shares = np.array(list(s.problems.values()))
            self._cum[i, : len(shares)] = np.cumsum(shares) / shares.sum()
            self._pmap[i, : len(shares)] = [pidx[p] for p in s.problems]
            self._pmap[i, len(shares) :] = self._pmap[i, len(shares) - 1]

        plan_rng = np.random.default_rng([seed, 0])
        # Slowly wandering level: an AR(1) in log space per service (news, app
        # releases, the weather) and a smaller one per service and region.
        blocks = self.minutes // _LEVEL_BLOCK + 2
        phi = np.exp(-_LEVEL_BLOCK / (config.level_hours * 60))

        def ar(shape: tuple[int, ...], sd: float) -> np.ndarray:
            e = plan_rng.normal(0, sd * np.sqrt(1 - phi**2), shape)
            e[..., 0] /= np.sqrt(1 - phi**2)  # start in the stationary distribution
            return lfilter([1.0], [1.0, -phi], e, axis=-1).astype(np.float32)

        self._level = ar((S, blocks), config.level_sd)[:, None, :] + ar((S, R, blocks), config.level_sd * 0.6)

        if config.events is None:
            calendar = _Calendar(gap=24 * 60)
            events = default_events(
                svcs,
                self.minutes,
                self.warmup,
                plan_rng,
                config.outage_counts,
                config.bombings,
                config.intake_gaps,
                self._usual_rate,
                calendar=calendar,
                local_hour=self.local_hour,
            )
            events += surge_events(
                svcs, self.minutes, self.warmup, plan_rng, self, calendar, config.surge_counts
            )
            events.sort(key=lambda e: (e.start, e.id or ""))
        else:
            events = [
                ev if ev.id else replace(ev, id=f"ev-{i + 1:02d}") for i, ev in enumerate(config.events)
            ]
        self.events = events
        self._plan_events(events, plan_rng)

    # -- clocks -------------------------------------------------------------

    def _offset_table(self, clocks: str) -> np.ndarray:
        """Each region's UTC offset in minutes for every UTC hour of the simulation."""
        hours = self.minutes // 60 + 2
        if clocks == "fixed":
            return np.repeat(np.array([REGION_OFFSETS[r] for r in self.regions])[:, None], hours, axis=1)
        if clocks != "real":
            raise ValueError(f"clocks must be 'real' or 'fixed', not {clocks!r}")
        instants = [self.start + timedelta(hours=h) for h in range(hours)]
        return np.array(
            [
                [
                    int(t.astimezone(ZoneInfo(REGION_ZONES[r])).utcoffset().total_seconds() // 60)
                    for t in instants
                ]
                for r in self.regions
            ]
        )

    def _offset_at(self, r: int, minute: float) -> int:
        return int(self._offsets[r, min(max(int(minute // 60), 0), self._offsets.shape[1] - 1)])

    def local_minutes(self, minutes: np.ndarray) -> np.ndarray:
        """(R, n): each region's local minutes since the start's UTC midnight at `minutes`."""
        hour = np.clip(np.asarray(minutes) // 60, 0, self._offsets.shape[1] - 1)
        return np.asarray(minutes)[None, :] + self._offsets[:, hour]

    def local_hour(self, region: str, minute: float) -> float:
        """Local time of day (hours) in `region` at simulation minute `minute`."""
        local = minute + self._offset_at(self.regions.index(region), minute)
        return float(local % 1440) / 60.0

    def minute_of_local(self, region: str, day: int, local_minute: float) -> float:
        """The simulation minute at which `region`'s clocks show `local_minute` of the
        start's calendar day + `day` (the offset of that moment, daylight saving included)."""
        r = self.regions.index(region)
        target = day * 1440 + local_minute
        return float(target - self._offset_at(r, target - self._offset_at(r, target)))

    # -- events -------------------------------------------------------------

    def _plan_events(self, events: list[EventSpec], rng: np.random.Generator) -> None:
        """Fix each event's random details now, so that chunks can be drawn independently."""
        self._adders: list[tuple[EventSpec, int, np.ndarray, np.ndarray, np.ndarray]] = []
        self._gaps: list[tuple[int, int]] = []
        bomb_cols: list[list[np.ndarray]] = [[], [], [], [], []]
        for ev in events:
            if ev.kind == "intake_gap":
                self._gaps.append((self._sec(ev.start), self._sec(ev.end)))
                continue
            s = self.services.index(ev.service)  # type: ignore[arg-type]
            spec = self._spec[ev.service]  # type: ignore[index]
            names = list(spec.problems)
            usual = np.array(list(spec.problems.values()))
            if ev.kind == "campaign":
                times, reporters = campaign_rows(ev, rng, self._start_s)
                n = len(times)
                columns = (times, np.full(n, s), np.full(n, self.regions.index(ev.region)))  # type: ignore[arg-type]
                columns += (self._pmap[s, np.full(n, names.index(ev.problems[0]))], reporters)
                for col, values in zip(bomb_cols, columns):
                    col.append(np.asarray(values))
                continue
            if ev.kind == "bombing":
                n = ev.total_reports or 300
                ids = rng.integers(1, 2**62, size=max(ev.reporters, 1))
                # Bursty, not clockwork: each sender fires in short volleys.
                times = np.sort(rng.uniform(ev.start, ev.end, size=n)) * 60
                favourite = rng.choice(len(names), size=len(ids), p=usual)
                who = rng.integers(len(ids), size=n)
                local = np.where(rng.random(n) < 0.8, favourite[who], rng.choice(len(names), size=n))
                region = self.regions.index(ev.region or max(spec.regions, key=spec.regions.__getitem__))
                for col, values in zip(
                    bomb_cols,
                    (
                        self._start_s + times.astype(np.int64),
                        np.full(n, s),
                        np.full(n, region),
                        self._pmap[s, local],
                        ids[who],
                    ),
                ):
                    col.append(np.asarray(values))
                continue
            if ev.problems:  # partial: nearly all extra reports name one or two problems
                mix = usual * 0.12
                first = 1.0 if len(ev.problems) == 1 else rng.uniform(0.52, 0.65)
                for p, w in zip(ev.problems, (first, 1 - first)):
                    mix[names.index(p)] += 0.88 * w
            elif ev.kind in SURGE_KINDS:  # more people using it, reporting as they always do
                mix = usual.copy()
            else:  # a full outage shifts the usual mix a little, not a lot
                mix = rng.dirichlet(usual * 40 + 0.05)
            if ev.region is not None:
                regions = np.array([self.regions.index(ev.region)])
            else:
                regions = np.flatnonzero(self._share[s] > 0)
            # Countries notice a global outage to different degrees.
            jitter = np.exp(rng.normal(0, 0.3 if ev.region is None else 0, len(regions)))
            if ev.kind in SURGE_KINDS:
                jitter = np.ones(len(regions))
            self._adders.append((ev, s, regions, jitter, mix / mix.sum()))
        self._bombs = [np.concatenate(c) if c else np.zeros(0, dtype=np.int64) for c in bomb_cols]

    def _usual_rate(self, ev: EventSpec) -> float:
        """Expected background reports per minute at `ev`'s peak, over its regions."""
        m = min(int(ev.start + ev.ramp), self.minutes - 1)
        rate = self.expected_rate(m, m + 1)[self.services.index(ev.service)][:, 0]  # type: ignore[arg-type]
        return float(rate[self.regions.index(ev.region)] if ev.region else rate.sum())

    def _sec(self, minute: float) -> int:
        return self._start_s + int(round(minute * 60))

    def _stamp(self, minute: float) -> str:
        return (self.start + timedelta(seconds=round(minute * 60))).isoformat().replace("+00:00", "Z")

    # -- background ---------------------------------------------------------

    def expected_rate(self, m0: int, m1: int) -> np.ndarray:
        """Mean reports per minute, (service, region, minute), for minutes [m0, m1),
        from the daily, weekly and growth cycles only (no noise, no events)."""
        minutes = np.arange(m0, m1)
        local = self.local_minutes(minutes)  # (R, n) local minutes since the start's midnight
        weekday0 = self.start.weekday()
        mod = local % 1440
        dow = (local // 1440 + weekday0) % 7
        cycle = self._daily[:, mod] * self._weekly[:, dow]  # (P, R, n)
        growth = 1 + self._growth[:, None] * (minutes[None, :] / self.minutes)  # (S, n)
        return (
            self._per_min[:, None, None]
            * self._share[:, :, None]
            * cycle[self._profile_idx]
            * growth[:, None, :]
        )

    def chunks(self, minutes_per_chunk: int = 1440, first_minute: int = 0) -> Iterator[ReportChunk]:
        """Report rows in time order, one block of `minutes_per_chunk` at a time,
        from `first_minute` (since the start) on."""
        for index, m0 in enumerate(range(first_minute, self.minutes, minutes_per_chunk)):
            yield self._chunk(index, m0, min(m0 + minutes_per_chunk, self.minutes))

    def __iter__(self) -> Iterator[tuple[str, str, str, str, str]]:
        for chunk in self.chunks():
            yield from chunk.rows()

    def _draw_problems(self, rng: np.random.Generator, service: np.ndarray) -> np.ndarray:
        u = rng.random(len(service))
        local = (u[:, None] >= self._cum[service]).sum(axis=1)
        return self._pmap[service, np.minimum(local, self._cum.shape[1] - 1)]

    def _chunk(self, index: int, m0: int, m1: int) -> ReportChunk:
        cfg = self.config
        rng = np.random.default_rng([self.seed, 1, index, m0])
        expected = self.expected_rate(m0, m1)
        blocks = np.arange(m0, m1) // _LEVEL_BLOCK
        rate = expected * np.exp(self._level[:, :, blocks])
        noisy = rate * rng.gamma(cfg.dispersion, 1.0 / cfg.dispersion, rate.shape)
        counts = rng.poisson(noisy)
        cells = np.repeat(np.arange(counts.size), counts.ravel())
        svc, reg, minute = np.unravel_index(cells, counts.shape)
        parts = [(svc, reg, minute, self._draw_problems(rng, svc), cfg.repeat_rate)]

        for ev, s, regions, jitter, mix in self._adders:
            lo, hi = max(m0, int(np.floor(ev.start))), min(m1, int(np.ceil(ev.last_minute)) + 1)
            if lo >= hi:
                continue
            span = np.arange(lo, hi)
            shape = outage_shape(ev, span)
            if ev.total_reports:  # a fixed number of extra reports, split by audience
                full = outage_shape(ev, np.arange(int(ev.start), int(np.ceil(ev.last_minute)) + 1))
                share = self._share[s, regions] / self._share[s, regions].sum()
                extra = ev.total_reports * share[:, None] * shape[None, :] / full.sum()
            else:
                extra = (
                    (ev.magnitude - 1) * expected[s][regions][:, span - m0] * jitter[:, None] * shape[None, :]
                )
            extra = extra * rng.gamma(cfg.event_dispersion, 1 / cfg.event_dispersion, extra.shape)
            ecounts = rng.poisson(extra)
            ecells = np.repeat(np.arange(ecounts.size), ecounts.ravel())
            r_i, t_i = np.unravel_index(ecells, ecounts.shape)
            local = rng.choice(len(mix), size=len(ecells), p=mix)
            parts.append(
                (
                    np.full(len(ecells), s),
                    regions[r_i],
                    span[t_i] - m0,
                    self._pmap[s, local],
                    cfg.repeat_rate if ev.kind in SURGE_KINDS else cfg.outage_repeat_rate,
                )
            )

        cols: list[list[np.ndarray]] = [[], [], [], [], []]
        for svc, reg, minute, prob, repeat_rate in parts:
            ts = self._start_s + (m0 + minute.astype(np.int64)) * 60 + rng.integers(0, 60, len(minute))
            who = rng.integers(1, 2**62, size=len(ts))
            again = rng.random(len(ts)) < repeat_rate  # the same person, 20 s to 15 min later
            values = (ts, svc, reg, prob, who)
            for col, v in zip(cols, values):
                col.append(v)
                col.append(v[again])
            cols[0][-1] = ts[again] + rng.integers(20, 900, int(again.sum()))
        lo_s, hi_s = self._start_s + m0 * 60, self._start_s + m1 * 60
        in_chunk = (self._bombs[0] >= lo_s) & (self._bombs[0] < hi_s)
        for col, v in zip(cols, self._bombs):
            col.append(v[in_chunk])
        ts, svc, reg, prob, who = (np.concatenate(c) for c in cols)
        keep = ts < hi_s  # repeats that spill past the chunk are dropped
        for a, b in self._gaps:  # the intake was down: nothing arrived
            keep &= (ts < a) | (ts >= b)
        order = np.argsort(ts[keep], kind="stable")
        return ReportChunk(
            ts[keep][order].astype(np.int64),
            svc[keep][order].astype(np.int16),
            reg[keep][order].astype(np.int16),
            prob[keep][order].astype(np.int16),
            who[keep][order].astype(np.int64),
            self.services,
            self.regions,
            self.problems,
        )

    # -- truth --------------------------------------------------------------

    def truth(self) -> dict[str, Any]:
        outages, sympathetic, quiet, surges, campaigns = [], [], [], [], []
        for ev in self.events:
            base = {
                "id": ev.id,
                "kind": ev.kind,
                "service": ev.service,
                "region": ev.region,
                "started_at": self._stamp(ev.start),
                "ended_at": self._stamp(ev.end),
            }
            if ev.kind in OUTAGE_KINDS:
                outages.append(
                    {
                        **base,
                        "group": ev.group,
                        "problems": list(ev.problems),
                        "peak_at": self._stamp(ev.start + ev.ramp),
                        "magnitude": None if ev.total_reports else round(ev.magnitude, 2),
                        "extra_reports": ev.total_reports,
                        "ramp_minutes": round(ev.ramp, 1),
                        "expected_detect": True,
                    }
                )
            elif ev.kind == "sympathetic":
                sympathetic.append(
                    {
                        **base,
                        "related_to": ev.related_to,
                        "magnitude": round(ev.magnitude, 2),
                        "expected_detect": False,
                    }
                )
            elif ev.kind in SURGE_KINDS:
                surges.append(
                    {**base, "magnitude": round(ev.magnitude, 2), "ramp_minutes": round(ev.ramp, 1)}
                    | {"expected_detect": False}
                )
            elif ev.kind == "campaign":
                # Dozens of fake reporters, each filing several reports of one problem:
                # "possible problems" at most, never "problems detected".
                campaigns.append(
                    {
                        **base,
                        "problems": list(ev.problems),
                        "reporters": ev.reporters,
                        "reports": ev.total_reports,
                        "max_level": "warning",
                    }
                )
            elif ev.kind in NON_EVENT_KINDS:
                extra = (
                    {"reports": ev.total_reports, "reporters": ev.reporters} if ev.kind == "bombing" else {}
                )
                quiet.append({**base, **extra, "expected_detect": False})
            else:
                raise ValueError(f"unknown event kind {ev.kind!r}")
        return {
            "seed": self.seed,
            "start": self._stamp(0),
            "end": self._stamp(self.minutes),
            "warmup_until": self._stamp(self.warmup),
            "services": self.services,
            "regions": self.regions,
            "outages": outages,
            "sympathetic": sympathetic,
            "must_not_fire": quiet,
            "surges": surges,
            "campaigns": campaigns,
            "clocks": self.config.clocks,
        }


def simulate(config: SimulationConfig | None = None, seed: int = 0) -> Simulation:
    return Simulation(config or SimulationConfig(), seed)


def write_reports_csv(sim: Simulation, path: str | Path) -> int:
    """Write every report to `path`; returns the number of rows."""
    total = 0
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        for chunk in sim.chunks():
            writer.writerows(zip(*chunk.columns()))
            total += len(chunk)
    return total


def write_truth_json(sim: Simulation, path: str | Path) -> None:
    Path(path).write_text(json.dumps(sim.truth(), indent=2) + "\n")


def _monday(text: str) -> datetime:
    """A start date for the command line: midnight UTC of a Monday."""
    day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    if day.weekday() != 0:
        raise argparse.ArgumentTypeError(f"{text} is a {day:%A}; the simulation starts on a Monday")
    return day


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, type=Path, help="directory for reports.csv and truth.json")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--weeks", type=float, default=6)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--start", type=_monday, default=SimulationConfig.start, help="a Monday, YYYY-MM-DD")
    parser.add_argument("--clocks", choices=("real", "fixed"), default="real")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    config = SimulationConfig(weeks=args.weeks, scale=args.scale, start=args.start, clocks=args.clocks)
    sim = simulate(config, seed=args.seed)
    rows = write_reports_csv(sim, args.out / "reports.csv")
    write_truth_json(sim, args.out / "truth.json")
    truth = sim.truth()
    print(
        f"{rows} reports, {len(truth['outages'])} outages, {len(truth['sympathetic'])} sympathetic, "
        f"{len(truth['surges'])} traffic surges, {len(truth['campaigns'])} campaigns, "
        f"{len(truth['must_not_fire'])} must-not-fire events in {time.perf_counter() - began:.1f}s "
        f"-> {args.out}"
    )


if __name__ == "__main__":
    main()
