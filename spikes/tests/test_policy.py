"""The detection policy (spikes.detection.policy) on its own: arrays in, decisions
out; no Django, no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import numpy as np

from spikes.detection import DetectorState, Profile, flat_profile
from spikes.detection.policy import (
    DEFAULT,
    Checks,
    Fit,
    regional_prior,
    replay_decisions,
    replay_fits,
    replay_gaps,
)

START = datetime(2024, 1, 1, tzinfo=UTC).timestamp()  # a Monday
DAY = 1440  # minutes
HOUR = 60


def every_minute(n: int) -> Checks:
    """Fits checked after every minute, as the harness does."""
    return Checks(origin=START + 60, every=60, end=START + 60 * n)


def busy_days(days: int, per_minute: float = 20.0, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).poisson(per_minute, days * DAY).astype(float)


def profile_of(per_minute: float, days: float, prior_days: float | None = None) -> Profile:
    profile = flat_profile(per_minute, 60, alpha=0.0)
    profile.n_days = days
    if prior_days is not None:
        profile.extra["prior_days"] = prior_days
    return profile


def outage(values: np.ndarray, at: int, minutes: int = 30, extra: float = 40.0) -> np.ndarray:
    values = values.copy()
    values[at : at + minutes] += extra
    return values


# --- schedule ----------------------------------------------------------------------


def test_a_series_is_fitted_once_its_first_minute_is_over_then_every_refit_interval():
    first = START + 90 * 60
    end = START + 3 * 86400
    fits = DEFAULT.fit_times(first, end, every=60, origin=START + 60)
    assert fits[0] == first + 60
    assert np.diff(fits).tolist() == [DEFAULT.refit_every_seconds] * (len(fits) - 1)
    assert fits[-1] + DEFAULT.refit_every_seconds >= end


def test_fits_checked_every_ten_minutes_come_at_the_first_check_after_they_are_due():
    daily = replace(DEFAULT, refit_every_seconds=86400 + 60)
    fits = daily.fit_times(START + 7 * 60, START + 2 * 86400 + 3600, every=600, origin=START)
    assert fits == [START + 600, START + 600 + 86400 + 600, START + 600 + 2 * (86400 + 600)]
    assert daily.refit_due(None, START)
    assert not daily.refit_due(fits[0], fits[0] + 86400)
    assert daily.refit_due(fits[0], fits[0] + 86400 + 60)


def test_each_fit_reads_only_the_minutes_before_it():
    values = busy_days(3)
    fits = replay_fits(DEFAULT, values, START, START, every_minute(len(values)))
    for fit in fits:
        seen = (fit.at - START) / 86400
        assert abs(fit.profile.n_days - seen) < 1e-9
    # An outage from the minute of a fit on: that fit has not seen it, the next has.
    k = len(fits) // 2
    hit = outage(values, int((fits[k].at - START) // 60), extra=500.0)
    refits = replay_fits(DEFAULT, hit, START, START, every_minute(len(values)))
    at, after = fits[k].at, fits[k + 1].at
    assert refits[k].profile.expected(at) == fits[k].profile.expected(at)
    assert refits[k + 1].profile.expected(after) != fits[k + 1].profile.expected(after)


def test_the_history_is_the_last_four_weeks_at_most():
    values = busy_days(35)
    fits = replay_fits(DEFAULT, values, START, START, every_minute(len(values)))
    assert max(f.profile.n_days for f in fits) == DEFAULT.history_days


def test_a_refit_keeps_the_calibration_until_it_is_a_day_old():
    values = busy_days(10)
    fits = replay_fits(DEFAULT, values, START, START, every_minute(len(values)))
    calibrated = [f for f in fits if f.profile.calibration is not None]
    made = sorted({f.profile.extra["calibrated_at"] for f in calibrated})
    # Four refits a day, one new calibration a day: each kept by the three after it.
    assert len(calibrated) >= 4 * len(made) - 4
    assert set(np.diff(made).tolist()) == {DEFAULT.recalibrate_every_seconds}
    for fit in calibrated:
        assert 0 <= fit.at - fit.profile.extra["calibrated_at"] < DEFAULT.recalibrate_every_seconds
    at = [f.profile.extra["calibrated_at"] for f in calibrated]
    kept = [(a, b) for a, b, x, y in zip(calibrated, calibrated[1:], at, at[1:]) if x == y]
    assert kept and all(a.profile.calibration == b.profile.calibration for a, b in kept)


def test_a_calibration_kept_is_the_one_a_new_fit_would_make_on_nearly_the_same_history():
    values = busy_days(10)
    now = START + 9 * 86400
    earlier = DEFAULT.fit(values[: 9 * DAY - 6 * HOUR], START)
    kept = DEFAULT.fit(values[: 9 * DAY], START, previous=earlier)
    fresh = DEFAULT.fit(values[: 9 * DAY], START)
    assert kept.calibration == earlier.calibration
    assert kept.extra["calibrated_at"] == now - 6 * HOUR * 60 and fresh.extra["calibrated_at"] == now
    for a, b in zip(kept.calibration.scales, fresh.calibration.scales):
        assert abs(a.alpha - b.alpha) <= 0.1 * b.alpha + 1e-3


# --- warm-up and regional prior -------------------------------------------------------


def test_a_series_with_less_than_a_day_of_history_is_not_judged():
    values = outage(np.full(120, 0.0), 60, extra=80.0)
    times = START + 60 * np.arange(120, dtype=float)
    state, decisions = DEFAULT.step(DetectorState(), times, values, profile_of(0.1, days=0.9))
    assert decisions == [] and state == DetectorState()
    _, decisions = DEFAULT.step(DetectorState(), times, values, profile_of(0.1, days=1.0))
    assert decisions[0].kind == "opened"


def test_a_regional_prior_counts_towards_the_warm_up():
    values = outage(np.full(120, 0.0), 60, extra=80.0)
    times = START + 60 * np.arange(120, dtype=float)
    _, decisions = DEFAULT.step(DetectorState(), times, values, profile_of(0.1, days=0.2, prior_days=0.8))
    assert decisions[0].kind == "opened"


def test_a_regional_prior_is_the_service_profile_times_the_regions_share():
    parent = profile_of(10.0, days=14)
    prior = regional_prior(parent, own_total=250.0, parent_total=1000.0)
    assert prior.expected(START) == 2.5 and prior.n_days == 14
    assert regional_prior(parent, own_total=0.0, parent_total=0.0) is None
    assert regional_prior(None, own_total=5.0, parent_total=10.0) is None


def test_a_new_region_is_judged_on_its_first_day_thanks_to_its_service():
    service = busy_days(10, per_minute=40.0)
    region = np.zeros_like(service)
    region[8 * DAY :] = np.random.default_rng(2).poisson(10.0, 2 * DAY)
    checks = every_minute(len(service))
    parent_fits = replay_fits(DEFAULT, service, START, START, checks)
    fits = replay_fits(DEFAULT, region, START, START + 8 * 86400, checks, parent=(parent_fits, service))
    first = fits[0].profile
    assert first.extra["prior_days"] >= 7 and DEFAULT.is_ready(first)
    # Its share of the service since it appeared: a quarter.
    assert abs(first.expected(fits[0].at) - 10.0) < 3.0


# --- intake gaps ------------------------------------------------------------------------


def test_a_minute_without_reports_is_a_gap_only_where_many_were_expected():
    day = np.arange(3 * DAY) % DAY / DAY
    busy = 0.2 + 30.0 * 0.5 * (1 - np.cos(2 * np.pi * day))  # quiet at night, busy at noon
    totals = np.random.default_rng(3).poisson(busy).astype(float)
    totals[2 * DAY + 12 * HOUR : 2 * DAY + 12 * HOUR + 20] = 0  # the intake was down
    gaps = replay_gaps(DEFAULT, totals, totals > 0, START, every_minute(len(totals)))
    down = np.arange(2 * DAY + 12 * HOUR, 2 * DAY + 12 * HOUR + 20)
    assert gaps[down].all()
    quiet_nights = np.flatnonzero((totals == 0) & (busy < 1))
    assert len(quiet_nights) > 100 and not gaps[quiet_nights].any()


def test_gap_minutes_are_missing_data_to_the_detector():
    times = START + 60 * np.arange(30, dtype=float)
    profile = profile_of(20.0, days=7)
    state, _ = DEFAULT.step(DetectorState(), times[:10], np.full(10, 20.0), profile)
    before = replace(state, recent_obs=list(state.recent_obs), recent_exp=list(state.recent_exp))
    after_gap, decisions = DEFAULT.step(state, times[10:], np.full(20, np.nan), profile)
    assert decisions == [] and after_gap == before
    after_zeros, _ = DEFAULT.step(before, times[10:], np.zeros(20), profile)
    assert after_zeros != replace(state)


def test_a_gap_in_the_history_is_left_out_of_the_fit_not_learned_as_quiet():
    values = busy_days(8)
    gap = slice(6 * DAY + 9 * HOUR, 6 * DAY + 15 * HOUR)
    with_gap, with_zeros = values.copy(), values.copy()
    with_gap[gap], with_zeros[gap] = np.nan, 0.0
    checks = every_minute(len(values))
    fitted = replay_fits(DEFAULT, with_gap, START, START, checks)[-1].profile
    zeroed = replay_fits(DEFAULT, with_zeros, START, START, checks)[-1].profile
    assert fitted.n_days < zeroed.n_days
    noon = START + 6 * 86400 + 12 * 3600
    assert fitted.expected(noon) > zeroed.expected(noon)


# --- decisions ---------------------------------------------------------------------------


def test_an_outage_becomes_opened_then_resolved_decisions_with_their_times():
    values = outage(busy_days(3), 2 * DAY + 600, minutes=45, extra=60.0)
    fits = replay_fits(DEFAULT, values, START, START, every_minute(len(values)))
    decisions, state = replay_decisions(DEFAULT, values, START, fits)
    assert [d.kind for d in decisions] == ["opened", "level_changed", "resolved"]
    opened, _, resolved = decisions
    onset = START + 60 * (2 * DAY + 600)
    assert abs(opened.started_at.timestamp() - onset) <= 60
    assert opened.decided_at.timestamp() == opened.at.timestamp() + 60
    assert opened.decided_at.timestamp() - onset <= 3 * 60
    assert abs(resolved.ended_at.timestamp() - (onset + 45 * 60)) <= 5 * 60
    assert resolved.peak_reports >= 60 and not state.is_open


def test_stepping_in_pieces_decides_as_stepping_at_once():
    """The live pass steps a series a few minutes at a time, the replays all at once."""
    values = outage(busy_days(3), 2 * DAY + 600, minutes=45, extra=60.0)
    times = START + 60 * np.arange(len(values), dtype=float)
    profile = replay_fits(DEFAULT, values, START, START, every_minute(2 * DAY + 1))[-1].profile
    whole_state, whole = DEFAULT.step(DetectorState(), times, values, profile)
    state, pieces = DetectorState(), []
    for lo in range(0, len(values), 7):
        state, made = DEFAULT.step(
            DetectorState.from_dict(vars(state)), times[lo : lo + 7], values[lo : lo + 7], profile
        )
        pieces.extend(made)
    assert pieces == whole and vars(state) == vars(whole_state)


def test_fits_are_used_from_the_minute_they_are_made():
    values = busy_days(2)
    times = START + 60 * np.arange(len(values), dtype=float)
    ready = profile_of(20.0, days=2)
    spike = outage(values, DAY + 100, extra=200.0)
    late = [Fit(START + 60 * (DAY + 200), ready)]
    early = [Fit(START + 60 * (DAY + 50), ready)]
    assert replay_decisions(DEFAULT, spike, START, late)[0] == []
    assert [d.kind for d in replay_decisions(DEFAULT, spike, START, early)[0]][:1] == ["opened"]
    assert len(times) == len(values)
