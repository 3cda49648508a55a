"""How surprising a window of counts is, and how surprising is enough: the detector's
evidence, calibrated in wall-clock time. Pure numpy/scipy, no Django.

The evidence at one bucket is a scan over several window lengths at once, from one
minute to an hour (``SCALES_SECONDS``): a sharp outage is most surprising in its
first minute, a slow one in its last half hour. For each window of ``w`` buckets
ending now, with ``x`` distinct reporters observed and ``m`` expected, the
*surprise* is the mid-p tail of a negative binomial with the window's own
dispersion ``alpha_w`` (Var = m + alpha_w m^2)::

    S_w = -ln( P(X > x) + P(X = x) / 2 ),   X ~ NB(m, alpha_w)    (0 when x <= m)

The mid-p value makes a count surprise behave like a continuous one at every
level (a series of 0.05 reporters a minute and one of 300 alike): under the model,
P(S_w >= s) is about e^-s.

How surprising is surprising enough follows from a target false-alarm rate in
WALL-CLOCK time, not in buckets (docs/detection.md derives it). The largest
surprise of a day at scale ``w`` is the maximum of many; under the model it is
Gumbel distributed with scale 1 and location ``ln(buckets per day / sqrt(w))``
(a day holds that many independent windows' worth of sliding ones: simulated
per level and window in benchmarks/calibration_table.py), and real series are
heavier in the tail than any count
model (tweet volumes burst to 100x every few days). So each scale keeps the
Gumbel law of ITS OWN daily maxima: ``loc_w`` and ``spread_w``, from the series'
history when that history is dense enough to say (the median day, so an outage
day cannot move them), else from the model. A day then exceeds
``loc_w + spread_w * u`` at scale ``w`` with probability ``e^-u``, and over the
``J`` scales with at most ``J e^-u``: for one false alarm per ``D`` days,

    u = ln(J * D)

the same ``u`` at one-minute and five-minute buckets, for quiet and busy series.
The dispersion ``alpha_w`` itself is fitted per scale on the bulk (the robust
MAD fit of dispersion.py) and raised until a typical day's largest window is
unsurprising (dispersion.fit_tail_alpha): bursts that come every day are not
evidence, the ones that do not are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from .dispersion import fit_alpha, fit_tail_alpha, near_day_max

DAY = 86400
# Window lengths of the scan: one minute (a sharp outage) to an hour (a slow one, or
# a quiet country whose outage gathers 25 people in an hour).
SCALES_SECONDS = (60, 120, 180, 300, 600, 900, 1800, 3600)
# The history's own law of daily maxima is used once it holds this many full days.
MIN_DAYS = 7
# A Gumbel's interquartile range is 1.5725 of its scale; its median is its
# location + 0.3665 scale.
GUMBEL_IQR = 1.5725
GUMBEL_MEDIAN = 0.3665
# Windows whose exact surprise is computed when calibrating: those within this
# much of their day's largest deviance (the surprise and the deviance of a count
# differ by a slowly varying log term, so the day's largest surprise is among them).
DEVIANCE_MARGIN = 2.0


def scale_buckets(bucket_seconds: int) -> tuple[int, ...]:
    """The scan's window lengths in buckets of ``bucket_seconds`` (distinct, >= 1)."""
    return tuple(sorted({max(1, round(s / bucket_seconds)) for s in SCALES_SECONDS}))


@dataclass(frozen=True)
class Scale:
    """One window length of the scan and how its surprise is judged: a day's largest
    surprise follows the model's Gumbel law (location ``floor``, scale 1) or the
    history's (``loc``, ``spread``), whichever is the heavier."""

    buckets: int
    alpha: float  # NB dispersion of the window's sum
    floor: float  # the model's location
    loc: float  # the history's location (-inf: no history)
    spread: float  # the history's scale, in units of the model's (>= 1)

    def threshold(self, u: float) -> float:
        """The surprise a day exceeds with probability e^-u."""
        return max(self.floor + u, self.loc + self.spread * u)

    def z(self, surprise: float) -> float:
        """The ``u`` whose threshold this surprise just reaches."""
        return min(surprise - self.floor, (surprise - self.loc) / self.spread)


