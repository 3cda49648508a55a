"""The detector's evidence and its calibration in wall-clock time (spikes.detection);
no Django needed."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest

from spikes.detection import Calibration, DetectorConfig, Profile, fit_profile, run
from spikes.detection.calibration import scale_buckets, surprise_many, threshold_u

T0 = datetime(2024, 1, 1, tzinfo=UTC).timestamp()  # a Monday
CFG = DetectorConfig(bucket_seconds=60)


def times(n: int, bucket: int = 60) -> list[float]:
    return [T0 + bucket * i for i in range(n)]


def opened(events: list) -> list:
    return [e for e in events if e.kind == "opened"]


@pytest.mark.parametrize("level", [0.05, 1.0, 30.0])
def test_a_count_is_about_as_surprising_as_it_is_rare_at_any_level(level):
    # Mid-p: a count's surprise is between that of "this many or more" and "more"
    # (so never more than twice as common as e^-s), whatever the level.
    x = np.random.default_rng(1).poisson(level, 400_000).astype(float)
    s = surprise_many(x, np.full(len(x), level), 0.0)
    for bar in (3.0, 5.0, 7.0):
        share = float(np.mean(s >= bar))
        assert share <= 2 * math.exp(-bar)
        if level >= 1.0:  # counts fine enough to be as rare as they may
            assert share >= math.exp(-bar) / 3


def test_the_threshold_depends_on_the_rate_per_week_not_on_the_bucket_length():
    assert threshold_u(0.1, 8) == pytest.approx(math.log(8 * 70))
    one_minute, five_minutes = Calibration.model(60), Calibration.model(300)
    assert scale_buckets(60) == (1, 2, 3, 5, 10, 15, 30, 60)
    assert scale_buckets(300) == (1, 2, 3, 6, 12)
    # Five times fewer buckets a day: a day's largest one-bucket surprise is ln 5 lower.
    assert one_minute.scales[0].floor - five_minutes.scales[0].floor == pytest.approx(math.log(5))


@pytest.mark.parametrize("bucket, level", [(60, 3.0), (300, 15.0)])
def test_the_scan_alone_raises_false_alarms_at_the_rate_asked_for(bucket, level):
    # Pure evidence (no size gate), at a rate high enough to count in 20 weeks.
    config = replace(
        DetectorConfig(bucket_seconds=bucket),
        false_alarms_per_week=2.0,
        handful=0,
        min_ratio=1.0,
        resolve_after_seconds=2 * bucket,
    )
    n = 20 * 7 * 86400 // bucket
    counts = np.random.default_rng(bucket).poisson(level, n).astype(float)
    alarms = len(opened(run(config, counts, np.full(n, level), 0.0, times(n, bucket))))
    assert 10 <= alarms <= 80  # 40 expected; the model's location errs on the rare side


def test_everyday_bursts_are_learned_and_a_real_outage_still_stands_out():
    # Five-minute buckets, a one-bucket burst of 10-40x at a random time every day.
    rng = np.random.default_rng(7)
    per_day, days = 288, 35
    n = per_day * days
    level = np.full(n, 20.0)
    counts = rng.poisson(level).astype(float)
    for day in range(days):
        at = day * per_day + int(rng.integers(per_day))
        counts[at] += level[at] * rng.uniform(10, 40)
    history = 28 * per_day
    profile = fit_profile(counts[:history], T0, 300)
    assert profile.calibration.scales[0].alpha > 0.1  # heavy-tailed: bursts are usual
    config = DetectorConfig(bucket_seconds=300)
    rest = times(n, 300)[history:]
    expected = profile.expected_many(np.array(rest))
    assert opened(run(config, counts[history:], expected, profile.calibration, rest)) == []
    outage = counts[history:].copy()
    outage[500:524] += 60 * 20.0  # two hours at 60x
    assert len(opened(run(config, outage, expected, profile.calibration, rest))) == 1


def test_the_calibration_travels_with_the_profile_json():
    counts = np.random.default_rng(3).poisson(5.0, 14 * 1440).astype(float)
    profile = fit_profile(counts, T0, 60)
    again = Profile.from_dict(profile.to_dict())
    assert again.calibration == Calibration.from_dict(profile.calibration.to_dict())
    assert [s.buckets for s in again.calibration.scales] == list(scale_buckets(60))


def quiet_country(n: int = 6 * 60, seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    """A country that sends a service two reporters an hour."""
    mu = np.full(n, 2.0 / 60)
    return np.random.default_rng(seed).poisson(mu).astype(float), mu


def test_forty_people_in_an_hour_where_two_are_usual_is_an_outage():
    counts, mu = quiet_country()
    arrivals = np.random.default_rng(12).integers(120, 180, size=40)
    np.add.at(counts, arrivals, 1.0)
    first = opened(run(CFG, counts, mu, 0.0, times(len(counts))))
    assert len(first) == 1 and 120 <= first[0].index < 180


def test_a_handful_reporting_again_every_sixteen_minutes_never_opens_a_spike():
    counts, mu = quiet_country()
    for person in range(CFG.handful):  # each counts again once the repeat window is over
        counts[30 + person :: 16] += 1.0
    assert opened(run(CFG, counts, mu, 0.0, times(len(counts)))) == []


def campaign(reports_per_reporter: float) -> list:
    """Forty distinct people over an hour on a quiet series, each filing reports."""
    counts, mu = quiet_country(seed=13)
    counted = np.zeros(len(counts))
    np.add.at(counted, np.random.default_rng(14).integers(120, 180, size=60), 1.0)
    counts = counts + counted
    reports = counts + counted * (reports_per_reporter - 1.0)
    return run(CFG, counts, mu, 0.0, times(len(counts)), reports=reports)


def test_a_campaign_of_reporters_who_report_again_and_again_stays_at_possible_problems():
    events = campaign(reports_per_reporter=3.0)
    assert [e.kind for e in events] == ["opened", "resolved"]
    assert {e.level for e in events} == {"warning"}


def test_the_same_people_reporting_once_each_are_problems_detected():
    events = campaign(reports_per_reporter=1.0)
    assert "danger" in {e.level for e in events}
