"""Single-series, online backtest: learn the baseline from the past only, detect.

``detect_series`` is what ``manage.py backtest --series FILE.csv`` and the NAB
benchmark call. It replays one series at its own interval through the detection
policy the live pass runs (``policy``: the same schedule, history, warm-up and
decisions, on buckets of the file's interval), fitting on the data seen so far,
never on the future.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np

from .baseline import to_epoch
from .policy import DEFAULT, Checks, Decision, Fit, Policy, replay_decisions, replay_fits


def infer_interval(times: Sequence[float] | np.ndarray) -> int:
    """Bucket length in seconds: the median spacing of the timestamps."""
    t = np.asarray(times, dtype=float)
    if len(t) < 2:
        return 60
    return max(1, int(round(float(np.median(np.diff(t))))))


def expected_per_bucket(policy: Policy, fits: Sequence[Fit], times: np.ndarray) -> np.ndarray:
    """What each bucket was judged against: the newest fit made before it, NaN
    while the series is not ready."""
    expected = np.full(len(times), np.nan)
    for k, fit in enumerate(fits):
        until = fits[k + 1].at if k + 1 < len(fits) else np.inf
        rows = (times >= fit.at) & (times < until)
        if policy.is_ready(fit.profile) and rows.any():
            expected[rows] = fit.profile.expected_many(times[rows])
    return expected


def levels_per_bucket(decisions: Sequence[Decision], times: np.ndarray) -> list[str]:
    """The open spike's level after each bucket ("" when none is open)."""
    changes = {d.at.timestamp(): ("" if d.kind == "resolved" else d.level) for d in decisions}
    level, levels = "", []
    for t in times.tolist():
        level = changes.get(t, level)
        levels.append(level)
    return levels


def detect_series(
    timestamps: Sequence[Any], values: Sequence[float] | np.ndarray, policy: Policy | None = None
) -> list[dict]:
    """Detect spikes in ONE series, online (no look-ahead).

    timestamps: datetimes (naive = UTC), epoch seconds or ISO strings, ascending.
    values: counts, NaN = no data.
    policy: the detection policy (default: the live one), put on buckets of the
        interval inferred from the timestamps (its durations stay in seconds).

    Returns one dict per row: timestamp (as given), value, is_spike (1 only on
    the row where a spike OPENS), level ("", "warning", "danger"), expected
    (NaN until the baseline is ready).
    """
    ts = np.array([to_epoch(_parse(t)) for t in timestamps], dtype=float)
    if not len(ts):
        return []
    b = infer_interval(ts)
    policy = (policy or DEFAULT).for_buckets(b)
    # On the bucket grid from the first row; rows missing from the file are missing data.
    index = np.round((ts - ts[0]) / b).astype(np.int64)
    grid = np.full(int(index[-1]) + 1, np.nan)
    grid[index] = np.asarray(values, dtype=float)
    start, end = float(ts[0]), float(ts[0]) + b * len(grid)
    heard = np.flatnonzero(np.isfinite(grid))
    if not len(heard):
        fits: list[Fit] = []
    else:
        first = start + b * float(heard[0])
        fits = replay_fits(policy, grid, start, first, Checks(origin=start, every=b, end=end))
    decisions, _ = replay_decisions(policy, grid, start, fits)
    times = start + b * index.astype(float)
    expected = expected_per_bucket(policy, fits, times)
    opened = {d.at.timestamp() for d in decisions if d.kind == "opened"}
    return [
        {
            "timestamp": stamp,
            "value": float(value),
            "is_spike": 1 if t in opened else 0,
            "level": level,
            "expected": float(mu),
        }
        for stamp, value, t, level, mu in zip(
            timestamps, grid[index].tolist(), times.tolist(), levels_per_bucket(decisions, times), expected
        )
    ]


def _parse(t: Any) -> Any:
    if isinstance(t, str):
        return datetime.fromisoformat(t.strip().replace("T", " ").removesuffix("Z"))
    return t
