"""How noisy a series is: the negative-binomial dispersion of its counts around a
baseline (Var = mu + alpha mu^2), fitted robustly on the bulk and calibrated on the
typical day's largest burst.  Pure numpy/scipy, no Django; used by baseline.fit_profile.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

# Above this many buckets the MAD fit uses an even sample of them: the median of
# 4,096 residuals is as good an estimate, and the bisection costs 40 medians.
MAX_FIT_POINTS = 4096


def fit_alpha(
    x: np.ndarray,
    mu: np.ndarray,
    min_mu: float = 2.0,
    day: np.ndarray | None = None,
    min_days: int = 3,
) -> float:
    """Robust NB2 dispersion: the alpha whose Pearson residuals have MAD-scale 1.

    Solves median(|x - mu| / sqrt(mu + alpha mu^2)) = 0.6745 (the median of
    |N(0,1)|) by bisection.  Buckets with tiny means are skipped because
    discreteness makes the normal approximation meaningless there; outliers
    (outages) barely move a median.

    ``day`` (the day of each bucket), when given, demands that the buckets
    busy enough to judge come from at least ``min_days`` different days.  On a
    small service the only buckets with mu >= min_mu may be the hours of one
    outage (where the in-sample expected level follows the outage, through
    that weekday's shape): their median residual is the outage, and it once gave a dispersion of 137 for a week, which blinded the
    detector to the next outage.  Too few busy days: Poisson (0), and the
    tail calibration (fit_tail_alpha) adds what the daily bursts demand.
    """
    ok = np.isfinite(x) & np.isfinite(mu) & (mu >= min_mu)
    if ok.sum() < 30:
        return 0.0
    if day is not None and len(np.unique(day[ok])) < min_days:
        return 0.0
    x, mu = x[ok], mu[ok]
    if len(x) > MAX_FIT_POINTS:
        every = len(x) // MAX_FIT_POINTS + 1
        x, mu = x[::every], mu[::every]
    d = np.abs(x - mu)

    def med_z(a: float) -> float:
        return float(np.median(d / np.sqrt(mu + a * mu * mu)))

    if med_z(0.0) <= 0.6745:
        return 0.0
    lo, hi = 0.0, 1.0
    while med_z(hi) > 0.6745 and hi < 1e4:
        hi *= 4.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if med_z(mid) > 0.6745:
            lo = mid
        else:
            hi = mid
    return hi


def upper_surprise(x: np.ndarray, mu: np.ndarray, alpha: float) -> np.ndarray:
    """-ln P(X >= x) under NB(mu, alpha) (Poisson if alpha == 0): count-native surprise."""
    x = np.maximum(np.asarray(x, dtype=float), 1e-9)  # P(X >= 0) = 1
    if alpha <= 1e-9:
        p = special.gammainc(x, mu)
    else:
        k = 1.0 / alpha
        p = special.betainc(x, k, mu / (mu + k))
    return -np.log(np.maximum(p, 1e-300))


def day_max(score: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Each element's day's largest score (``day`` in time order: days are runs)."""
    if not len(score):
        return np.zeros(0)
    starts = np.flatnonzero(np.concatenate([[True], day[1:] != day[:-1]]))
    peaks = np.maximum.reduceat(score, starts)
    return np.repeat(peaks, np.diff(np.concatenate([starts, [len(score)]])))


def near_day_max(score: np.ndarray, day: np.ndarray, margin: float) -> np.ndarray:
    """Indices whose score is within ``margin`` of their day's largest."""
    return np.flatnonzero(score >= day_max(score, day) - margin)


def fit_tail_alpha(
    x: np.ndarray, mu: np.ndarray, day: np.ndarray, buckets_per_day: int, alpha0: float = 0.0
) -> float:
    """Smallest alpha >= alpha0 that makes a TYPICAL day's largest burst unsurprising.

    The MAD-based alpha describes the bulk; series such as social-media
    mentions also have a heavy upper tail (bursts every day).  Under a correct
    model the largest of n per-day surprises -ln P(X >= x) is about
    ln(n) + 0.577 (the max of n exponentials).  We take the MEDIAN over days
    of each day's largest surprise, so one outage day (or a few, out of
    several weeks) cannot inflate the dispersion: outages stay surprising,
    daily bursts do not.
    """
    ok = np.isfinite(x) & np.isfinite(mu) & (mu > 0)
    # Only buckets clearly above expectation can be a day's maximum surprise.
    cand = ok & (x >= mu + 2.0 * np.sqrt(mu) + 1.0)
    days, first = np.unique(day[ok], return_index=True)
    counts = np.bincount(np.searchsorted(days, day[ok]), minlength=len(days))
    full = days[counts >= buckets_per_day // 2]  # days with at least half their data
    if len(full) < 3 or not cand.any():
        return alpha0
    target = math.log(buckets_per_day) + 0.5772
    xc, mc, dc = x[cand], mu[cand], day[cand]
    keep = np.isin(dc, full)
    xc, mc, dc = xc[keep], mc[keep], dc[keep]
    if len(xc) == 0:
        return alpha0
    # A day's largest surprise, whatever the dispersion, is among its largest
    # ratios (a heavy tail) or its largest z-scores (a light one).
    few = np.union1d(
        near_day_max(np.log(xc / mc), dc, math.log(2.0)), near_day_max((xc - mc) / np.sqrt(mc), dc, 1.0)
    )
    xc, mc, dc = xc[few], mc[few], dc[few]
    pos = np.searchsorted(full, dc)

    def med_daily_max(a: float) -> float:
        m = np.zeros(len(full))
        np.maximum.at(m, pos, upper_surprise(xc, mc, a))
        return float(np.median(m))

    if med_daily_max(alpha0) <= target:
        return alpha0
    lo, hi = math.log(max(alpha0, 1e-4)), math.log(100.0)
    if med_daily_max(100.0) > target:
        return 100.0
    for _ in range(25):
        mid = 0.5 * (lo + hi)
        if med_daily_max(math.exp(mid)) > target:
            lo = mid
        else:
            hi = mid
    return math.exp(hi)
