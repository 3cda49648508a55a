"""The demo's simulated world: its services, its history, its past outages and the
outage that starts live.

Everything is drawn by the outage simulator (lab/simulation.py) from one plan, so
the history that the seeding stores and the reports that the feeder posts later come
from the same world: the same services at the same volumes, with the same slowly
wandering level. Pure (no Django): times in, events and simulations out.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, time, timedelta

import numpy as np

from lab.simulation import Simulation, SimulationConfig, simulate
from lab.simulation_catalog import SERVICES, ServiceSpec
from lab.simulation_scenarios import EventSpec, outage_shape

MINUTE = timedelta(minutes=1)
WEEK_MINUTES = 7 * 1440

# The Meta family (the live outage and the past incident), the big names people
# look up, and AT&T, whose page catches the "is it my internet?" reports when a
# big app fails. Eleven services x 13 countries: 138 series.
DEMO_SERVICES = (
    "whatsapp",
    "facebook",
    "instagram",
    "messenger",
    "threads",
    "youtube",
    "netflix",
    "spotify",
    "discord",
    "chatgpt",
    "att",
)
# Eight days: a series is judged once its baseline rests on a day of history, and a
# week lets the baseline see every weekday once. Half the simulator's volumes:
# storing and counting cost ~0.3 ms per report on SQLite (docs/demo.md), so this
# is what keeps the seeding near a minute; WhatsApp still gets ~6 reports a minute.
DEFAULT_DAYS = 8
DEFAULT_SCALE = 0.5
DEFAULT_SEED = 1
# How long after the seeding the feeder can carry the same world on.
HORIZON = timedelta(days=14)
# Past outages end at least this long before the seeding, so that they are over
# (resolved) in the archive, and the detector sees this much before the first.
SETTLED = timedelta(hours=2)
LEAD_IN = timedelta(hours=6)


@dataclass(frozen=True)
class DemoPlan:
    """One simulated world: `minutes` from `start` (a UTC midnight, as the simulator
    needs), of which the history before `history_until` is stored by the seeding."""

    seed: int
    start: datetime
    minutes: int
    scale: float
    services: tuple[str, ...]
    history_until: datetime

    @classmethod
    def new(
        cls,
        now: datetime,
        days: float = DEFAULT_DAYS,
        scale: float = DEFAULT_SCALE,
        seed: int = DEFAULT_SEED,
        services: tuple[str, ...] = DEMO_SERVICES,
    ) -> DemoPlan:
        now = now.astimezone(UTC)
        start = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=math.ceil(days))
        minutes = int((now + HORIZON - start) / MINUTE)
        return cls(seed, start, minutes, scale, tuple(services), now)

    @property
    def ends_at(self) -> datetime:
        return self.start + self.minutes * MINUTE

    def minute_of(self, at: datetime) -> float:
        """Minutes since the start, as the simulator counts time."""
        return (at - self.start) / MINUTE

    def specs(self) -> list[ServiceSpec]:
        """The simulator's description of each service (volumes, problem types, countries)."""
        by_slug = {spec.slug: spec for spec in SERVICES}
        unknown = [slug for slug in self.services if slug not in by_slug]
        if unknown:
            raise ValueError(f"the simulator does not know the service(s) {', '.join(unknown)}")
        return [by_slug[slug] for slug in self.services]

    def series(self) -> int:
        """How many series the pipeline will keep: each service in each of its
        countries, and in all of them together."""
        return sum(len(spec.regions) + 1 for spec in self.specs())

    def simulation(self, events: list[EventSpec] | tuple[EventSpec, ...] = ()) -> Simulation:
        config = SimulationConfig(
            start=self.start,
            weeks=self.minutes / WEEK_MINUTES,
            warmup_weeks=0,
            services=self.specs(),
            scale=self.scale,
            events=list(events),
        )
        return simulate(config, seed=self.seed)

    def to_dict(self) -> dict:
        data = asdict(self)
        data.update(start=self.start.isoformat(), history_until=self.history_until.isoformat())
        data["services"] = list(self.services)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> DemoPlan:
        return cls(
            seed=int(data["seed"]),
            start=datetime.fromisoformat(data["start"]),
            minutes=int(data["minutes"]),
            scale=float(data["scale"]),
            services=tuple(data["services"]),
            history_until=datetime.fromisoformat(data["history_until"]),
        )


@dataclass(frozen=True)
class PastOutage:
    """An outage of the stored history: `days_ago` days before the seeding's day,
    at a UTC time of day chosen for when its users are awake."""

    services: tuple[str, ...]
    days_ago: int
    utc: time
    minutes: float
    magnitude: float
    kind: str = "global"
    region: str | None = None
    problems: tuple[str, ...] = ()
    group: str | None = None


PAST_OUTAGES = (
    # One internal error, Meta's apps down for two hours (as on 5 March 2024).
    PastOutage(
        ("facebook", "instagram", "messenger", "threads"),
        3,
        time(15, 40),
        130,
        18,
        kind="group",
        group="meta",
    ),
    # Text goes through, pictures and voice messages do not (as on 28 November).
    PastOutage(
        ("whatsapp",), 2, time(18, 20), 95, 8, kind="partial", problems=("pictures", "voice-messages")
    ),
    PastOutage(("youtube",), 2, time(2, 30), 50, 12),  # US evening
    PastOutage(("netflix",), 1, time(1, 10), 40, 12, kind="regional", region="US"),
    PastOutage(("chatgpt",), 1, time(14, 0), 70, 10),
    PastOutage(("discord",), 1, time(20, 30), 12, 20, kind="short"),
)


