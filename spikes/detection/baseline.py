"""Seasonal baselines: expected distinct reporters per time bucket.

Pure numpy, no Django.  ``fit_profile`` turns a history of counts (one value
per bucket, NaN = no data) into a compact :class:`Profile`: one expected
count per *weekly slot* (7 days x 24 h x slots-per-hour, in the series'
local time) plus one negative-binomial dispersion ``alpha``
(Var = mu + alpha * mu**2, fitted in dispersion.py).  Evaluating a profile at any future time is O(1),
so the per-minute detection cost never depends on how long the history is;
the caller re-fits the profile every so often (hourly is plenty).

Model (multiplicative, fitted with robust statistics only)::

    expected(day d, slot s) = level * weekday_factor[dow(d)] * shape[dow(d), s]

* ``shape``  : time-of-day curve.  Pooled over all days (robust mean across
  days), blended with a weekday-specific curve once several weeks exist.
* ``level``  : robust level of the most recent ``level_days`` days, so the
  profile follows growth (level changes) within a few days.
* ``weekday_factor`` : robust weekday effect relative to a rolling weekly
  level, shrunk towards 1 when only a few weeks are known.

Why robust: an outage in history is a short burst of very high counts.  Each
slot value is a Tukey-fenced (winsorised) mean across days, day levels are
medians over the day's slots, so one outage day out of several cannot teach
the baseline that outages are normal.  Long runs of zeros (intake down) are
handled the same way (and the caller should pass NaN for them anyway).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from .calibration import Calibration, calibrate
from .dispersion import fit_alpha
from .zones import utc_offsets

DAY = 86400
WEEK = 7 * DAY
# Fewer reporters than this in the calibration's history (two weeks): a near-silent
# series, whose days hold a reporter or two; its evidence is judged by the model
# (calibration.Calibration.model), which errs on the rare side for lumpy counts.
SPARSE_HISTORY = 50
# 1970-01-01 (epoch 0) was a Thursday: adding 3 days puts Monday 00:00 at 0 (mod WEEK).
_MONDAY_SHIFT = 3 * DAY


def to_epoch(t: datetime | float | int | np.datetime64) -> float:
    """Seconds since the epoch.  Naive datetimes are taken as UTC."""
    if isinstance(t, datetime):
        if t.tzinfo is None:
            t = t.replace(tzinfo=UTC)
        return t.timestamp()
    if isinstance(t, np.datetime64):
        return float(t.astype("datetime64[ms]").astype(np.int64)) / 1000.0
    return float(t)


def _nanquantile0(a: np.ndarray, q: float) -> np.ndarray:
    """Quantile along axis 0 of a 2-D array ignoring NaN (linear interpolation).

    np.nanpercentile falls back to a slow per-column loop when NaNs are
    present; sorting once (NaN sorts last) and indexing is ~50x faster.
    """
    srt = np.sort(a, axis=0)
    n = np.sum(~np.isnan(a), axis=0)
    pos = np.maximum(n - 1, 0) * q
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
    f = pos - lo
    cols = np.arange(a.shape[1])
    v = (1 - f) * srt[lo, cols] + f * srt[hi, cols]
    return np.where(n > 0, v, np.nan)


def _nanmedian(a: np.ndarray, axis: int = 0) -> np.ndarray:
    a2 = a if axis == 0 else a.T
    return _nanquantile0(a2, 0.5)


def _tukey_mean(a: np.ndarray, axis: int = 0) -> np.ndarray:
    """NaN-aware mean after winsorising at the upper Tukey fence (Q3 + 1.5 IQR).

    Cheaper to reason about than a median for small counts (a median of
    Poisson(0.5) values is 0), yet one outage day among several is clipped to
    the fence and barely moves the result.  With <= 3 values it is a median.
    """
    a2 = a if axis == 0 else a.T
    with np.errstate(all="ignore"):
        n = np.sum(~np.isnan(a2), axis=0)
        q1, q3 = _nanquantile0(a2, 0.25), _nanquantile0(a2, 0.75)
        fence = q3 + 1.5 * (q3 - q1)
        clipped = np.minimum(a2, fence[None, :])
        s = np.nansum(clipped, axis=0)
        mean = np.where(n > 0, s / np.maximum(n, 1), np.nan)
        med = _nanquantile0(a2, 0.5)
    return np.where(n <= 3, med, mean)


def _smooth_circular(x: np.ndarray) -> np.ndarray:
    """[1/4, 1/2, 1/4] circular smoothing: removes slot-to-slot sampling noise."""
    return 0.25 * np.roll(x, 1) + 0.5 * x + 0.25 * np.roll(x, -1)


def _fill_nan_circular(x: np.ndarray, default: float) -> np.ndarray:
    x = x.copy()
    ok = ~np.isnan(x)
    if not ok.any():
        x[:] = default
        return x
    if ok.all():
        return x
    idx = np.arange(len(x))
    n = len(x)
    xs = np.concatenate([idx[ok] - n, idx[ok], idx[ok] + n])
    ys = np.tile(x[ok], 3)
    x[~ok] = np.interp(idx[~ok], xs, ys)
    return x


def _offsets(t: np.ndarray | float, zone: str, utc_offset_hours: float) -> np.ndarray | float:
    """Seconds from UTC to the profile's local time at each ``t``."""
    return utc_offsets(t, zone) if zone else utc_offset_hours * 3600.0


