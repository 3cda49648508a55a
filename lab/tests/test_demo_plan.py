"""The demo's simulated world, without a database: its past outages, its live outage
and its crowd of reporters."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import numpy as np

from lab.demo.feeder import CROWD, USER_AGENTS, identity, posts
from lab.demo.plan import LEAD_IN, PAST_OUTAGES, SETTLED, DemoPlan, live_outage, past_events

NOW = datetime(2026, 3, 4, 9, 17, tzinfo=UTC)


def test_a_plan_survives_its_round_trip_through_the_database():
    plan = DemoPlan.new(NOW, days=3, scale=0.7, services=("facebook", "att"))

    assert DemoPlan.from_dict(plan.to_dict()) == plan
    assert plan.start == datetime(2026, 3, 1, tzinfo=UTC) and plan.history_until == NOW


def test_past_outages_are_all_over_before_the_seeding_and_after_a_day_of_history():
    plan = DemoPlan.new(NOW)

    events, detect_from = past_events(plan)

    outages = [ev for ev in events if ev.kind not in ("bombing", "sympathetic")]
    assert len(outages) == sum(len(outage.services) for outage in PAST_OUTAGES)
    assert {ev.kind for ev in events} >= {"group", "partial", "regional", "bombing", "sympathetic"}
    for ev in events:
        assert plan.start + timedelta(days=1) < plan.start + timedelta(minutes=ev.start)
        assert plan.start + timedelta(minutes=ev.end) + SETTLED <= plan.history_until
        assert detect_from < plan.start + timedelta(minutes=ev.start)


def test_a_short_history_keeps_only_the_outages_it_can_judge():
    plan = DemoPlan.new(NOW, days=1)

    events, detect_from = past_events(plan)

    assert events == []
    assert detect_from == NOW - LEAD_IN  # only a lead-in for the detector


def reports_per_minute(
    plan: DemoPlan, events, service: str, region: str, start: float, minutes: int
) -> float:
    sim = plan.simulation(events)
    rows = next(sim.chunks(minutes_per_chunk=minutes, first_minute=int(start)))
    picked = (np.asarray(rows.services)[rows.service] == service) & (
        np.asarray(rows.regions)[rows.region] == region
    )
    return picked.sum() / minutes


def test_the_live_outage_hits_meta_where_its_users_are_awake_and_stands_out_there():
    plan = DemoPlan.new(NOW)
    at = NOW.replace(minute=30)  # 09:30 UTC: evening in India, night in the Americas

    outage = live_outage(plan, at)

    assert set(outage.services) == {"facebook", "instagram", "whatsapp", "messenger"}
    assert "IN" in outage.regions and "US" not in outage.regions and len(outage.regions) == 3
    assert {ev.problems for ev in outage.events if ev.service == "whatsapp"} == {
        ("pictures", "voice-messages")
    }
    start = plan.minute_of(at) + 3
    for region in outage.regions:
        usual = reports_per_minute(plan, (), "facebook", region, start, 10)
        during = reports_per_minute(plan, outage.events, "facebook", region, start, 10)
        assert during - usual >= 3, region  # at least 30 more people in ten minutes


def test_each_simulated_person_is_one_address_and_browser_of_the_benchmark_network():
    people = [identity(reporter) for reporter in range(10**6, 10**6 + 5000)]

    assert len(set(people)) == 5000
    assert identity(10**6) == people[0]
    for address, agent in people:
        assert ipaddress.ip_address(address) in CROWD and agent in USER_AGENTS


def test_the_feed_starts_where_the_history_stops_and_keeps_to_time_order():
    plan = DemoPlan.new(NOW, days=1, services=("facebook",))
    since = NOW + timedelta(seconds=20)

    first = []
    for post in posts(plan, None, since):
        first.append(post)
        if len(first) == 50:
            break

    times = [post.at for post in first]
    assert times == sorted(times) and times[0] >= since.timestamp()
    assert {post.service for post in first} == {"facebook"}