@dataclass(frozen=True)
class Calibration:
    bucket_seconds: int
    scales: tuple[Scale, ...]

    def to_dict(self) -> dict:
        return {
            "bucket_seconds": self.bucket_seconds,
            "scales": [
                [
                    s.buckets,
                    round(s.alpha, 6),
                    round(s.floor, 4),
                    round(max(s.loc, -99.0), 4),
                    round(s.spread, 4),
                ]
                for s in self.scales
            ],
        }

    @classmethod
    def from_dict(cls, d: dict) -> Calibration:
        return cls(int(d["bucket_seconds"]), tuple(Scale(int(w), *rest) for w, *rest in d["scales"]))

    @classmethod
    def model(cls, bucket_seconds: int, alpha: float = 0.0) -> Calibration:
        """Without history: one dispersion at every scale, the model's daily maxima."""
        return cls(
            int(bucket_seconds),
            tuple(
                Scale(w, float(alpha), model_loc(bucket_seconds, w), -99.0, 1.0)
                for w in scale_buckets(bucket_seconds)
            ),
        )


def model_loc(bucket_seconds: int, w: int) -> float:
    """Gumbel location of a day's largest surprise over sliding windows of ``w``
    buckets under the model: ln(buckets per day / sqrt(w)). Simulated (Poisson, 120
    days per level; benchmarks/calibration_table.py): the median daily maximum
    exceeds ln(buckets per day / w) by 0.4 + 0.5 ln w within 0.3 at every window
    from 1 to 60 minutes once a window expects a few reporters, and by less on
    sparser series, where counts are too lumpy to reach it (so the model errs
    towards fewer false alarms there)."""
    return math.log(DAY / bucket_seconds / math.sqrt(w))


# ---- surprise ------------------------------------------------------------------


def tail(x: float, m: float, alpha: float) -> float:
    """P(X >= x) for X ~ NB(m, alpha) (Poisson when alpha is 0), x >= 1."""
    if alpha <= 1e-9:
        return float(special.gammainc(x, m))
    k = 1.0 / alpha
    return float(special.betainc(x, k, m / (m + k)))


def log_pmf(x: float, m: float, alpha: float) -> float:
    """ln P(X = x): cheap, and -ln P(X = x) + ln 2 bounds the mid-p surprise above."""
    if alpha <= 1e-9:
        return x * math.log(m) - m - math.lgamma(x + 1.0)
    k = 1.0 / alpha
    return (
        math.lgamma(x + k)
        - math.lgamma(k)
        - math.lgamma(x + 1.0)
        + k * math.log(k / (k + m))
        + x * math.log(m / (k + m))
    )


def surprise(x: float, m: float, alpha: float) -> float:
    """The mid-p surprise of ``x`` reporters where ``m`` are expected (0 if x <= m)."""
    if x <= m or m <= 0.0:
        return 0.0
    p = 0.5 * (tail(x, m, alpha) + tail(x + 1.0, m, alpha))
    return -math.log(p) if p > 1e-300 else 690.0


def surprise_many(x: np.ndarray, m: np.ndarray, alpha: float) -> np.ndarray:
    """Vectorised :func:`surprise`."""
    x = np.asarray(x, dtype=float)
    m = np.maximum(np.asarray(m, dtype=float), 1e-12)
    up = x > m
    out = np.zeros(x.shape)
    if not up.any():
        return out
    xs, ms = x[up], m[up]
    if alpha <= 1e-9:
        p = 0.5 * (special.gammainc(xs, ms) + special.gammainc(xs + 1.0, ms))
    else:
        k = 1.0 / alpha
        q = ms / (ms + k)
        p = 0.5 * (special.betainc(xs, k, q) + special.betainc(xs + 1.0, k, q))
    out[up] = -np.log(np.maximum(p, 1e-300))
    return out


