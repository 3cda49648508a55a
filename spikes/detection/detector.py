"""The spike detector: a multi-scale scan of negative-binomial surprise, calibrated in
wall-clock time, with a size gate that a handful of reporters can never pass.

One bucket at a time, pure Python floats, no Django. The caller supplies the
observed count of DISTINCT reporters in the bucket, the baseline's expected count,
and the series' :class:`~spikes.detection.calibration.Calibration` (per window
length: the NB dispersion and the law of a day's largest surprise; a bare float
dispersion stands for the model's calibration, used without history). Optionally
the bucket's REPORTS (repeats included), which tell a campaign from an outage.

Evidence (calibration.py derives it): for each window of the scan (1, 2, 3, 5, 10,
15, 30 and 60 minutes, in buckets) ending at this bucket, the mid-p surprise of the
window's reporters against its expected count, standardised by that scale's daily
maxima: ``z_w = (S_w - loc_w) / spread_w``. The threshold ``u`` follows from the
target false alarms per series and week (``false_alarms_per_week``): the same
``u`` at every bucket length and level. A sharp outage crosses it in its first
minute, a slow one or a quiet country's in its 30- or 60-minute window.

A spike OPENS (level "warning", Downdetector's "possible problems") on a bucket
that adds to the excess, when some window w has z_w >= u, where z_w is computed
on what is left of the window's reporters once the most a ``handful`` of people
could have added is taken away (the counting keeps one report per reporter per
repeat window of 15 minutes, so a handful adds at most ``handful`` reporters per
15 minutes of the window: 5 within a quarter of an hour, 20 within an hour), and
the window holds ``min_ratio`` x its expected count. This size gate grows with
what the series usually sees: on a quiet regional series (2 people an hour) a
handful plus a few are the evidence, on WhatsApp worldwide (700 an hour) hundreds
are, and a handful alone never is. The spike's ONSET is the first bucket of that
window with more reporters than expected.

It ESCALATES to "danger" ("problems detected") once, since the onset, the evidence
reached the stricter ``danger_false_alarms_per_week`` threshold, at least
``danger_min_excess`` people more than expected came at ``danger_ratio`` x, for
``danger_duration_seconds``, and (when reports are given) at most
``max_repeat_share`` of the reports were repeats: people hit by an outage mostly
report once, a campaign of a few dozen fake reporters files several reports each.

It RESOLVES once the series has been back to normal for resolve_after_seconds,
judged on the recent OBSERVATIONS: over the last resolve_window_seconds,
observed < resolve_ratio x expected or the excess < resolve_excess. Hysteresis: a
dip inside an outage does not close it (a re-open is a new spike); the reported
end is where the excess ended (a change point inside that window).

Missing data: NaN observed = no data; the bucket is skipped (no evidence either
way). After a gap longer than gap_reset_seconds the windows are emptied, so the
return of normal traffic after an intake outage is judged against the baseline
only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from .baseline import to_epoch
from .calibration import Calibration, log_pmf, surprise, threshold_u

WARNING = "warning"
DANGER = "danger"
_LN2 = math.log(2.0)

# How much less likely than the best estimate a start may be and still be reported
# (a log-likelihood ratio: ln 4, "four times less likely"): _change_point.
CHANGE_POINT_SLACK = math.log(4)


@dataclass(frozen=True)
class DetectorConfig:
    """Settings, one set for every series. Durations are in SECONDS and converted
    with ``bucket_seconds``; rates are per series and WEEK (wall-clock time)."""

    bucket_seconds: int = 60
    # The evidence threshold: at most this many false alarms per series and week
    # from the scan alone (calibration.threshold_u). With the size gate and the
    # ratio on top: 0.007 false alarms per service-week (all its series together)
    # on the simulator's seed 1 (docs/detection.md, Measured).
    false_alarms_per_week: float = 0.1
    # "Problems detected" needs evidence a hundred times rarer than "possible
    # problems" (the threshold u + ln 100).
    danger_false_alarms_per_week: float = 0.001
    # People who must never raise a spike, however long they go on (report
    # bombing: one person, or a handful of friends or bots).
    handful: int = 5
    # The intake's repeat window: a reporter counts at most once per this long.
    repeat_window_seconds: float = 900.0
    min_ratio: float = 2.0
    danger_min_excess: float = 30.0
    danger_ratio: float = 2.5
    danger_duration_seconds: float = 300.0
    # Real people hit by an outage mostly report once (the simulator's outages: 6
    # % repeats, everyday reporting 2 %); a campaign's fake reporters file several
    # reports each (about half of them repeats).
    max_repeat_share: float = 0.25
    # Back to normal for 1 h before "resolved" (a re-open counts as a new spike,
    # so hysteresis must outlast the dips and lulls inside a real outage).
    resolve_after_seconds: float = 3600.0
    # "Back to normal" is judged on the recent OBSERVATIONS: a bucket is quiet
    # when, over the last resolve_window_seconds (the repeat window, so the
    # window counts distinct people), observed < resolve_ratio x expected or the
    # excess < resolve_excess people. Sim (seed 1 / seed 2): median |end - true
    # end| 25 / 35 min -> 16 / 20 min against judging on the evidence alone.
    resolve_window_seconds: float = 900.0
    resolve_ratio: float = 1.5
    resolve_excess: float = 5.0
    gap_reset_seconds: float = 1800.0
    # Expected counts below this (reporters per HOUR) are raised to it: for a
    # tiny service "0 expected" would make any single reporter infinitely
    # surprising.
    expected_floor_per_hour: float = 0.5

    def buckets(self, seconds: float) -> int:
        """Seconds -> whole buckets (at least 1)."""
        return max(1, int(math.ceil(seconds / self.bucket_seconds - 1e-9)))

    def handful_bound(self, window_buckets: int) -> float:
        """The most reporters a handful of people can add to a window of this many
        buckets: each counts at most once per repeat window."""
        repeats = math.ceil(window_buckets * self.bucket_seconds / self.repeat_window_seconds - 1e-9)
        return float(self.handful * max(1, repeats))

    def thresholds(self, n_scales: int) -> tuple[float, float]:
        """(u for "possible problems", u for "problems detected") over n_scales scales."""
        return (
            threshold_u(self.false_alarms_per_week, n_scales),
            threshold_u(self.danger_false_alarms_per_week, n_scales),
        )

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> DetectorConfig:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in d.items() if k in names})


@dataclass
class DetectorState:
    """Per-series state; JSON-serialisable via to_dict/from_dict.  Times are epoch seconds."""

    last_time: float | None = None  # last bucket with data
    level: str = ""  # "" (no spike), "warning" or "danger"
    opened_at: float | None = None
    onset: float | None = None  # the first elevated bucket of the evidence (its durations count from it)
    started: float | None = None  # the most likely first bucket of the rise (what the events report)
    quiet_len: int = 0
    quiet_start: float | None = None
    peak_time: float | None = None
    peak_observed: float = 0.0
    peak_expected: float = 0.0
    spike_obs: float = 0.0  # totals since the onset of the open spike
    spike_exp: float = 0.0
    spike_reports: float = 0.0
    spike_z: float = 0.0  # strongest evidence since the onset (standardised)
    recent_obs: list = field(default_factory=list)  # the last hour's buckets
    recent_exp: list = field(default_factory=list)
    recent_reports: list = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.level != ""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict | None) -> DetectorState:
        if not d:
            return cls()
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in d.items() if k in names})


@dataclass
class SpikeEvent:
    """kind: "opened" | "level_changed" | "resolved".  Times are aware UTC datetimes."""

    kind: str
    level: str
    time: datetime
    onset: datetime | None = None
    end: datetime | None = None
    peak_time: datetime | None = None
    peak_observed: float = 0.0
    peak_expected: float = 0.0
    index: int | None = None  # position in the input of run(), else None

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("time", "onset", "end", "peak_time"):
            if d[k] is not None:
                d[k] = d[k].isoformat()
        return d


def _dt(t: float | None) -> datetime | None:
    return None if t is None else datetime.fromtimestamp(t, tz=UTC)


def _close(state: DetectorState) -> None:
    state.level = ""
    state.opened_at = state.onset = state.started = state.quiet_start = state.peak_time = None
    state.quiet_len = 0
    state.peak_observed = state.peak_expected = 0.0
    state.spike_obs = state.spike_exp = state.spike_reports = 0.0
    state.spike_z = 0.0


@dataclass(frozen=True)
class Evidence:
    """The strongest window of the scan at one bucket that passes the size gate."""

    z: float  # standardised surprise (compare with DetectorConfig.thresholds)
    buckets: int  # its length
    observed: float
    expected: float


def evidence(
    c: DetectorConfig, cal: Calibration, obs: Sequence[float], exp: Sequence[float], floor_z: float
) -> Evidence | None:
    """The window (ending at the last bucket of ``obs``/``exp``) with the largest
    standardised surprise among those at or above ``floor_z``, or None. The
    surprise is that of the window's reporters less the most a handful of people
    could have added to it (the size gate: what is left must still be evidence),
    and the window must hold ``min_ratio`` x its expected count. Windows whose
    surprise cannot reach ``floor_z`` are skipped with a cheap bound (ln 2 -
    ln P(X = x) >= the mid-p surprise)."""
    best: Evidence | None = None
    n = len(obs)
    for sc in cal.scales:
        w = sc.buckets
        if w > n:
            break
        x, m = sum(obs[n - w :]), sum(exp[n - w :])
        # What is left once the most a handful of people could add is taken away.
        rest = x - c.handful_bound(w)
        if rest <= m or x < c.min_ratio * m:
            continue
        if _LN2 - log_pmf(rest, m, sc.alpha) < sc.threshold(floor_z):
            continue
        z = sc.z(surprise(rest, m, sc.alpha))
        if z >= floor_z and (best is None or z > best.z):
            best = Evidence(z, w, x, m)
    return best


def _excess_end(c: DetectorConfig, state: DetectorState, t: float, n: int) -> float:
    """Where the excess ended: the split of the last ``n`` buckets that maximises
    sum(obs - resolve_ratio * expected) before it (the CUSUM change point, run
    backwards), clamped to [opened_at, t].  Buckets are assumed contiguous
    (a skipped no-data bucket shifts the estimate by a bucket)."""
    b = c.bucket_seconds
    xs, ms = state.recent_obs[-n:], state.recent_exp[-n:]
    best, best_j, acc = 0.0, 0, 0.0
    for j in range(len(xs)):
        acc += xs[j] - c.resolve_ratio * ms[j]
        if acc > best:
            best, best_j = acc, j + 1
    end = t - (len(xs) - best_j) * b + b  # start of the bucket after the split
    lo = state.opened_at if state.opened_at is not None else t
    return float(min(max(end, lo), t))


def step(
    config: DetectorConfig,
    state: DetectorState | None,
    observed: float | None,
    expected: float | None,
    calibration: Calibration | float | None,
    bucket_time: datetime | float,
    reports: float | None = None,
) -> tuple[DetectorState, list[SpikeEvent]]:
    """Advance one bucket.  Mutates and returns ``state`` (a fresh one if None).

    ``calibration``: the series' Calibration, or a bare NB dispersion (the model's
    calibration with that dispersion at every scale). ``reports``: the bucket's
    reports including repeats (None: unknown, the repeat check is skipped).
    """
    if state is None:
        state = DetectorState()
    t = to_epoch(bucket_time)
    c = config
    b = c.bucket_seconds
    if observed is None or observed != observed:  # NaN / None: no data
        return state, []
    if state.last_time is not None and t - state.last_time > c.gap_reset_seconds:
        state.recent_obs, state.recent_exp, state.recent_reports = [], [], []  # stale after a gap
    state.last_time = t

    cal = calibration if isinstance(calibration, Calibration) else _model(b, calibration)
    floor = c.expected_floor_per_hour * b / 3600.0
    mu = expected if expected is not None and expected == expected else floor
    if mu < floor:
        mu = floor
    x = float(observed)
    r = x if reports is None or reports != reports else max(float(reports), x)

    ro, re_, rr = state.recent_obs, state.recent_exp, state.recent_reports
    ro.append(x)
    re_.append(mu)
    rr.append(r)
    keep = max(cal.scales[-1].buckets, c.buckets(c.resolve_window_seconds))
    if len(ro) > keep:
        del ro[0], re_[0], rr[0]

    u_warn, u_danger = _thresholds(c, len(cal.scales))
    events: list[SpikeEvent] = []

    if not state.is_open:
        # Only a bucket that adds to the excess can open a spike.
        ev = evidence(c, cal, ro, re_, u_warn) if x > mu else None
        if ev is None:
            return state, events
        onset_i = len(ro) - ev.buckets
        while onset_i < len(ro) - 1 and ro[onset_i] <= re_[onset_i]:
            onset_i += 1
        state.onset = t - (len(ro) - 1 - onset_i) * b
        state.started = t - (len(ro) - 1 - _change_point(ro, re_, 0)) * b
        state.opened_at = t
        state.quiet_len, state.quiet_start = 0, None
        state.spike_obs, state.spike_exp = sum(ro[onset_i:]), sum(re_[onset_i:])
        state.spike_reports = sum(rr[onset_i:])
        state.spike_z = ev.z
        state.peak_time, state.peak_observed, state.peak_expected = t, x, mu
        state.level = DANGER if _danger_ok(c, state, t, u_danger) else WARNING
        events.append(
            SpikeEvent(
                "opened",
                state.level,
                _dt(t),
                onset=_dt(state.started),
                peak_time=_dt(t),
                peak_observed=x,
                peak_expected=mu,
            )
        )
        return state, events

    # ---- an open spike ----
    state.spike_obs += x
    state.spike_exp += mu
    state.spike_reports += r
    if x - mu > state.peak_observed - state.peak_expected:
        state.peak_time, state.peak_observed, state.peak_expected = t, x, mu
    if state.level == WARNING:
        if x > mu and state.spike_z < u_danger:
            ev = evidence(c, cal, ro, re_, state.spike_z)
            if ev is not None:
                state.spike_z = ev.z
        if _danger_ok(c, state, t, u_danger):
            state.level = DANGER
            events.append(
                SpikeEvent(
                    "level_changed",
                    DANGER,
                    _dt(t),
                    onset=_dt(state.started),
                    peak_time=_dt(state.peak_time),
                    peak_observed=state.peak_observed,
                    peak_expected=state.peak_expected,
                )
            )
    nq = min(len(ro), c.buckets(c.resolve_window_seconds))
    q_obs, q_exp = sum(ro[-nq:]), sum(re_[-nq:])
    if q_obs < c.resolve_ratio * q_exp or q_obs - q_exp < c.resolve_excess:
        if state.quiet_len == 0:
            state.quiet_start = _excess_end(c, state, t, nq)
        state.quiet_len += 1
        # Hysteresis counted from the end of the excess, in buckets.
        if (t - state.quiet_start) / b + 1 >= c.buckets(c.resolve_after_seconds) - 1e-9:
            events.append(
                SpikeEvent(
                    "resolved",
                    state.level,
                    _dt(t),
                    onset=_dt(state.started),
                    end=_dt(state.quiet_start),
                    peak_time=_dt(state.peak_time),
                    peak_observed=state.peak_observed,
                    peak_expected=state.peak_expected,
                )
            )
            _close(state)
    else:
        state.quiet_len, state.quiet_start = 0, None
    return state, events


def _change_point(obs: list, exp: list, first: int) -> int:
    """The first bucket of a rise, from `first` on. The sums of the counts from k to
    now, O and E, give each k a Poisson log-likelihood ratio O ln(O/E) - (O - E) of
    "a higher rate since k"; the best k is the classic change-point estimate. The
    earliest k that is not four times less likely than the best (a ratio within
    ln 4) is taken, so a slow rise starts nearer where it begins, not half-way up.
    It looks back over the whole hour the state keeps, not only over the window
    whose evidence opened the spike: a slow rise began before that window.
    The first elevated bucket of the evidence, reported before, let one busy minute
    before a quiet stretch pull the start early: the demo's Messenger in the United
    States "since 03:55" for a rise at 04:01."""
    ratios: dict[int, float] = {}
    o = e = 0.0
    for k in range(len(obs) - 1, first - 1, -1):
        o, e = o + obs[k], e + exp[k]
        if obs[k] > exp[k] and o > e:
            ratios[k] = o * math.log(o / e) - (o - e)
    if not ratios:
        return len(obs) - 1
    best = max(ratios.values())
    return min(k for k, ratio in ratios.items() if ratio >= best - CHANGE_POINT_SLACK)


def _danger_ok(c: DetectorConfig, state: DetectorState, t: float, u_danger: float) -> bool:
    """Strong evidence, many people, long enough, and mostly first reports."""
    excess = state.spike_obs - state.spike_exp
    repeats = state.spike_reports - state.spike_obs
    return (
        state.spike_z >= u_danger
        and excess >= c.danger_min_excess
        and state.spike_obs >= c.danger_ratio * state.spike_exp
        and t - (state.onset if state.onset is not None else t) + c.bucket_seconds
        >= c.buckets(c.danger_duration_seconds) * c.bucket_seconds
        and repeats <= c.max_repeat_share * max(state.spike_reports, 1e-9)
    )


_MODELS: dict[tuple[int, float], Calibration] = {}
_THRESHOLDS: dict[tuple[DetectorConfig, int], tuple[float, float]] = {}


def _model(bucket_seconds: int, alpha: float | None) -> Calibration:
    a = float(alpha) if alpha is not None and alpha == alpha and alpha > 0 else 0.0
    key = (bucket_seconds, a)
    if key not in _MODELS:
        _MODELS[key] = Calibration.model(bucket_seconds, a)
    return _MODELS[key]


def _thresholds(c: DetectorConfig, n_scales: int) -> tuple[float, float]:
    key = (c, n_scales)
    if key not in _THRESHOLDS:
        _THRESHOLDS[key] = c.thresholds(n_scales)
    return _THRESHOLDS[key]


def run(
    config: DetectorConfig,
    observed: Sequence[float] | np.ndarray,
    expected: Sequence[float] | np.ndarray,
    calibration: Calibration | float,
    times: Sequence[Any] | np.ndarray,
    state: DetectorState | None = None,
    reports: Sequence[float] | np.ndarray | None = None,
) -> list[SpikeEvent]:
    """Run :func:`step` over arrays with one calibration.  ``event.index`` is the row."""
    state = state or DetectorState()
    obs = np.asarray(observed, dtype=float).tolist()
    exp = np.asarray(expected, dtype=float).tolist()
    n = len(obs)
    rep = [None] * n if reports is None else np.asarray(reports, dtype=float).tolist()
    ts = [to_epoch(t) for t in times]
    out: list[SpikeEvent] = []
    for i in range(n):
        state, evs = step(config, state, obs[i], exp[i], calibration, ts[i], rep[i])
        for e in evs:
            e.index = i
            out.append(e)
    return out


def open_spans(events: Iterable[SpikeEvent]) -> list[tuple[datetime, datetime | None]]:
    """(onset, end) of every spike in an event list (end None if still open)."""
    spans, cur = [], None
    for e in events:
        if e.kind == "opened":
            cur = e.onset or e.time
        elif e.kind == "resolved" and cur is not None:
            spans.append((cur, e.end))
            cur = None
    if cur is not None:
        spans.append((cur, None))
    return spans
