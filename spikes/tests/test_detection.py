"""Behaviour of the spike detector maths (spikes.detection); no Django needed."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from spikes.detection import (
    DetectorConfig,
    DetectorState,
    Profile,
    country_zone,
    detect_series,
    fit_local_profile,
    fit_profile,
    run,
    step,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday
MIN = 60
CFG = DetectorConfig(bucket_seconds=MIN)


def minutes(n: int, start: datetime = T0) -> list[float]:
    return [start.timestamp() + MIN * i for i in range(n)]


def poisson(mu: np.ndarray | float, n: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.poisson(np.broadcast_to(mu, (n,))).astype(float)


def opened(events: list) -> list:
    return [e for e in events if e.kind == "opened"]


def daily_cycle(n: int, low: float = 5.0, high: float = 60.0) -> np.ndarray:
    """Expected reporters per minute: quiet at night, busy in the evening."""
    tod = (np.arange(n) % 1440) / 1440.0
    return low + (high - low) * 0.5 * (1 - np.cos(2 * np.pi * (tod - 0.25)))


def test_it_flags_a_clear_spike_with_an_onset_close_to_the_truth():
    n, start = 1440, 600
    mu = np.full(n, 20.0)
    obs = poisson(mu, n)
    obs[start : start + 60] += poisson(80.0, 60, seed=2)  # 5x: the mildest simulated outages
    events = run(CFG, obs, mu, 0.0, minutes(n))
    first = opened(events)
    assert len(first) == 1
    onset_min = (first[0].onset - T0).total_seconds() / MIN
    flagged_min = (first[0].time - T0).total_seconds() / MIN
    assert abs(onset_min - start) <= 2
    assert start <= flagged_min <= start + 3  # fast: within 3 minutes of onset


def test_a_flat_series_raises_nothing_for_a_week():
    n = 7 * 1440
    mu = np.full(n, 20.0)
    assert run(CFG, poisson(mu, n, seed=3), mu, 0.0, minutes(n)) == []


def test_a_daily_cycle_is_learned_and_its_usual_peaks_raise_nothing():
    n_hist, n_test = 14 * 1440, 3 * 1440
    mu = daily_cycle(n_hist + n_test)
    counts = poisson(mu, n_hist + n_test, seed=4)
    profile = fit_profile(counts[:n_hist], T0, MIN)
    times = minutes(n_hist + n_test)[n_hist:]
    expected = profile.expected_many(np.array(times))
    # The learned curve matches the true one at the daily peak and trough.
    assert expected.max() == pytest.approx(mu.max(), rel=0.12)
    assert expected.min() == pytest.approx(mu.min(), rel=0.25)
    assert run(CFG, counts[n_hist:], expected, profile.alpha, times) == []


def test_one_reporter_flooding_all_day_never_opens_a_spike():
    # The counting task keeps one report per reporter per 15 minutes, so a
    # flooder adds 1 to the per-minute distinct count every 15 minutes.
    n = 1440
    mu = np.full(n, 0.2)
    obs = poisson(mu, n, seed=5)
    obs[300::15] += 1
    assert opened(run(CFG, obs, mu, 0.0, minutes(n))) == []


def test_a_handful_of_reporters_never_opens_a_spike_however_long_they_go_on():
    n = 1440
    mu = np.full(n, 1.0)
    obs = np.ones(n)  # background exactly as expected
    for reporter in range(5):  # five people reporting all day long
        obs[300 + reporter :: 15] += 1
    assert opened(run(CFG, obs, mu, 0.0, minutes(n))) == []
    obs[600:615] += 3  # ... but dozens of new people are a spike
    assert len(opened(run(CFG, obs, mu, 0.0, minutes(n)))) == 1


def test_ten_new_people_in_a_minute_on_a_quiet_service_do_open_a_spike():
    n = 600
    mu = np.full(n, 0.2)
    obs = np.zeros(n)
    obs[300:310] = 6.0  # a real burst: 60 distinct people in 10 minutes
    assert len(opened(run(CFG, obs, mu, 0.0, minutes(n)))) == 1


def test_a_gap_of_missing_data_then_normal_traffic_raises_nothing():
    n = 1440
    mu = daily_cycle(n)
    obs = poisson(mu, n, seed=6)
    obs[400:700] = np.nan  # intake down, caller passes NaN
    assert run(CFG, obs, mu, 0.0, minutes(n)) == []
    obs[400:700] = 0.0  # intake down, caller passes zeros
    assert run(CFG, obs, mu, 0.0, minutes(n)) == []


def test_a_gap_in_history_does_not_confuse_the_baseline():
    n = 14 * 1440
    mu = daily_cycle(n)
    clean = poisson(mu, n, seed=7)
    gappy = clean.copy()
    gappy[5 * 1440 : 6 * 1440 + 300] = 0.0  # a day of zeros (intake outage)
    gappy[9 * 1440 : 9 * 1440 + 600] = np.nan  # and a stretch of missing data
    a, b = fit_profile(clean, T0, MIN), fit_profile(gappy, T0, MIN)
    assert np.max(np.abs(b.mean - a.mean) / a.mean) < 0.1


def test_the_baseline_is_robust_to_an_outage_in_history():
    n = 21 * 1440
    mu = daily_cycle(n)
    counts = poisson(mu, n, seed=8)
    hit = slice(10 * 1440 + 1080, 10 * 1440 + 1200)  # 2 h outage at the evening peak
    counts[hit] += poisson(10 * mu[hit], 120, seed=9)
    profile = fit_profile(counts, T0, MIN)
    expected_at_outage_time = profile.expected(T0 + timedelta(days=21, minutes=1140))
    assert expected_at_outage_time == pytest.approx(mu[1140], rel=0.1)
    # ... so the same outage a week later is still detected at once.
    times = minutes(240, T0 + timedelta(days=21, minutes=1080))
    obs = poisson(11 * mu[1080:1320], 240, seed=10)
    assert len(opened(run(CFG, obs, profile.expected_many(np.array(times)), profile.alpha, times))) == 1


def small_service_with_a_big_outage_on_a_saturday_evening() -> tuple[np.ndarray, np.ndarray]:
    """Two weeks of a service with well under one reporter a minute, and a
    90-minute outage at 50x on the second Saturday evening."""
    n = 14 * 1440
    tod = (np.arange(n) % 1440) / 1440.0
    mu = 0.05 + 0.45 * 0.5 * (1 - np.cos(2 * np.pi * (tod - 0.25)))
    counts = poisson(mu, n, seed=3)
    hit = slice(12 * 1440 + 1250, 12 * 1440 + 1345)
    counts[hit] += poisson(50 * mu[hit], 95, seed=4)
    return mu, counts


def test_an_outage_in_history_does_not_teach_the_same_weekday_that_outages_are_normal():
    mu, counts = small_service_with_a_big_outage_on_a_saturday_evening()
    profile = fit_profile(counts, T0, MIN)
    next_saturday_evening = T0 + timedelta(days=19, minutes=1300)
    assert profile.expected(next_saturday_evening) == pytest.approx(mu[1300], rel=0.3)


def test_an_outage_on_a_sparse_series_does_not_inflate_its_dispersion():
    # On this series only the outage's own minutes ever expect >= 2 reporters:
    # they must not set the noise level for the weeks after.
    _, counts = small_service_with_a_big_outage_on_a_saturday_evening()
    profile = fit_profile(counts, T0, MIN)
    assert profile.alpha < 0.5
    # ... so the next outage, at 20x on a quiet evening, opens within 3 minutes.
    times = minutes(60, T0 + timedelta(days=14, minutes=1250))
    expected = profile.expected_many(np.array(times))
    events = run(CFG, poisson(20 * expected, 60, seed=5), expected, profile.alpha, times)
    assert opened(events)
    assert opened(events)[0].time <= datetime.fromtimestamp(times[3], UTC)


def test_the_baseline_follows_a_level_change_within_days():
    n = 21 * 1440
    mu = daily_cycle(n)
    mu[14 * 1440 :] *= 2.0  # the service doubled its audience a week ago
    profile = fit_profile(poisson(mu, n, seed=11), T0, MIN)
    assert profile.expected(T0 + timedelta(days=21, hours=18)) == pytest.approx(mu[-1440 + 18 * 60], rel=0.15)


def test_a_prior_shape_carries_a_new_series():
    prior = fit_profile(poisson(daily_cycle(14 * 1440), 14 * 1440, seed=12), T0, MIN)
    share = prior.scaled(0.1)  # a region with 10 % of the service's reporters
    new = fit_profile(np.array([]), T0, MIN, prior=share, floor=0.01)
    assert new.expected(T0 + timedelta(hours=18)) == pytest.approx(
        0.1 * prior.expected(T0 + timedelta(hours=18))
    )


def test_a_prior_in_utc_is_read_at_the_right_hours_of_a_local_time_series():
    prior = fit_profile(poisson(daily_cycle(14 * 1440), 14 * 1440, seed=12), T0, MIN)
    new = fit_profile(np.array([]), T0, MIN, prior=prior.scaled(0.1), zone="Asia/Tokyo")
    evening = T0 + timedelta(days=20, hours=18)
    assert new.expected(evening) == pytest.approx(0.1 * prior.expected(evening), rel=0.05)


NEW_YORK = ZoneInfo("America/New_York")


def morning_ramp_in_new_york(times: np.ndarray) -> np.ndarray:
    """Reporters per minute that follow New York's clocks: 1 a minute at night,
    30 from 9:00 local, ramping up from 6:00."""
    local_hour = np.array([datetime.fromtimestamp(t, NEW_YORK).hour for t in times[::60]]).repeat(60)[
        : len(times)
    ]
    return np.interp(local_hour, [0, 6, 9, 18, 23], [1.0, 1.0, 30.0, 30.0, 1.0])


def test_a_local_time_profile_follows_a_daylight_saving_change_at_once():
    # Four weeks of history ending three days after New York's clocks went forward
    # (2025-03-09); the Wednesday morning after, at 7:30 local = 11:30 UTC.
    start = datetime(2025, 2, 12, 5, tzinfo=UTC)
    times = start.timestamp() + MIN * np.arange(28 * 1440)
    counts = poisson(morning_ramp_in_new_york(times), len(times), seed=21)
    wednesday_7_30 = datetime(2025, 3, 12, 11, 30, tzinfo=UTC)
    truth = morning_ramp_in_new_york(np.array([wednesday_7_30.timestamp()]))[0]

    local = fit_profile(counts, start, MIN, zone="America/New_York")
    in_utc = fit_profile(counts, start, MIN)

    assert local.expected(wednesday_7_30) == pytest.approx(truth, rel=0.15)
    # Kept in UTC, the profile still expects the old timing: an hour behind.
    assert in_utc.expected(wednesday_7_30) < 0.75 * truth


def fixed_offset_morning_ramp(times: np.ndarray) -> np.ndarray:
    """The same day as morning_ramp_in_new_york on a fixed UTC-5, no clock change."""
    hour = ((times - 5 * 3600) // 3600) % 24
    return np.interp(hour, [0, 6, 9, 18, 23], [1.0, 1.0, 30.0, 30.0, 1.0])


@pytest.mark.parametrize(
    ("rate", "kept_in"),
    [(morning_ramp_in_new_york, "America/New_York"), (fixed_offset_morning_ramp, "")],
)
def test_across_a_clock_change_the_profile_keeps_the_clock_the_data_keep(rate, kept_in):
    start = datetime(2025, 2, 12, 5, tzinfo=UTC)
    times = start.timestamp() + MIN * np.arange(28 * 1440)
    counts = poisson(rate(times), len(times), seed=23)

    profile = fit_local_profile(counts, start, MIN, "America/New_York")

    assert profile.zone == kept_in
    wednesday_7_30 = datetime(2025, 3, 12, 11, 30, tzinfo=UTC)
    truth = rate(np.array([wednesday_7_30.timestamp()]))[0]
    assert profile.expected(wednesday_7_30) == pytest.approx(truth, rel=0.15)


def test_a_profile_keeps_its_zone_through_json_and_scaling():
    profile = fit_profile(poisson(5.0, 3 * 1440, seed=22), T0, MIN, zone="Europe/Berlin")
    again = Profile.from_dict(json.loads(json.dumps(profile.to_dict())))
    assert again.zone == profile.scaled(2.0).zone == "Europe/Berlin"
    assert again.expected(T0 + timedelta(days=4)) == pytest.approx(profile.expected(T0 + timedelta(days=4)))


def test_a_country_is_given_the_zone_where_most_of_its_people_live():
    assert country_zone("US") == "America/New_York"
    assert country_zone("au") == "Australia/Sydney"  # not Lord Howe Island's half-hour rule
    assert country_zone("DE") == "Europe/Berlin"
    assert country_zone("ZZ") == ""


def outage(n: int = 600, start: int = 100, length: int = 120, dip: tuple | None = None):
    mu = np.full(n, 20.0)
    obs = poisson(mu, n, seed=13)
    obs[start : start + length] += 60.0
    if dip:
        obs[dip[0] : dip[1]] = poisson(20.0, dip[1] - dip[0], seed=14)
    return obs, mu, minutes(n)


def test_a_spike_resolves_once_the_series_is_back_to_normal_for_a_while():
    obs, mu, times = outage()
    events = run(CFG, obs, mu, 0.0, times)
    assert [e.kind for e in events if e.kind != "level_changed"] == ["opened", "resolved"]
    resolved = events[-1]
    end_min = (resolved.end - T0).total_seconds() / MIN
    assert 220 <= end_min <= 225  # the excess ended at minute 220
    assert (resolved.time - resolved.end).total_seconds() >= CFG.resolve_after_seconds - MIN
    assert resolved.peak_observed >= 60 and resolved.peak_expected == 20.0


def test_a_brief_dip_inside_an_outage_does_not_resolve_it():
    obs, mu, times = outage(dip=(150, 160))
    kinds = [e.kind for e in run(CFG, obs, mu, 0.0, times)]
    assert kinds.count("opened") == 1 and kinds.count("resolved") == 1


def test_it_escalates_from_warning_to_danger_as_the_outage_grows():
    n = 400
    mu = np.full(n, 20.0)
    obs = poisson(mu, n, seed=15)
    obs[100:200] += 60.0  # 4x: "possible problems" at once, "problems detected" once it lasts
    events = run(CFG, obs, mu, 0.0, minutes(n))
    assert [(e.kind, e.level) for e in events[:2]] == [("opened", "warning"), ("level_changed", "danger")]
    # warning within 3 minutes; danger needs danger_duration_seconds (5 min) of run
    assert events[0].index < 103 and events[1].index >= 100 + CFG.danger_duration_seconds // MIN - 1


def test_the_state_round_trips_through_json_without_changing_the_outcome():
    obs, mu, times = outage()
    expected = run(CFG, obs, mu, 0.0, times)
    state, got = DetectorState(), []
    for i in range(len(obs)):
        if i % 7 == 0:  # the live task stores and reloads the state every minute
            state = DetectorState.from_dict(json.loads(json.dumps(state.to_dict())))
        state, events = step(CFG, state, obs[i], mu[i], 0.0, times[i])
        got.extend(events)
    assert [e.to_dict() | {"index": None} for e in got] == [e.to_dict() | {"index": None} for e in expected]
    assert DetectorConfig.from_dict(json.loads(json.dumps(CFG.to_dict()))) == CFG


def test_detect_series_learns_online_and_flags_the_spike_once():
    n = 10 * 288  # ten days of 5-minute buckets
    ts = [T0 + timedelta(minutes=5 * i) for i in range(n)]
    mu = 5 * daily_cycle(n * 5)[::5]
    values = poisson(mu, n, seed=16)
    at = 8 * 288 + 100
    values[at : at + 12] += 8 * mu[at : at + 12]
    rows = detect_series(ts, values)
    assert len(rows) == n and rows[0]["timestamp"] == ts[0]
    spikes = [i for i, r in enumerate(rows) if r["is_spike"]]
    assert len(spikes) == 1 and at <= spikes[0] <= at + 1
    assert rows[at + 5]["level"] == "danger"
    assert math.isnan(rows[0]["expected"]) and rows[-1]["expected"] > 0


def test_a_strong_weekly_cycle_is_learned_so_mondays_are_not_outages():
    # "business" services: weekdays ~1.2, weekends ~0.4 of the mean.
    n = 21 * 1440
    week = np.array([1.22, 1.2, 1.2, 1.18, 1.05, 0.45, 0.4])
    mu = daily_cycle(n) * week[(np.arange(n) // 1440) % 7]
    profile = fit_profile(poisson(mu, n, seed=17), T0, MIN)
    monday_noon = T0 + timedelta(days=21, hours=12)  # fitted on Sunday night
    assert profile.expected(monday_noon) == pytest.approx(mu[12 * 60], rel=0.15)


def test_the_size_gate_looks_at_the_current_run_not_at_quiet_minutes_before_it():
    # 5x for 3 minutes on a busy series: a 15-minute window would still be at
    # 1.8x (below min_ratio), the run since onset is at 5x.
    n = 120
    mu = np.full(n, 20.0)
    obs = mu.copy()
    obs[60:] = 100.0
    first = opened(run(CFG, obs, mu, 0.0, minutes(n)))
    assert len(first) == 1 and first[0].index <= 62


def test_a_sharp_onset_opens_on_its_first_minute():
    # 2 -> 30 reporters a minute: the one-minute window of the scan carries it,
    # i.e. "detected" 1 minute after the onset.
    n = 240
    mu = np.full(n, 2.0)
    obs = mu.copy()
    obs[120:180] = 30.0
    first = opened(run(CFG, obs, mu, 0.1, minutes(n)))
    assert len(first) == 1 and first[0].index == 120
    assert first[0].level == "warning"
    assert (first[0].onset - T0).total_seconds() / MIN == 120


@pytest.mark.parametrize("seed", range(4))
def test_a_slow_rise_is_said_to_start_where_it_begins_not_where_its_evidence_window_does(seed):
    # 20 reporters a minute, then four more each minute for half an hour: the scan's
    # evidence comes from a window starting ten minutes in (the start reported
    # before); the change point looks back over the hour.
    mu = np.full(300, 20.0)
    rate = mu.copy()
    rate[100:130] = 20 + 4 * np.arange(30)
    rate[130:200] = 140
    first = opened(run(CFG, poisson(rate, 300, seed=seed), mu, 0.1, minutes(300)))
    assert len(first) == 1
    assert 100 <= (first[0].onset - T0).total_seconds() / MIN <= 106


@pytest.mark.parametrize("seed", range(4))
def test_scattered_single_reporters_before_a_rise_do_not_move_its_start(seed):
    rate = np.full(200, 0.4)
    rate[120:160] = 5.0
    first = opened(run(CFG, poisson(rate, 200, seed=seed), np.full(200, 0.4), 0.1, minutes(200)))
    assert len(first) == 1
    assert 119 <= (first[0].onset - T0).total_seconds() / MIN <= 121


def test_a_handful_in_one_minute_on_a_quiet_service_is_not_a_spike_but_a_few_more_are():
    n = 240
    mu = np.full(n, 0.05)
    obs = np.zeros(n)
    obs[120] = CFG.handful + 2.0  # surprising, but a handful and two: not evidence enough
    assert opened(run(CFG, obs, mu, 0.0, minutes(n))) == []
    obs[120] = CFG.handful + 5.0
    assert len(opened(run(CFG, obs, mu, 0.0, minutes(n)))) == 1


def sparse_outage(dip: tuple | None = None):
    # Well under one reporter a minute expected; 2 h outage at ~1.5 people/min.
    n, start, length = 600, 100, 120
    mu = np.full(n, 0.05)
    obs = poisson(mu, n, seed=20)
    obs[start : start + length] += poisson(1.5, length, seed=21)
    if dip:
        obs[dip[0] : dip[1]] = 0.0
    return obs, mu, minutes(n), start + length


def test_a_sparse_series_spike_resolves_within_resolve_after_of_the_end():
    obs, mu, times, end = sparse_outage()
    events = [e for e in run(CFG, obs, mu, 0.0, times) if e.kind != "level_changed"]
    assert [e.kind for e in events] == ["opened", "resolved"]
    resolved = events[-1]
    end_min = (resolved.end - T0).total_seconds() / MIN
    assert end - 3 <= end_min <= end + 3  # the excess ended at minute 220
    delay = (resolved.time - T0).total_seconds() / MIN - end
    assert delay <= CFG.resolve_after_seconds / MIN + 3


def test_a_dip_inside_a_sparse_outage_does_not_resolve_it():
    obs, mu, times, end = sparse_outage(dip=(150, 175))  # 25 quiet minutes mid-outage
    events = [e for e in run(CFG, obs, mu, 0.0, times) if e.kind != "level_changed"]
    assert [e.kind for e in events] == ["opened", "resolved"]
    assert abs((events[-1].end - T0).total_seconds() / MIN - end) <= 3


def test_nothing_of_a_spike_is_carried_past_its_end():
    obs, mu, times, _ = sparse_outage()
    state = DetectorState()
    for i in range(len(obs)):
        state, events = step(CFG, state, obs[i], mu[i], 0.0, times[i])
        if any(e.kind == "resolved" for e in events):
            fresh = DetectorState(last_time=state.last_time)
            kept = ("recent_obs", "recent_exp", "recent_reports")
            assert {k: v for k, v in state.to_dict().items() if k not in kept} == {
                k: v for k, v in fresh.to_dict().items() if k not in kept
            }
            break
    else:
        raise AssertionError("never resolved")
