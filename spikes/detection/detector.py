"""The spike detector: a negative-binomial CUSUM with size and duration gates.

One bucket at a time, pure Python floats, no Django.  The caller supplies the
observed count of DISTINCT reporters in the bucket, the baseline's expected
count and the NB dispersion ``alpha`` (Var = mu + alpha mu^2; 0 = Poisson).

Statistic (NB-CUSUM, as used for count surveillance in public health)::

    S_t = max(0, S_{t-1} + llr_t)
    llr_t = log P(x_t | mean r*mu_t) - log P(x_t | mean mu_t)

i.e. the log-likelihood ratio of "the rate is ``target_ratio`` times the
baseline" against "the rate is the baseline".  S_t accumulates evidence over
consecutive buckets, so a huge jump alarms at once and a moderate one after a
few buckets; the start of the current positive run of S is the classical
CUSUM change-point estimate and is reported as the spike's *onset*.

A spike OPENS (level "warning", Downdetector's "possible problems") only when
all of these hold for the current run (since onset):
  * evidence:  S >= warning_threshold
  * size:      over the current run (since onset, at most the last
               size_window_seconds = 15 min), excess = sum(obs) -
               sum(expected) >= min_excess distinct reporters and
               sum(obs) >= min_ratio * sum(expected)
  * duration:  the run has lasted >= warning_duration_seconds
A FAST PATH opens a "warning" without the evidence and duration gates when
the last jump_buckets buckets of the run alone hold >= min_excess excess
reporters at >= min_ratio x expected, jump_z NB standard deviations out.
It ESCALATES to "danger" ("problems detected") with the stricter danger_*
values.  It RESOLVES once the series has been back to normal for
resolve_after_seconds, judged on the recent OBSERVATIONS: over the last
resolve_window_seconds, observed < resolve_ratio x expected or the excess <
resolve_excess (or S < resolve_fraction * warning_threshold).  Hysteresis: a
dip inside an outage does not close it (a re-open is a new spike); the
reported end is where the excess ended (a change point inside that window);
S is capped while open and reset when the spike resolves.

Report bombing: counts are distinct reporters, so one person adds at most 1 per
bucket; ``min_excess`` additionally demands >= 10 excess distinct reporters
(see DetectorConfig) before anything opens.

Missing data: NaN observed = no data; the bucket is skipped (no evidence
either way, no duration credit).  After a gap longer than gap_reset_seconds
the evidence is reset, so the return of normal traffic after an intake outage
starts from a clean slate and is judged against the baseline only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from .baseline import to_epoch

WARNING = "warning"
DANGER = "danger"
_RANK = {"": 0, WARNING: 1, DANGER: 2}


@dataclass(frozen=True)
class DetectorConfig:
    """Thresholds.  Durations are in SECONDS and converted with ``bucket_seconds``.

    Defaults target per-minute distinct-reporter counts (>= 95 % of outages
    found, <= 0.1 false alarms per series-week, median <= 3 min to detection,
    see benchmarks/) and are the very same values used on NAB (5-min buckets).
    """

    bucket_seconds: int = 60
    # Alternative rate ratio of the CUSUM.  Under Poisson a bucket adds
    # evidence only when x > mu (r-1)/ln r: 1.44x for r=2, 2.16x for r=4,
    # 3.37x for r=8.  Simulated outages run at 4.5-50x (lab/harness.py:
    # the first minutes of every outage are >= 5x), so r=8 still sees all of
    # them, while slow 1.5-2.5x drifts of a wandering level no longer build
    # evidence: false alarms 35 -> 10 on seed 1, and NAB 60.5 -> 63.6 (docs/).
    target_ratio: float = 8.0
    # CUSUM thresholds in log-likelihood units.  Siegmund's approximation
    # gives an in-control run length of roughly exp(h) buckets for a
    # well-specified model; exp(15) ~ 3e6 buckets leaves a wide margin for
    # baseline error and heavy tails against the 0.1/series-week target
    # (1 per ~100k minutes).  Cost: a quiet service needs ~4 min of
    # 3 extra reporters/min (llr ~ 4/min) -- about the time the
    # min_excess gate needs anyway.
    warning_threshold: float = 15.0
    danger_threshold: float = 30.0
    # Minimum EXCESS distinct reporters within the size window (15 min).  A
    # handful of people must never raise a spike: at <= 1 counted report per
    # reporter per 15 min, 15 means fifteen different people beyond the usual.
    # Downdetector-style trackers document a baseline-relative threshold with a
    # small absolute floor.  Harness (lab/harness.py), seed 1 / 2:
    # 10 -> 15 took false alarms per service-week from 0.113 / 0.129 to
    # 0.040 / 0.057 with every outage still found; the median delay went
    # 4 -> 4 / 2 -> 3 min (a small regional outage takes longer to gather
    # 15 people).  20 gave 0.008 on seed 1: not taken, as real small-service
    # outages can be smaller than the simulator's.
    min_excess: float = 15.0
    # 3x over the current run (at most the last 15 min): the reference rule's
    # factor; the mildest simulated outages (partial, 4.5x) clear it, drifts
    # on a badly predicted Monday (1.5-2x) do not (sim seed 1: 42 -> 35 FA).
    min_ratio: float = 3.0
    # The size gates are measured over the last ``size_window_seconds``: the
    # counting task discards a reporter's repeats within 15 min, so the sum of
    # per-minute distinct counts over 15 min counts distinct PEOPLE and a
    # handful of reporters can never reach min_excess, however long they go on.
    size_window_seconds: float = 900.0
    danger_min_excess: float = 30.0
    danger_ratio: float = 2.5
    warning_duration_seconds: float = 120.0
    # Fast path for sharp onsets: open (as "warning") without the evidence and
    # duration gates when the last jump_buckets buckets of the current run hold
    # >= min_excess excess distinct reporters at >= min_ratio x expected AND
    # that excess is >= jump_z standard deviations of the NB count (Var = mu +
    # alpha mu^2).  min_excess keeps a handful of reporters out as before, and
    # a slow drift never has 10 extra people in one minute at 3x.  1 bucket at
    # z >= 10: on sim seed 1 it opens the sharpest outages a minute earlier
    # (4 outages 2 -> 1 min) with the same false alarms; 2 buckets at z >= 6
    # (8) also catch 2-minute report bursts: false alarms 14 -> 48 (17) and
    # the median delay only reaches 3 min at z = 6.  0 disables.
    jump_buckets: int = 1
    jump_z: float = 10.0
    danger_duration_seconds: float = 300.0
    # Back to normal for 1 h before "resolved" (a re-open counts as a new
    # spike, so hysteresis must outlast the dips and lulls inside a real
    # outage).  ``end`` is the start of the quiet spell.  3 h scores ~1 point
    # more on NAB and is the same on the simulated outages (10-11 false
    # alarms either way), but is a long tail in the UI.
    resolve_after_seconds: float = 3600.0
    # "Back to normal" is judged on the recent OBSERVATIONS: a bucket is quiet
    # when, over the last resolve_window_seconds, observed < resolve_ratio x
    # expected or the excess < resolve_excess distinct reporters -- or when S
    # is below resolve_fraction * warning_threshold (on a busy series S drains
    # within a minute of the end).  On a sparse series (well under 1 reporter
    # a minute expected) S alone took hours: a zero minute carries only
    # llr = -(r-1) mu, e.g. -0.35 at mu = 0.05, so 45 -> 7.5 took ~110 min.
    # 15 min: the counting task's repeat window, so the window counts distinct
    # people.  resolve_excess = 5 people (a handful is
    # "normal" on a sparse series), resolve_ratio 1.5x: half the opening
    # ratio's margin, so a spike does not flip between open and quiet.  Sim
    # (seed 1 / seed 2): median |end - true end| 25 / 35 min -> 16 / 20 min,
    # false alarms 13 / 16 -> 14 / 16.  3x (= min_ratio) ends closer to the
    # fix (reports decay for ~30 min after it): 9 / 12 min, but 14 / 19 false
    # alarms, as shorter spikes no longer overlap their neighbours, which
    # evaluate.py counts as one alarm.  The 1 h hysteresis (and S >= 15,
    # >= min_excess people to re-open) covers dips.  The end (``quiet_start``) is the
    # change point inside the window (the split maximising the excess over
    # resolve_ratio x expected before it); the hysteresis is counted from it.
    resolve_window_seconds: float = 900.0
    resolve_ratio: float = 1.5
    resolve_excess: float = 5.0
    resolve_fraction: float = 0.5
    # Cap of S while open, as a multiple of danger_threshold.
    cap_factor: float = 1.5
    gap_reset_seconds: float = 1800.0
    # Expected counts below this (reporters per HOUR) are raised to it: for a
    # tiny service "0 expected" would make any single reporter infinitely
    # surprising.
    expected_floor_per_hour: float = 0.5

    def buckets(self, seconds: float) -> int:
        """Seconds -> whole buckets (at least 1)."""
        return max(1, int(math.ceil(seconds / self.bucket_seconds - 1e-9)))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> DetectorConfig:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in d.items() if k in names})


@dataclass
class DetectorState:
    """Per-series state; JSON-serialisable via to_dict/from_dict.  Times are epoch seconds."""

    cusum: float = 0.0
    run_start: float | None = None  # first bucket of the current positive run of S
    run_len: int = 0
    run_obs: float = 0.0
    run_exp: float = 0.0
    last_time: float | None = None  # last bucket with data
    level: str = ""  # "" (no spike), "warning" or "danger"
    opened_at: float | None = None
    onset: float | None = None
    quiet_len: int = 0
    quiet_start: float | None = None
    peak_time: float | None = None
    peak_observed: float = 0.0
    peak_expected: float = 0.0
    spike_obs: float = 0.0  # totals since onset of the open spike
    spike_exp: float = 0.0
    recent_obs: list = field(default_factory=list)  # last size-window buckets
    recent_exp: list = field(default_factory=list)

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


def nb_llr(x: float, mu: float, alpha: float, r: float) -> float:
    """log P(x | NB(r mu, alpha)) - log P(x | NB(mu, alpha)); Poisson when alpha <= 0.

    With size k = 1/alpha:  x log(r (mu+k) / (r mu + k)) - k log((r mu + k)/(mu + k)).
    """
    if alpha <= 1e-9:
        return x * math.log(r) - (r - 1.0) * mu
    k = 1.0 / alpha
    return x * math.log(r * (mu + k) / (r * mu + k)) - k * math.log((r * mu + k) / (mu + k))


def _reset_run(state: DetectorState) -> None:
    state.cusum = 0.0
    state.run_start = None
    state.run_len = 0
    state.run_obs = 0.0
    state.run_exp = 0.0


def _close(state: DetectorState) -> None:
    state.level = ""
    state.opened_at = state.onset = state.quiet_start = state.peak_time = None
    state.quiet_len = 0
    state.peak_observed = state.peak_expected = 0.0
    state.spike_obs = state.spike_exp = 0.0


def _jump(c: DetectorConfig, state: DetectorState, alpha: float) -> bool:
    """The fast path: the last ``jump_buckets`` buckets of the current run alone
    hold >= min_excess excess reporters at >= min_ratio x, >= jump_z NB sd's out."""
    if state.run_len <= 0 or c.jump_z <= 0:
        return False
    k = min(state.run_len, c.jump_buckets, len(state.recent_obs))
    xs, ms = state.recent_obs[-k:], state.recent_exp[-k:]
    o, e = sum(xs), sum(ms)
    ex = o - e
    if ex < c.min_excess or o < c.min_ratio * e:
        return False
    var = e + alpha * sum(m * m for m in ms)
    return ex * ex >= c.jump_z * c.jump_z * var


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
    dispersion: float | None,
    bucket_time: datetime | float,
) -> tuple[DetectorState, list[SpikeEvent]]:
    """Advance one bucket.  Mutates and returns ``state`` (a fresh one if None)."""
    if state is None:
        state = DetectorState()
    t = to_epoch(bucket_time)
    c = config
    b = c.bucket_seconds
    if observed is None or observed != observed:  # NaN / None: no data
        return state, []
    if state.last_time is not None and t - state.last_time > c.gap_reset_seconds:
        _reset_run(state)  # stale evidence after a gap
        state.recent_obs, state.recent_exp = [], []
    state.last_time = t

    floor = c.expected_floor_per_hour * b / 3600.0
    mu = expected if expected is not None and expected == expected else floor
    if mu < floor:
        mu = floor
    a = dispersion if dispersion is not None and dispersion == dispersion and dispersion > 0 else 0.0
    x = float(observed)

    s = state.cusum + nb_llr(x, mu, a, c.target_ratio)
    if s <= 0.0:
        _reset_run(state)
    else:
        if state.run_len == 0:
            state.run_start = t
        state.run_len += 1
        state.run_obs += x
        state.run_exp += mu
        state.cusum = s

    ro, re_ = state.recent_obs, state.recent_exp
    ro.append(x)
    re_.append(mu)
    if len(ro) > max(c.buckets(c.size_window_seconds), c.buckets(c.resolve_window_seconds)):
        del ro[0], re_[0]
    # The size gates look at the current run only (since the CUSUM onset, at
    # most size_window_seconds back): 12 ordinary minutes before a 3-minute-old
    # outage would otherwise dilute its ratio, while a slow drift whose run
    # started long ago is still judged on its last 15 minutes.
    n_size = min(len(ro), c.buckets(c.size_window_seconds))
    k = state.run_len if 0 < state.run_len < n_size else n_size
    w_obs, w_exp = sum(ro[-k:]), sum(re_[-k:])
    excess = w_obs - w_exp

    events: list[SpikeEvent] = []
    dur = state.run_len * b

    def danger_ok() -> bool:
        return (
            state.cusum >= c.danger_threshold
            and excess >= c.danger_min_excess
            and w_obs >= c.danger_ratio * w_exp
            and dur >= c.buckets(c.danger_duration_seconds) * b
        )

    if not state.is_open:
        if (
            state.cusum >= c.warning_threshold
            and excess >= c.min_excess
            and w_obs >= c.min_ratio * w_exp
            and dur >= c.buckets(c.warning_duration_seconds) * b
        ) or _jump(c, state, a):
            state.level = DANGER if danger_ok() else WARNING
            state.opened_at = t
            state.onset = state.run_start
            state.quiet_len, state.quiet_start = 0, None
            # Peak so far: this bucket (earlier buckets of the run are not kept).
            state.peak_time, state.peak_observed, state.peak_expected = t, x, mu
            state.spike_obs, state.spike_exp = state.run_obs, state.run_exp
            events.append(
                SpikeEvent(
                    "opened",
                    state.level,
                    _dt(t),
                    onset=_dt(state.onset),
                    peak_time=_dt(t),
                    peak_observed=x,
                    peak_expected=mu,
                )
            )
        return state, events

    # ---- an open spike ----
    state.spike_obs += x
    state.spike_exp += mu
    if x - mu > state.peak_observed - state.peak_expected:
        state.peak_time, state.peak_observed, state.peak_expected = t, x, mu
    if state.level == WARNING and danger_ok():
        state.level = DANGER
        events.append(
            SpikeEvent(
                "level_changed",
                DANGER,
                _dt(t),
                onset=_dt(state.onset),
                peak_time=_dt(state.peak_time),
                peak_observed=state.peak_observed,
                peak_expected=state.peak_expected,
            )
        )
    cap = c.cap_factor * c.danger_threshold
    if state.cusum > cap:
        state.cusum = cap
    nq = min(len(ro), c.buckets(c.resolve_window_seconds))
    q_obs, q_exp = sum(ro[-nq:]), sum(re_[-nq:])
    if (
        q_obs < c.resolve_ratio * q_exp
        or q_obs - q_exp < c.resolve_excess
        or state.cusum < c.resolve_fraction * c.warning_threshold
    ):
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
                    onset=_dt(state.onset),
                    end=_dt(state.quiet_start),
                    peak_time=_dt(state.peak_time),
                    peak_observed=state.peak_observed,
                    peak_expected=state.peak_expected,
                )
            )
            _close(state)
            _reset_run(state)  # a fresh start: no evidence carried past the end
    else:
        state.quiet_len, state.quiet_start = 0, None
    return state, events


def run(
    config: DetectorConfig,
    observed: Sequence[float] | np.ndarray,
    expected: Sequence[float] | np.ndarray,
    dispersion: Sequence[float] | np.ndarray | float,
    times: Sequence[Any] | np.ndarray,
    state: DetectorState | None = None,
) -> list[SpikeEvent]:
    """Run :func:`step` over arrays (the backtest path).  ``event.index`` is the row."""
    state = state or DetectorState()
    obs = np.asarray(observed, dtype=float).tolist()
    exp = np.asarray(expected, dtype=float).tolist()
    n = len(obs)
    disp = (np.broadcast_to(np.asarray(dispersion, dtype=float), (n,))).tolist()
    ts = [to_epoch(t) for t in times]
    out: list[SpikeEvent] = []
    for i in range(n):
        state, evs = step(config, state, obs[i], exp[i], disp[i], ts[i])
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
