"""Single-series, online backtest: learn the baseline from the past only, detect.

``detect_series`` is what ``manage.py backtest --series FILE.csv`` calls.  It
replays one series at its own interval through exactly the same code as the
live task: ``fit_profile`` (re-fitted every ``refit_seconds`` on the data seen
so far, never on the future) and ``detector.step`` for every row.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .baseline import DAY, Profile, fit_profile, to_epoch
from .calibration import Calibration
from .detector import DetectorConfig, DetectorState, step


def infer_interval(times: Sequence[float] | np.ndarray) -> int:
    """Bucket length in seconds: the median spacing of the timestamps."""
    t = np.asarray(times, dtype=float)
    if len(t) < 2:
        return 60
    return max(1, int(round(float(np.median(np.diff(t))))))


def online_baseline(
    times: Sequence[float] | np.ndarray,
    values: Sequence[float] | np.ndarray,
    bucket_seconds: int,
    *,
    utc_offset_hours: float = 0.0,
    refit_seconds: float = 6 * 3600,
    history_days: float = 28.0,
    warmup_seconds: float = 86400,
    floor_per_hour: float = 0.0,
) -> tuple[np.ndarray, list]:
    """Expected count and calibration per row, each from a profile fitted on the PAST only.

    The profile is re-fitted every ``refit_seconds`` on the last
    ``history_days`` (6 h: cheap, and follows level changes within a day).
    Rows before ``warmup_seconds`` of history get NaN (a baseline from a few
    hours cannot know the daily cycle).
    """
    t = np.asarray(times, dtype=float)
    v = np.asarray(values, dtype=float)
    n, b = len(v), int(bucket_seconds)
    expected = np.full(n, np.nan)
    calibration: list = [None] * n
    hist = int(history_days * DAY / b)
    next_fit = t[0] + warmup_seconds if n else 0.0
    i = int(np.searchsorted(t, next_fit, side="left"))
    while i < n:
        lo = max(0, i - hist)
        # Array positions are taken as a regular grid from t[lo] (NAB files and
        # our exports are gap-free; the live path works on a regular grid).
        profile: Profile = fit_profile(
            v[lo:i], t[lo], b, utc_offset_hours=utc_offset_hours, floor=floor_per_hour * b / 3600.0
        )
        j = max(int(np.searchsorted(t, t[i] + refit_seconds, side="left")), i + 1)
        expected[i:j] = profile.expected_many(t[i:j])
        calibration[i:j] = [profile.calibration or profile.alpha] * (j - i)
        i = j
    return expected, calibration


def detect_series(
    timestamps: Sequence[Any],
    values: Sequence[float] | np.ndarray,
    config: DetectorConfig | None = None,
    *,
    utc_offset_hours: float = 0.0,
    **baseline_options: Any,
) -> list[dict]:
    """Detect spikes in ONE series, online (no look-ahead).

    timestamps: datetimes (naive = UTC), epoch seconds or ISO strings, ascending.
    values: counts, NaN = no data.
    config: detector thresholds; ``bucket_seconds`` is replaced by the
        interval inferred from the timestamps (durations stay in seconds).
    baseline_options: passed to :func:`online_baseline`.

    Returns one dict per row: timestamp (as given), value, is_spike (1 only on
    the row where a spike OPENS), level ("", "warning", "danger"), expected
    (NaN during warm-up) and alpha (the dispersion used).
    """
    ts = [to_epoch(_parse(t)) for t in timestamps]
    if not ts:
        return []
    b = infer_interval(ts)
    cfg = dataclasses.replace(config or DetectorConfig(), bucket_seconds=b)
    expected, alpha = online_baseline(ts, values, b, utc_offset_hours=utc_offset_hours, **baseline_options)
    return detect_with_baseline(cfg, timestamps, ts, values, expected, alpha)


def detect_with_baseline(
    cfg: DetectorConfig,
    timestamps: Sequence[Any],
    ts: Sequence[float],
    values: Sequence[float] | np.ndarray,
    expected: np.ndarray,
    calibration: list,
) -> list[dict]:
    """The detection loop of :func:`detect_series` given a precomputed baseline."""
    state = DetectorState()
    rows: list[dict] = []
    vals = np.asarray(values, dtype=float).tolist()
    exp_l = expected.tolist()
    for k in range(len(vals)):
        mu = exp_l[k]
        obs = vals[k] if mu == mu else math.nan  # warm-up: no baseline, no detection
        cal = calibration[k]
        state, events = step(cfg, state, obs, mu, cal if cal is not None else 0.0, ts[k])
        opened = any(e.kind == "opened" for e in events)
        rows.append(
            {
                "timestamp": timestamps[k],
                "value": vals[k],
                "is_spike": 1 if opened else 0,
                "level": state.level,
                "expected": mu,
                "alpha": cal.scales[0].alpha if isinstance(cal, Calibration) else (cal or 0.0),
            }
        )
    return rows


def _parse(t: Any) -> Any:
    if isinstance(t, str):
        from datetime import datetime

        s = t.strip().replace("T", " ").removesuffix("Z")
        return datetime.fromisoformat(s)
    return t