@dataclass
class Profile:
    """Expected count per bucket for every slot of a (local) week.

    ``mean[i]`` is the expected count *per bucket of ``bucket_seconds``* in
    weekly slot ``i`` (slot 0 = Monday 00:00 local time).  ``alpha`` is the
    negative-binomial overdispersion (0 = Poisson).  Local time is ``zone`` (an
    IANA name, following its daylight-saving changes) when set, else UTC plus
    ``utc_offset_hours``.
    """

    bucket_seconds: int
    slot_seconds: int
    utc_offset_hours: float
    mean: np.ndarray
    alpha: float
    n_days: float = 0.0
    floor: float = 0.0
    extra: dict = field(default_factory=dict)
    zone: str = ""
    # The detector's evidence scales (calibration.py); None: the model's, from alpha.
    calibration: Calibration | None = None

    @property
    def n_slots(self) -> int:
        return len(self.mean)

    def _position(self, t: np.ndarray | float) -> np.ndarray | float:
        local = np.asarray(t, dtype=float) + _offsets(t, self.zone, self.utc_offset_hours) + _MONDAY_SHIFT
        # -0.5: slot values describe slot centres; interpolate between centres.
        return np.mod(local, WEEK) / self.slot_seconds - 0.5

    def expected(self, t: datetime | float) -> float:
        """Expected count for the bucket starting at ``t`` (linear between slot centres)."""
        p = float(self._position(to_epoch(t)) + 0.5 * self.bucket_seconds / self.slot_seconds)
        i = math.floor(p)
        f = p - i
        n = len(self.mean)
        v = (1.0 - f) * self.mean[i % n] + f * self.mean[(i + 1) % n]
        return max(float(v), self.floor)

    def expected_many(self, times: Sequence[Any] | np.ndarray) -> np.ndarray:
        """Vectorised :meth:`expected` for epoch seconds (or datetimes)."""
        t = np.asarray(
            [to_epoch(x) for x in times]
            if not isinstance(times, np.ndarray) or times.dtype == object
            else times,
            dtype=float,
        )
        p = self._position(t) + 0.5 * self.bucket_seconds / self.slot_seconds
        i = np.floor(p).astype(np.int64)
        f = p - i
        n = len(self.mean)
        v = (1.0 - f) * self.mean[i % n] + f * self.mean[(i + 1) % n]
        return np.maximum(v, self.floor)

    def scaled(self, factor: float) -> Profile:
        """This shape times ``factor`` (e.g. the all-regions profile x a region's share)."""
        return Profile(
            self.bucket_seconds,
            self.slot_seconds,
            self.utc_offset_hours,
            self.mean * float(factor),
            self.alpha,
            self.n_days,
            self.floor * factor,
            dict(self.extra),
            self.zone,
            self.calibration,
        )

    def to_dict(self) -> dict:
        return {
            "bucket_seconds": self.bucket_seconds,
            "slot_seconds": self.slot_seconds,
            "utc_offset_hours": self.utc_offset_hours,
            "mean": [round(float(x), 6) for x in self.mean],
            "alpha": float(self.alpha),
            "n_days": float(self.n_days),
            "floor": float(self.floor),
            "extra": self.extra,
            **({"zone": self.zone} if self.zone else {}),
            **({"calibration": self.calibration.to_dict()} if self.calibration else {}),
        }

    @classmethod
    def from_dict(cls, d: dict) -> Profile:
        return cls(
            int(d["bucket_seconds"]),
            int(d["slot_seconds"]),
            float(d["utc_offset_hours"]),
            np.asarray(d["mean"], dtype=float),
            float(d["alpha"]),
            float(d.get("n_days", 0.0)),
            float(d.get("floor", 0.0)),
            dict(d.get("extra", {})),
            str(d.get("zone", "")),
            Calibration.from_dict(d["calibration"]) if d.get("calibration") else None,
        )