def deviance_many(x: np.ndarray, m: np.ndarray, alpha: float) -> np.ndarray:
    """The NB log-likelihood ratio of rate x against rate m (0 when x <= m): a cheap
    stand-in for the surprise, used to pick a day's candidate windows."""
    x = np.asarray(x, dtype=float)
    m = np.maximum(np.asarray(m, dtype=float), 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        if alpha <= 1e-9:
            d = x * np.log(np.maximum(x, 1e-12) / m) - (x - m)
        else:
            k = 1.0 / alpha
            d = x * np.log(np.maximum(x, 1e-12) * (m + k) / (m * (x + k))) + k * np.log((m + k) / (x + k))
    return np.where(x > m, np.nan_to_num(d), 0.0)


# ---- calibration from a history ----------------------------------------------------


class Windows:
    """Sums of the windows of any length ending at each bucket of a series (NaN if
    any bucket is missing or the window starts before the series), from one pass."""

    def __init__(self, v: np.ndarray) -> None:
        v = np.asarray(v, dtype=float)
        missing = np.isnan(v)
        self.n = len(v)
        self._bad = np.concatenate([[0], np.cumsum(missing)])
        self._sum = np.concatenate([[0.0], np.cumsum(np.where(missing, 0.0, v))])

    def sums(self, w: int) -> np.ndarray:
        out = np.full(self.n, np.nan)
        if self.n >= w:
            ok = self._bad[w:] == self._bad[:-w]
            out[w - 1 :] = np.where(ok, self._sum[w:] - self._sum[:-w], np.nan)
        return out


def window_sums(v: np.ndarray, w: int) -> np.ndarray:
    """Sum of each window of ``w`` buckets ending at each bucket (see Windows)."""
    return Windows(v).sums(w)


def _daily_quartiles(
    X: np.ndarray, M: np.ndarray, alpha: float, day: np.ndarray, full: np.ndarray
) -> np.ndarray:
    """Quartiles over the ``full`` days of each day's largest surprise (0 on a day
    with no window above its expected count). ``day`` is in time order."""
    with np.errstate(invalid="ignore"):
        up = np.flatnonzero(X > M)  # False where either is NaN
    pick = up[near_day_max(deviance_many(X[up], M[up], alpha), day[up], DEVIANCE_MARGIN)]
    peaks = dict.fromkeys(full.tolist(), 0.0)
    for d, s in zip(day[pick].tolist(), surprise_many(X[pick], M[pick], alpha).tolist()):
        if d in peaks and s > peaks[d]:
            peaks[d] = s
    return np.percentile(list(peaks.values()), [25, 50, 75])


def calibrate(values: np.ndarray, mu: np.ndarray, day: np.ndarray, bucket_seconds: int) -> Calibration:
    """Per-scale dispersion and law of daily maxima, from a history of counts (NaN:
    missing), what the baseline expected of each bucket, and each bucket's day.

    ``mu`` should be what the detector would have expected (a level known before
    the day), so that the calibration sees the baseline's own errors too.

    The history's law is judged against the same history redrawn from the model
    (negative binomial around ``mu`` with the bulk dispersion, from a fixed seed):
    on a sparse series a day's largest surprise is lumpy (one reporter, or two),
    and only a spread beyond the model's own is a heavy tail.
    """
    b = int(bucket_seconds)
    per_day = DAY // b
    v = np.asarray(values, dtype=float)
    mu = np.asarray(mu, dtype=float)
    day = np.asarray(day)
    if not len(v):
        return Calibration.model(b)
    counts = np.bincount(day[np.isfinite(v)] - day.min(), minlength=int(day.max() - day.min()) + 1)
    full = np.flatnonzero(counts >= per_day // 2) + day.min()  # days with half their data
    bulk = fit_alpha(v, mu, day=day)
    redrawn = None
    if len(full) >= MIN_DAYS:
        rng = np.random.default_rng(len(v))
        rate = mu * (rng.gamma(1.0 / bulk, bulk, len(v)) if bulk > 0 else 1.0)
        redrawn = np.where(np.isfinite(v), rng.poisson(np.maximum(rate, 0.0)), np.nan)
    scales = []
    observed, expected = Windows(v), Windows(mu)
    again = Windows(redrawn) if redrawn is not None else None
    for w in scale_buckets(b):
        X, M = observed.sums(w), expected.sums(w)
        blocks = np.arange(w - 1, len(v), w)  # non-overlapping windows
        alpha = fit_alpha(X[blocks], M[blocks], day=day[blocks])
        alpha = fit_tail_alpha(X[blocks], M[blocks], day[blocks], max(1, per_day // w), alpha)
        floor, loc, spread = model_loc(b, w), -99.0, 1.0
        if redrawn is not None:
            q1, med, q3 = _daily_quartiles(X, M, alpha, day, full)
            m1, m2, m3 = _daily_quartiles(again.sums(w), M, alpha, day, full)
            spread = max(1.0, (q3 - q1) / max(m3 - m1, GUMBEL_IQR))
            # Where the history's median day lies beyond the model's, with its spread.
            loc = floor + (med - m2) - GUMBEL_MEDIAN * (spread - 1.0)
        scales.append(Scale(w, float(alpha), float(floor), float(loc), float(spread)))
    return Calibration(b, tuple(scales))


def threshold_u(false_alarms_per_week: float, n_scales: int) -> float:
    """The standardised threshold ``u`` for a target rate of false alarms per series
    and week, over ``n_scales`` scales (module docstring)."""
    days_between = 7.0 / false_alarms_per_week
    return math.log(n_scales * days_between)
