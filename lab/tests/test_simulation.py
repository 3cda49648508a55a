"""The outage simulator: realistic background, the injected events, and its outputs.

Pure: no Django, no database. Small configs, so the whole file runs in seconds.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest

from lab.simulation import SimulationConfig, simulate, write_reports_csv, write_truth_json
from lab.simulation_catalog import CATALOG, SERVICES, ServiceSpec
from lab.simulation_scenarios import NIGHT_SHARE, OUTAGE_KINDS, EventSpec, outage_shape

START = datetime(2025, 3, 3, tzinfo=UTC)  # a Monday
DAY = 1440
MSG = {"messages": 0.5, "login": 0.3, "app": 0.2}
JP_APP = ServiceSpec("jp-app", 240, "consumer", MSG, {"JP": 1.0})
US_APP = ServiceSpec("us-app", 240, "consumer", MSG, {"US": 1.0})
WORK = ServiceSpec("work", 240, "business", MSG, {"GB": 1.0})
WORLD = ServiceSpec("world", 600, "consumer", MSG, {"US": 0.4, "GB": 0.3, "IN": 0.3})
TINY = ServiceSpec("tiny", 3, "consumer", MSG, {"GB": 1.0})


def config(services=(WORLD,), events=(), weeks=1.0, **kw) -> SimulationConfig:
    return SimulationConfig(
        start=START, weeks=weeks, warmup_weeks=0.5, services=services, events=list(events), **kw
    )


def frame(sim) -> dict[str, np.ndarray]:
    """All rows as arrays: minute since start, service, region, problem, reporter."""
    chunks = list(sim.chunks())
    cat = lambda name: np.concatenate([getattr(c, name) for c in chunks])  # noqa: E731
    return {
        "ts": cat("ts"),
        "minute": (cat("ts") - int(START.timestamp())) // 60,
        "service": np.array(sim.services)[cat("service")],
        "region": np.array(sim.regions)[cat("region")],
        "problem": np.array(sim.problems)[cat("problem")],
        "reporter": cat("reporter"),
    }


def window(rows, lo: float, hi: float, **match) -> np.ndarray:
    keep = (rows["minute"] >= lo) & (rows["minute"] < hi)
    for key, value in match.items():
        keep &= rows[key] == value
    return keep


def test_it_follows_the_daily_cycle_in_local_time():
    rows = frame(simulate(config((JP_APP, US_APP)), seed=3))
    for service, offset in (("jp-app", 9), ("us-app", -6)):
        mine = rows["service"] == service
        local_hour = ((rows["minute"][mine] + offset * 60) // 60) % 24
        by_hour = np.bincount(local_hour, minlength=24)
        assert by_hour[19:23].mean() > 4 * by_hour[2:5].mean()  # evenings busy, nights quiet
        assert 18 <= int(np.argmax(by_hour)) <= 23
    # Same local shape, so the UTC peaks are 15 hours apart.
    utc_peak = {
        s: int(np.argmax(np.bincount((rows["minute"][rows["service"] == s] // 60) % 24, minlength=24)))
        for s in ("jp-app", "us-app")
    }
    assert (utc_peak["us-app"] - utc_peak["jp-app"]) % 24 in (14, 15, 16)


def test_work_tools_are_quiet_at_weekends():
    rows = frame(simulate(config((WORK,)), seed=4))
    per_day = np.bincount(rows["minute"] // DAY, minlength=7)  # START is a Monday
    assert per_day[5:7].mean() < 0.6 * per_day[0:5].mean()


def test_the_noise_is_over_dispersed():
    sim = simulate(config((WORLD,)), seed=5)
    rows = frame(sim)
    expected = sim.expected_rate(0, sim.minutes).sum(axis=1)[0]  # per minute, all regions
    counts = np.bincount(rows["minute"], minlength=sim.minutes)
    busy = expected > 5
    pearson = ((counts[busy] - expected[busy]) ** 2 / expected[busy]).mean()
    assert pearson > 1.3  # a Poisson process would give ~1


def test_services_grow_over_the_weeks():
    svc = ServiceSpec("growing", 60, "consumer", MSG, {"US": 1.0}, growth=0.3)
    sim = simulate(config((svc,), weeks=2), seed=1)
    rate = sim.expected_rate(0, sim.minutes)[0, sim.regions.index("US")]
    # Same weekday (Sunday vs Sunday is not available: Monday 1 vs Monday 2 is a week apart).
    assert rate[DAY * 7 : DAY * 8].sum() / rate[:DAY].sum() == pytest.approx(1 + 0.3 * 7 / 14, abs=0.01)


def test_volumes_span_orders_of_magnitude_and_regions_add_up():
    volumes = [s.per_hour for s in SERVICES]
    assert max(volumes) / min(volumes) >= 100
    assert len(SERVICES) >= 30
    for s in SERVICES:
        assert sum(s.regions.values()) == pytest.approx(1)
    assert {"meta", "alphabet", "microsoft"} <= {s.group for s in SERVICES}


def test_it_is_reproducible_from_its_seed():
    a = frame(simulate(config(weeks=0.3), seed=11))
    b = frame(simulate(config(weeks=0.3), seed=11))
    c = frame(simulate(config(weeks=0.3), seed=12))
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert len(a["ts"]) != len(c["ts"]) or not np.array_equal(a["reporter"], c["reporter"])


def test_rows_come_in_time_order_and_the_csv_has_the_agreed_format(tmp_path):
    sim = simulate(config(weeks=0.2), seed=2)
    path = tmp_path / "reports.csv"
    n = write_reports_csv(sim, path)
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["created_at", "service", "region", "problem", "reporter"]
    assert len(rows) - 1 == n > 1000
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r[0]) for r in rows[1:200])
    stamps = [r[0] for r in rows[1:]]
    assert stamps == sorted(stamps)
    assert rows[1][:4] == list(next(iter(sim)))[:4]


def test_ordinary_reporters_rarely_repeat_and_only_soon_after():
    rows = frame(simulate(config(weeks=0.5), seed=6))
    per_reporter = Counter(rows["reporter"].tolist())
    repeaters = [r for r, n in per_reporter.items() if n > 1]
    assert 0.005 < len(repeaters) / len(per_reporter) < 0.05
    assert max(per_reporter.values()) <= 3
    for r in repeaters[:50]:
        ts = np.sort(rows["ts"][rows["reporter"] == r])
        assert ts[-1] - ts[0] <= 15 * 60


def test_a_regional_outage_only_raises_that_region():
    ev = EventSpec("regional", "world", start=3 * DAY + 600, duration=60, region="GB", magnitude=15)
    rows = frame(simulate(config(events=[ev]), seed=7))
    for region, lo_ratio, hi_ratio in (("GB", 5, 40), ("US", 0.5, 1.6), ("IN", 0.5, 1.6)):
        now = window(rows, ev.start + 5, ev.end, service="world", region=region).sum()
        day_before = window(rows, ev.start + 5 - DAY, ev.end - DAY, service="world", region=region).sum()
        assert lo_ratio < now / day_before < hi_ratio, region


def test_a_global_outage_raises_every_region_and_decays_after_the_fix():
    ev = EventSpec("global", "world", start=3 * DAY + 600, duration=90, magnitude=10)
    rows = frame(simulate(config(events=[ev]), seed=8))
    for region in ("US", "GB", "IN"):
        now = window(rows, ev.start + 5, ev.start + 35, region=region).sum()
        before = window(rows, ev.start - 35, ev.start - 5, region=region).sum()
        assert now > 3 * before, region
    during = window(rows, ev.end - 10, ev.end).sum()
    after = window(rows, ev.end + 40, ev.end + 50).sum()
    before = window(rows, ev.start - 60, ev.start - 50).sum()
    assert after < 0.5 * during and after < 2 * before


def test_a_partial_outage_concentrates_on_its_problem_types():
    ev = EventSpec(
        "partial", "world", start=3 * DAY + 600, duration=60, magnitude=8, problems=("app", "login")
    )
    sim = simulate(config(events=[ev]), seed=9)
    rows = frame(sim)
    during = Counter(rows["problem"][window(rows, ev.start + 5, ev.end)].tolist())
    assert {p for p, _ in during.most_common(2)} == {"app", "login"}
    truth = sim.truth()["outages"][0]
    assert truth["problems"] == ["app", "login"] and truth["kind"] == "partial"


def test_a_slow_outage_builds_over_its_ramp_and_a_sharp_one_does_not():
    slow = EventSpec("slow", "world", start=0, duration=200, ramp=45)
    sharp = EventSpec("global", "world", start=0, duration=200, ramp=3)
    m = np.arange(0, 60)
    assert outage_shape(slow, m)[10] < 0.25 and outage_shape(slow, m)[44] > 0.95
    assert outage_shape(sharp, m)[3] > 0.9
    assert outage_shape(sharp, np.array([-5, 260]))[0] == 0


def test_a_small_service_outage_adds_a_few_dozen_reports():
    ev = EventSpec("small", "tiny", start=3 * DAY + 700, duration=20, total_reports=60)
    rows = frame(simulate(config((TINY, WORLD), events=[ev]), seed=10))
    extra = window(rows, ev.start, ev.end + 30, service="tiny").sum()
    usual = window(rows, ev.start - DAY, ev.end + 30 - DAY, service="tiny").sum()
    assert 35 <= extra - usual <= 90


def test_bombing_comes_from_a_handful_of_reporters():
    ev = EventSpec(
        "bombing", "world", start=3 * DAY + 300, duration=60, region="GB", total_reports=400, reporters=4
    )
    sim = simulate(config(events=[ev]), seed=12)
    rows = frame(sim)
    inside = window(rows, ev.start, ev.end, service="world", region="GB")
    top = Counter(rows["reporter"][inside].tolist()).most_common(4)
    assert sum(n for _, n in top) == 400 and min(n for _, n in top) > 40
    assert (
        sim.truth()["must_not_fire"][0] | {"kind": "bombing", "reporters": 4}
        == sim.truth()["must_not_fire"][0]
    )


def test_an_intake_gap_has_no_reports():
    ev = EventSpec("intake_gap", None, start=3 * DAY + 800, duration=40)
    rows = frame(simulate(config((WORLD, TINY), events=[ev]), seed=13))
    assert window(rows, ev.start, ev.end).sum() == 0
    assert window(rows, ev.end, ev.end + 10).sum() > 0.5 * window(rows, ev.start - 10, ev.start).sum()


def test_the_default_schedule_has_every_kind_after_the_warmup():
    sim = simulate(SimulationConfig(start=START), seed=1)  # plans only: no rows drawn
    truth = json.loads(json.dumps(sim.truth()))
    outages = truth["outages"]
    assert 35 <= len(outages) <= 50
    assert {o["kind"] for o in outages} == set(OUTAGE_KINDS)
    assert all(o["started_at"] >= truth["warmup_until"] for o in outages + truth["must_not_fire"])
    assert {e["kind"] for e in truth["must_not_fire"]} == {"bombing", "intake_gap"}
    ids = {o["id"] for o in outages}
    assert truth["sympathetic"] and all(s["related_to"] in ids for s in truth["sympathetic"])
    assert any(o["region"] for o in outages if o["kind"] == "regional")
    meta = [o for o in outages if o["group"] == "meta"]
    assert len(meta) >= 4
    onsets = sorted(datetime.fromisoformat(o["started_at"].replace("Z", "+00:00")) for o in meta[:5])
    assert (onsets[-1] - onsets[0]).total_seconds() <= 5 * 60


def test_the_truth_is_written_as_json(tmp_path):
    ev = EventSpec("global", "world", start=3 * DAY, duration=30)
    sim = simulate(config(events=[ev]), seed=1)
    write_truth_json(sim, tmp_path / "truth.json")
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert (
        truth["outages"][0]
        | {
            "service": "world",
            "region": None,
            "expected_detect": True,
            "started_at": "2025-03-06T00:00:00Z",
            "ended_at": "2025-03-06T00:30:00Z",
        }
        == truth["outages"][0]
    )
    assert truth["warmup_until"] == "2025-03-06T12:00:00Z"


def test_real_clocks_move_a_countrys_day_with_daylight_saving_and_fixed_ones_do_not():
    # The US springs forward on Sunday 9 March 2025: its evening peak comes an hour
    # earlier in UTC from then on, unless the simulation keeps fixed offsets.
    def shift_hours(clocks: str) -> int:
        """How many hours earlier in UTC the second week's day is than the first's."""
        rows = frame(simulate(config((US_APP,), weeks=2, clocks=clocks), seed=3))
        minute = (rows["minute"] // 10) % 144  # ten-minute slots of the UTC day
        before = np.bincount(minute[rows["minute"] < 6 * DAY], minlength=144)
        after = np.bincount(minute[rows["minute"] >= 7 * DAY], minlength=144)
        fit = [np.dot(np.roll(after, k * 6), before) for k in range(24)]
        return int(np.argmax(fit))

    assert shift_hours("real") == 1
    assert shift_hours("fixed") == 0


def test_the_catalog_has_two_hundred_services_most_of_them_near_silent():
    volumes = np.array([s.per_hour for s in CATALOG])
    assert len(CATALOG) == 200 and len({s.slug for s in CATALOG}) == 200
    assert np.median(volumes) < 1.0 and volumes.max() > 500
    small_countries = [
        s for s in CATALOG if any(NIGHT_SHARE[0] <= v <= NIGHT_SHARE[1] for v in s.regions.values())
    ]
    assert len(small_countries) >= 10


def test_the_default_schedule_holds_night_and_mild_outages_surges_and_campaigns():
    sim = simulate(SimulationConfig(), seed=2)  # plans only: no rows drawn
    truth = sim.truth()
    night = [o for o in truth["outages"] if o["kind"] == "night"]
    assert night and all(25 <= o["extra_reports"] <= 50 for o in night)
    for o in night:
        spec = next(s for s in CATALOG if s.slug == o["service"])
        assert NIGHT_SHARE[0] <= spec.regions[o["region"]] <= NIGHT_SHARE[1]
        minute = (
            datetime.fromisoformat(o["started_at"].replace("Z", "+00:00")) - sim.start
        ).total_seconds() / 60
        assert sim.local_hour(o["region"], minute) < 5
    mild = [o for o in truth["outages"] if o["kind"] == "mild"]
    assert mild and all(2.5 <= o["magnitude"] <= 4 for o in mild)
    kinds = Counter(s["kind"] for s in truth["surges"])
    assert kinds["holiday"] > 10 and kinds["curiosity"] == 3 and kinds["match"] >= 1
    assert all(1.2 <= s["magnitude"] <= 2.0 for s in truth["surges"])
    assert len(truth["campaigns"]) == 2 and all(c["max_level"] == "warning" for c in truth["campaigns"])


def test_new_years_eve_brings_more_reports_at_local_midnight():
    start = datetime(2024, 12, 23, tzinfo=UTC)  # a Monday; New Year's Eve is day 8
    plan = SimulationConfig(start=start, weeks=1.5, warmup_weeks=0.5, services=(JP_APP,), bombings=0)
    quiet = {
        "intake_gaps": 0,
        "outage_counts": dict.fromkeys(OUTAGE_KINDS, 0),
        "surge_counts": {"curiosity": 0},
    }
    sim = simulate(replace(plan, **quiet), seed=4)
    holidays = [s for s in sim.truth()["surges"] if s["kind"] == "holiday"]
    assert [s["region"] for s in holidays] == ["JP"]
    assert holidays[0]["started_at"] == "2024-12-31T14:55:00Z"  # 23:55 in Tokyo
    minute = (np.concatenate([c.ts for c in sim.chunks()]) - int(start.timestamp())) // 60
    midnight = 8 * DAY + 15 * 60  # 00:00 on 1 January in Tokyo is 15:00 UTC on the 31st
    now = np.sum((minute >= midnight) & (minute < midnight + 30))
    day_before = np.sum((minute >= midnight - DAY) & (minute < midnight - DAY + 30))
    assert now > 1.3 * day_before


def test_a_campaign_is_dozens_of_reporters_each_filing_several_reports_of_one_problem():
    ev = EventSpec(
        "campaign",
        "world",
        start=3 * DAY + 600,
        duration=60,
        region="GB",
        problems=("login",),
        reporters=40,
        total_reports=170,
    )
    sim = simulate(config(events=[ev]), seed=15)
    rows = frame(sim)
    per_reporter = Counter(rows["reporter"][rows["problem"] == "login"].tolist())
    fakes = {r: n for r, n in per_reporter.items() if n >= 3}
    assert len(fakes) == 40 and sum(fakes.values()) == 170
    inside = np.isin(rows["reporter"], list(fakes))
    assert set(rows["region"][inside]) == {"GB"}
    assert rows["minute"][inside].min() >= ev.start and rows["minute"][inside].max() < ev.end
    truth = sim.truth()
    assert (
        truth["campaigns"][0] | {"reporters": 40, "reports": 170, "max_level": "warning"}
        == truth["campaigns"][0]
    )
    assert truth["must_not_fire"] == []