def flat_profile(
    level: float,
    bucket_seconds: int,
    *,
    alpha: float = 0.5,
    slot_seconds: int = 3600,
    utc_offset_hours: float = 0.0,
    floor: float = 0.0,
) -> Profile:
    """A constant profile: the prior for a brand-new series with no usable shape."""
    n = WEEK // slot_seconds
    return Profile(
        bucket_seconds,
        slot_seconds,
        utc_offset_hours,
        np.full(n, max(float(level), floor)),
        alpha,
        0.0,
        floor,
    )


def _resample_prior(
    prior: Profile | np.ndarray,
    n_slots: int,
    bucket_seconds: int,
    frame: tuple[str, float] = ("", 0.0),
    at: float = 0.0,
) -> np.ndarray:
    """The prior's expected count per bucket for each of our weekly slots.

    ``frame`` is our (zone, utc_offset_hours).  A prior kept in another frame (a
    regional series in local time borrowing its service's UTC profile) is read at
    the UTC instants of our slot centres in the week before ``at``.
    """
    if isinstance(prior, Profile) and (prior.zone, prior.utc_offset_hours) != frame:
        slot = WEEK / n_slots
        zone, hours = frame
        local_at = at + float(_offsets(at, zone, hours)) + _MONDAY_SHIFT
        centres = local_at - np.mod(local_at, WEEK) - WEEK + (np.arange(n_slots) + 0.5) * slot
        # Local -> UTC with the offset of the moment (a week back is close enough
        # to the same daylight-saving state for a prior that fades within days).
        utc = centres - _MONDAY_SHIFT - float(_offsets(at, zone, hours))
        return prior.expected_many(utc - 0.5 * prior.bucket_seconds) * (bucket_seconds / prior.bucket_seconds)
    if isinstance(prior, Profile):
        m = prior.mean * (bucket_seconds / prior.bucket_seconds)
    else:
        m = np.asarray(prior, dtype=float)
    if len(m) == n_slots:
        return m
    # Different slot resolution: sample the prior at our slot centres (circular).
    x_src = (np.arange(len(m)) + 0.5) / len(m)
    x_dst = (np.arange(n_slots) + 0.5) / n_slots
    return np.interp(x_dst, np.concatenate([x_src - 1, x_src, x_src + 1]), np.tile(m, 3))