def _moment(plan: DemoPlan, outage: PastOutage) -> datetime:
    """When `outage` starts: its day and time, a day earlier if it would not be over
    (and settled) by the seeding."""
    today = plan.history_until.replace(hour=0, minute=0, second=0, microsecond=0)
    at = datetime.combine((today - timedelta(days=outage.days_ago)).date(), outage.utc, tzinfo=UTC)
    while at + outage.minutes * MINUTE + SETTLED > plan.history_until:
        at -= timedelta(days=1)
    return at


def past_events(
    plan: DemoPlan, outages: tuple[PastOutage, ...] = PAST_OUTAGES
) -> tuple[list[EventSpec], datetime]:
    """The history's events (outages of the plan's services, the carrier's echo of
    the Meta outage, and a report bombing that must raise nothing), and the moment
    from which the seeding runs the detector: a while before the first of them.
    Outages that a shorter history cannot hold after its first day are left out."""
    judged_from = plan.start + timedelta(days=1)  # a baseline needs a day of history
    events: list[EventSpec] = []
    for outage in outages:
        services = [slug for slug in outage.services if slug in plan.services]
        start = _moment(plan, outage)
        if start < judged_from + LEAD_IN:
            continue
        for offset, slug in enumerate(services):
            events.append(
                EventSpec(
                    outage.kind,
                    slug,
                    plan.minute_of(start) + offset % 3,  # one cause, onsets a minute or two apart
                    outage.minutes,
                    region=outage.region,
                    magnitude=outage.magnitude,
                    problems=outage.problems,
                    group=outage.group,
                    id=f"{slug}-{start:%m%d-%H%M}",
                )
            )
        if outage.group == "meta" and "att" in plan.services and services:
            # People blame their carrier when Facebook fails.
            events.append(
                EventSpec(
                    "sympathetic",
                    "att",
                    plan.minute_of(start) + 2,
                    outage.minutes,
                    region="US",
                    magnitude=2.2,
                    related_to=events[-1].id,
                    id="att-echo",
                )
            )
    bombing = _moment(plan, PastOutage(("spotify",), 2, time(11, 0), 40, 1))
    if "spotify" in plan.services and outages and bombing >= judged_from:
        # One person sending 300 reports in 40 minutes: must raise nothing.
        events.append(
            EventSpec(
                "bombing",
                "spotify",
                plan.minute_of(bombing),
                40,
                region="GB",
                total_reports=300,
                reporters=1,
                id="spotify-bombing",
            )
        )
    first = min([plan.start + ev.start * MINUTE for ev in events], default=plan.history_until)
    return events, max(first - LEAD_IN, judged_from)


# The live outage: partial, in the problem types each app's users would name.
LIVE_PROBLEMS = {
    "facebook": ("feed", "posting"),
    "instagram": ("feed", "posting"),
    "whatsapp": ("pictures", "voice-messages"),
    "messenger": ("messages", "pictures"),
}
# At its peak the live outage adds at least this many reporters a minute in each
# country (ten times the usual when that is more): the detector wants 15 more
# people than expected within 15 minutes, so each country's series crosses that
# in two or three minutes, whatever the time of day.
LIVE_PEAK_FLOOR = 6.0
LIVE_PEAK_TIMES_USUAL = 10.0


@dataclass(frozen=True)
class LiveOutage:
    starts_at: datetime
    minutes: float
    services: tuple[str, ...]
    regions: tuple[str, ...]
    events: tuple[EventSpec, ...]

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + self.minutes * MINUTE


def live_outage(
    plan: DemoPlan,
    starts_at: datetime,
    minutes: float = 25,
    regions: tuple[str, ...] | None = None,
    countries: int = 3,
) -> LiveOutage:
    """A Meta outage from `starts_at`, partial (feeds, posting, pictures, voice
    messages), in the `countries` countries where most Meta users are awake then
    (or in `regions`)."""
    services = tuple(slug for slug in LIVE_PROBLEMS if slug in plan.services)
    sim = plan.simulation()
    start = plan.minute_of(starts_at)
    peak = min(int(start) + 5, sim.minutes - 1)
    usual = sim.expected_rate(peak, peak + 1)[:, :, 0]  # (service, region) per minute
    rows = [sim.services.index(slug) for slug in services]
    if regions is None:
        awake = usual[rows].sum(axis=0)
        regions = tuple(sim.regions[i] for i in np.argsort(-awake)[:countries])
    events: list[EventSpec] = []
    for offset, (row, slug) in enumerate(zip(rows, services)):
        for region in regions:
            rate = float(usual[row, sim.regions.index(region)])
            if rate <= 0:
                continue  # the app has no users there in this world
            event = EventSpec(
                "partial",
                slug,
                start + offset % 3,
                minutes,
                region=region,
                problems=LIVE_PROBLEMS[slug],
                group="meta",
                plateau=0.75,
                tail=4.0,
                id=f"live-{slug}-{region}",
            )
            span = np.arange(int(event.start), int(np.ceil(event.last_minute)) + 1)
            peak_rate = max(LIVE_PEAK_FLOOR, LIVE_PEAK_TIMES_USUAL * rate)
            events.append(replace(event, total_reports=round(peak_rate * outage_shape(event, span).sum())))
    return LiveOutage(starts_at, minutes, services, tuple(regions), tuple(events))