def fit_profile(*args: Any, **kwargs: Any) -> Profile:
    """See :func:`_fit_profile` (this wrapper silences numpy's all-NaN warnings)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _fit_profile(*args, **kwargs)


def fit_local_profile(
    values: Sequence[float] | np.ndarray,
    start: datetime | float,
    bucket_seconds: int,
    zone: str,
    recent_days: float = 3.0,
    **kwargs: Any,
) -> Profile:
    """:func:`fit_profile` in ``zone``'s local time, unless the series does not keep
    that zone's clocks.

    While the history holds no clock change, local time and UTC differ by a
    constant and the local fit is taken.  When it holds one, both are fitted and
    the one closer to the last ``recent_days`` (Poisson deviance) wins: people who
    keep the zone's clocks move their peaks with them, and their local profile
    fits the days after the change; data on a fixed offset (some feeds, some
    simulators) fit the UTC profile instead.  Either way a wrong guess costs
    false alarms for weeks (docs/benchmarks-simulated-series.md).
    """
    v = np.asarray(values, dtype=float)
    n, b = len(v), int(bucket_seconds)
    hours = to_epoch(start) + np.arange(0, n * b, 3600, dtype=float)
    if not zone or n == 0 or np.ptp(utc_offsets(hours, zone)) == 0:
        return fit_profile(values, start, bucket_seconds, zone=zone, **kwargs)
    # Both frames without the calibration (most of a fit's cost), then the
    # winner's with it.
    bare = {**kwargs, "tail_alpha": False}
    local = fit_profile(values, start, bucket_seconds, zone=zone, **bare)
    in_utc = fit_profile(values, start, bucket_seconds, **bare)
    recent = slice(max(0, n - int(recent_days * DAY / b)), n)
    times = to_epoch(start) + b * np.arange(n, dtype=float)[recent]
    x = v[recent]
    ok = np.isfinite(x)

    def deviance(profile: Profile) -> float:
        mu = np.maximum(profile.expected_many(times[ok]), 1e-6)
        xs = x[ok]
        with np.errstate(divide="ignore", invalid="ignore"):
            term = np.where(xs > 0, xs * np.log(xs / mu), 0.0) - (xs - mu)
        return float(2.0 * term.sum())

    if not kwargs.get("tail_alpha", True):
        return local if deviance(local) <= deviance(in_utc) else in_utc
    frame = {"zone": zone} if deviance(local) <= deviance(in_utc) else {}
    return fit_profile(values, start, bucket_seconds, **frame, **kwargs)


def _fit_profile(
    values: Sequence[float] | np.ndarray,
    start: datetime | float,
    bucket_seconds: int,
    *,
    utc_offset_hours: float = 0.0,
    zone: str = "",
    slot_seconds: int | None = None,
    prior: Profile | np.ndarray | None = None,
    prior_days: float = 3.0,
    floor: float = 0.0,
    level_days: float = 3.0,
    alpha_days: float = 14.0,
    min_alpha: float = 0.0,
    tail_alpha: bool = True,
    calibration: Calibration | None = None,
) -> Profile:
    """Learn a weekly :class:`Profile` from a history of per-bucket counts.

    values: one count per bucket starting at ``start`` (UTC), NaN = no data.
    slot_seconds: profile resolution; default max(bucket, 15 min), i.e. 672
        slots a week (15 minutes is fine enough for daily cycles and coarse
        enough that each slot averages several buckets).
    zone: an IANA time zone: the profile's week is the zone's local week, daylight-
        saving changes included (a regional series: its country's zone).  Without
        it the week is UTC plus ``utc_offset_hours``.
    prior: a prior profile (or per-slot array of expected counts per bucket),
        e.g. the service's all-regions profile scaled by the region's share;
        it dominates while history is short and fades as
        ``n_days / (n_days + prior_days)``.
    floor: minimum expected count per bucket (tiny services).
    tail_alpha: also calibrate the detector's evidence on the history
        (calibration.calibrate: per-scale dispersions, raised until the typical
        day's largest burst is unsurprising, and the law of daily maxima);
        False: only the bulk dispersion, no calibration.
    calibration: a calibration to keep instead of calibrating again (one made
        lately on nearly the same history: the law of a fortnight's daily maxima
        hardly moves in a few hours, and calibrating is most of a fit's cost).
    level_days: the current level is the robust level of this many last days
        (short enough to follow growth in days, long enough that a few hours
        of outage are outvoted).
    """
    b = int(bucket_seconds)
    slot = int(slot_seconds or max(b, 900))
    slot = max(slot, b) // b * b  # whole buckets per slot
    if DAY % slot:
        slot = 3600 if DAY % b == 0 and b <= 3600 else b
    S = DAY // slot
    n_slots = 7 * S
    v = np.asarray(values, dtype=float)
    n = len(v)
    t_utc = to_epoch(start) + np.arange(n) * b
    frame = (zone, utc_offset_hours)
    end = float(t_utc[-1]) + b if n else to_epoch(start)
    prior_m = _resample_prior(prior, n_slots, b, frame, end) if prior is not None else None

    def finish(
        mean: np.ndarray, alpha: float, n_days: float, extra: dict, cal: Calibration | None = None
    ) -> Profile:
        if prior_m is not None:
            w = n_days / (n_days + prior_days) if prior_days > 0 else 1.0
            mean = w * mean + (1.0 - w) * prior_m
        mean = np.maximum(mean, floor)
        alpha = max(alpha, min_alpha)
        return Profile(b, slot, utc_offset_hours, mean, alpha, n_days, floor, extra, zone, cal)

    ok = ~np.isnan(v)
    if n == 0 or not ok.any():
        base = prior_m if prior_m is not None else np.zeros(n_slots)
        return Profile(
            b,
            slot,
            utc_offset_hours,
            np.maximum(base, floor),
            max(0.5, min_alpha),
            0.0,
            floor,
            {"note": "no data"},
            zone,
        )

    # ---- aggregate buckets to a day x slot matrix (mean count per bucket) ----
    # Local time (daylight-saving changes included when a zone is given).
    tl = t_utc + _offsets(t_utc, zone, utc_offset_hours) + _MONDAY_SHIFT
    day_abs = np.floor(tl / DAY).astype(np.int64)
    day = day_abs - day_abs[0]
    D = int(day[-1]) + 1
    s_idx = ((tl - day_abs * DAY) // slot).astype(np.int64)
    cell = day * S + s_idx
    cnt = np.bincount(cell[ok], minlength=D * S).astype(float)
    tot = np.bincount(cell[ok], weights=v[ok], minlength=D * S)
    per_slot = slot // b
    with np.errstate(all="ignore"):
        # A cell needs half its buckets to count: a half-empty slot is a bad estimate.
        M = np.where(cnt >= max(1, per_slot // 2), tot / cnt, np.nan).reshape(D, S)
    dow = (day_abs[0] + np.arange(D)) % 7  # 0 = Monday (because of _MONDAY_SHIFT)
    n_days = float(np.sum(cnt) * b / DAY)

    # ---- shape and day levels (two robust passes) ----
    T = _fill_nan_circular(_tukey_mean(M, axis=0), 0.0)
    # A slot with NO reporters where the typical day has >= 10 is an intake
    # gap, not a quiet spell (P(0 | Poisson 10) = 5e-5): treat it as missing.
    M = np.where((M == 0) & (T[None, :] * per_slot >= 10.0), np.nan, M)
    if T.mean() <= 0:
        # Extremely sparse series: mostly zeros.  Use plain means (fenced).
        T = _fill_nan_circular(np.nanmean(M, axis=0), 0.0)
    L = np.full(D, np.nan)
    for _ in range(2):
        T = _smooth_circular(np.maximum(T, 0.0))
        mT = T.mean()
        if mT <= 0:
            break
        T = T / mT
        # Slots that are busy (>= 1/4 of the daily mean) give a stable ratio.
        busy = T >= 0.25
        with np.errstate(all="ignore"):
            R = M[:, busy] / T[busy]
            L = _nanmedian(R, axis=1)
            cap = 3 * np.nanmedian(R) + 1 if np.isfinite(R).any() else 1.0
            L_mean = np.nanmean(np.minimum(R, cap), axis=1)
        # For near-zero series the median ratio is 0; the fenced mean is not.
        L = np.where((L <= 0) & np.isfinite(L_mean), L_mean, L)
        good = np.isfinite(L) & (L > 0)
        if not good.any():
            break
        with np.errstate(all="ignore"):
            T = _fill_nan_circular(_tukey_mean(M[good] / L[good, None], axis=0), 1.0)
    mT = T.mean()
    if not np.isfinite(mT) or mT <= 0:
        flat = float(np.nanmean(v))
        return finish(np.full(n_slots, flat), fit_alpha(v, np.full(n, flat)), n_days, {"note": "flat"})
    T = T / mT
    good = np.isfinite(L) & (L > 0)
    Lg = np.where(good, L, np.nan)

    # ---- weekday factors relative to a rolling 7-day GEOMETRIC mean level ----
    # The window is 7 consecutive days (shifted inwards at the ends of the
    # history), so it holds each weekday once and the reference level is not
    # biased by the weekend (a median of 7 days with a quiet weekend is a
    # weekday value, and a centred window truncated at the newest end is not
    # balanced: both made "business" services' Mondays look like outages).
    F = np.ones(7)
    if good.sum() >= 7 and D >= 7:
        with np.errstate(all="ignore"):
            logL = np.log(Lg)
        roll = np.full(D, np.nan)
        for d in range(D):
            a = min(max(0, d - 3), D - 7)
            w = logL[a : a + 7]
            if np.isfinite(w).sum() >= 5:
                roll[d] = float(np.nanmean(w))
        rel = logL - roll
        for k in range(7):
            r = rel[(dow == k) & np.isfinite(rel)]
            if len(r):
                # Shrink (in log space) towards 1 with the weight of half a
                # pseudo-week: one week of data gives 2/3 of the effect it
                # shows, three weeks 6/7.  Day levels are medians over the
                # day's busy slots, so a single week is already informative.
                F[k] = math.exp(float(np.median(r)) * len(r) / (len(r) + 0.5))
        F = F / np.exp(np.mean(np.log(F)))

    # ---- weekday-specific shapes, blended in as weeks accumulate ----
    # A weekday has only a few rows (one a week), too few for the Tukey mean
    # to reject an outage: a 90-minute outage at 50x on one Friday made the
    # next Friday evening's expected level 10x too high.  Cells far above the
    # pooled shape (over 3x it, by at least 10 reporters in the slot) are left
    # out of the weekday shapes; a real weekday pattern is rarely 3x the
    # week's average shape, and one that is shows in the weekday levels F.
    with np.errstate(all="ignore"):
        ratio = M / L[:, None]
        extra_people = (M - 3.0 * L[:, None] * T[None, :]) * per_slot
        ratio = np.where((ratio > 3.0 * T[None, :]) & (extra_people >= 10.0), np.nan, ratio)
    shape = np.tile(T, (7, 1))
    for k in range(7):
        rows = (dow == k) & good
        nk = int(rows.sum())
        if nk:
            with np.errstate(all="ignore"):
                G = _tukey_mean(ratio[rows], axis=0)
            G = np.where(np.isfinite(G), _smooth_circular(np.nan_to_num(G, nan=1.0)), T)
            w = nk / (nk + 3.0)  # 3 pseudo-weeks of the pooled shape
            shape[k] = w * G + (1.0 - w) * T

    # ---- current level: robust level of the last few days, de-weekdayed ----
    recent = good & (np.arange(D) >= D - max(1, int(math.ceil(level_days))))
    if not recent.any():
        recent = good
    level = float(np.median(L[recent] / F[dow[recent]])) if recent.any() else float(np.nanmean(v))

    mean = (level * F[:, None] * shape).reshape(-1)

    # ---- the detector's calibration, against what it would have expected ----
    # Each day is judged against the level of the days before it (as the live
    # detector is, between refits), so the calibration sees the baseline's own
    # errors: growth, news days, a wrong guess at a weekday.
    first = max(0, n - int(alpha_days * DAY / b))
    d_i = day[first:]
    mu_i = np.maximum(
        _trailing_levels(L, good, F, dow, level, level_days)[d_i] * shape[dow[d_i], s_idx[first:]], floor
    )
    extra = {"level": level, "weekday_factor": [round(float(x), 4) for x in F]}
    if tail_alpha and calibration is not None:
        return finish(mean, calibration.scales[0].alpha, n_days, extra, calibration)
    if not tail_alpha or np.nansum(v[first:]) < SPARSE_HISTORY:
        # The bulk dispersion only: too few reporters to say more than the model
        # (or no calibration asked for); the detector then judges by the model.
        return finish(mean, fit_alpha(v[first:], mu_i, day=d_i), n_days, extra)
    cal = calibrate(v[first:], mu_i, d_i, b)
    return finish(mean, cal.scales[0].alpha, n_days, extra, cal)


def _trailing_levels(
    L: np.ndarray, good: np.ndarray, F: np.ndarray, dow: np.ndarray, level: float, days: float
) -> np.ndarray:
    """Each day's level as known the day before: the median of the previous ``days``
    good days' de-weekdayed levels, times the day's weekday factor (the day's own
    level where none came before it)."""
    k = max(1, int(math.ceil(days)))
    base = np.where(good, L / F[dow], np.nan)
    out = np.empty(len(L))
    for d in range(len(L)):
        prev = base[max(0, d - k) : d]
        prev = prev[np.isfinite(prev)]
        own = base[d] if np.isfinite(base[d]) else level
        out[d] = (float(np.median(prev)) if len(prev) else own) * F[dow[d]]
    return out
