"""The detection policy: when baselines are fitted, on what, when a series may be
judged, which minutes are missing, and how the detector's events become decisions.

The maths (``baseline``, ``detector``) says how to fit a profile and how to weigh
one minute; this module says how production runs them. It is written once and
called by everything that detects: the live pass (spikes.fitting and
spikes.stepping read rows, call it and store what it returns), the full-pipeline
backtest (which replays through the live pass), the single-series mode
(``manage.py backtest --series``, benchmarks/nab_realtweets.py) and the
Django-free harness (lab/harness.py). A benchmark therefore measures the policy
production runs, with the same defaults. Arrays, gaps and a schedule in;
decisions out; no Django.

The rules:

* **schedule**: a series is fitted at the first check after its first minute,
  then whenever its fit is ``refit_every_seconds`` old (live: beat checks every
  10 minutes; the harness and the series mode check every bucket);
* **history**: the last ``history_days`` before the fit, from the series' first
  minute on; minutes of an intake gap are missing (NaN), not zero;
* **regional prior**: a region's series borrows its service's latest
  all-regions profile, scaled by the region's share of the service's reporters
  over the same history;
* **readiness**: a series is judged once its profile rests on ``warm_up_days`` of
  history (its own, plus its prior's);
* **intake gaps**: a minute in which nobody at all reported, while the (ready)
  baseline of all reports together expected at least ``gap_min_expected``;
* **decisions**: each detector event becomes an opened / level_changed /
  resolved :class:`Decision`, decided when its minute is over.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from .baseline import DAY, Profile, fit_local_profile
from .detector import DetectorConfig, DetectorState, SpikeEvent, step


@dataclass(frozen=True)
class Policy:
    bucket_seconds: int = 60
    history_days: float = 28.0
    # Every 6 hours: the level of the last three days then follows a sparse
    # regional series within hours. Harness, seed 1: 2 false alarms (0.016 per
    # service-week) against 6 (0.048) when refitted every 24 hours, the same recall
    # and median delay; NAB realTweets 64.66 against 65.18 (docs/benchmarks*.md).
    # A fit costs ~25 ms per series on 28 days of minutes: 10,000 series refitted
    # four times a day take ~17 minutes of one core a day.
    refit_every_seconds: float = 6 * 3600.0
    # The detector's calibration (the law of a fortnight's daily maxima per window
    # length, calibration.py) is most of a fit's cost and hardly moves in six
    # hours: a refit keeps the one its series had unless that is a day old.
    recalibrate_every_seconds: float = DAY
    # A series is judged only once its baseline rests on at least a day of history
    # (its own, or its parent's for a regional prior): before that it cannot know
    # its daily cycle, and every busy evening would look like an outage.
    warm_up_days: float = 1.0
    # Below this many reporters per hour the expected count is raised to it, so
    # that a tiny service is not "infinitely surprised" by its first reporter. Half
    # a reporter per hour is about the quietest service of the starting catalog.
    floor_per_hour: float = 0.5
    # A minute with no report at all is an intake gap when at least this many
    # reporters were expected in it: P(0 | Poisson(3)) is 5%, and a wrongly flagged
    # quiet minute costs nothing but a minute of evidence.
    gap_min_expected: float = 3.0
    detector: DetectorConfig = field(default_factory=DetectorConfig)

    def __post_init__(self) -> None:
        if self.detector.bucket_seconds != self.bucket_seconds:
            tuned = dataclasses.replace(self.detector, bucket_seconds=self.bucket_seconds)
            object.__setattr__(self, "detector", tuned)

    def for_buckets(self, seconds: int) -> Policy:
        """The same policy on buckets of ``seconds`` (durations stay in seconds)."""
        return dataclasses.replace(self, bucket_seconds=int(seconds))

    @property
    def bucket(self) -> timedelta:
        return timedelta(seconds=self.bucket_seconds)

    @property
    def refit_every(self) -> timedelta:
        return timedelta(seconds=self.refit_every_seconds)

    @property
    def history(self) -> timedelta:
        return timedelta(days=self.history_days)

    # --- schedule ----------------------------------------------------------------

    def refit_due(self, fitted_at: float | None, now: float) -> bool:
        return fitted_at is None or now - fitted_at >= self.refit_every_seconds

    def fit_times(self, first: float, end: float, every: float, origin: float) -> list[float]:
        """When a series whose first minute starts at ``first`` is fitted before
        ``end``, if the fits are checked at ``origin + k * every``: at the first check
        after that minute is over, then at the first check at which it is due.
        (Epoch seconds. Live, beat checks every 10 minutes; the harness and the
        series mode check every bucket.)"""

        def next_check(at: float) -> float:
            return origin + every * math.ceil((at - origin) / every - 1e-9)

        fits: list[float] = []
        now = next_check(first + self.bucket_seconds)
        while now < end:
            fits.append(now)
            now = next_check(now + self.refit_every_seconds)
        return fits

    # --- baselines ---------------------------------------------------------------

    def history_start(self, now: float, first: float | None) -> float:
        """Where a fit at ``now`` starts reading: HISTORY back, but not before the
        series' first minute (no need to feed weeks of zeros before it existed)."""
        start = now - self.history_days * DAY
        return max(start, first) if first is not None else start

    def fit(
        self,
        values: np.ndarray,
        start: float,
        *,
        zone: str = "",
        prior: Profile | None = None,
        previous: Profile | None = None,
    ) -> Profile:
        """A series' baseline from its per-bucket distinct reporters (NaN: missing).

        ``zone``: a country's reporters keep its clocks, daylight saving included;
        the all-regions series of a service spans many zones and stays in UTC ("").
        ``previous``: the series' baseline until now, whose calibration is kept
        while it is younger than ``recalibrate_every_seconds``.
        """
        end = start + self.bucket_seconds * len(values)
        kept, calibrated_at = None, end
        if previous is not None and previous.calibration is not None:
            at = previous.extra.get("calibrated_at")
            if at is not None and end - at < self.recalibrate_every_seconds:
                kept, calibrated_at = previous.calibration, at
        profile = fit_local_profile(
            values,
            start,
            self.bucket_seconds,
            zone,
            prior=prior,
            floor=self.floor_per_hour * self.bucket_seconds / 3600.0,
            calibration=kept,
        )
        if profile.calibration is not None:
            profile.extra["calibrated_at"] = calibrated_at
        if prior is not None:
            profile.extra["prior_days"] = prior.n_days
        # As stored: the live pass judges against the profile read back from its
        # JSON form (means to 6 decimals), and so must every replay of it.
        return Profile.from_dict(profile.to_dict())

    def is_ready(self, profile: Profile | None) -> bool:
        return (
            profile is not None and profile.n_days + profile.extra.get("prior_days", 0.0) >= self.warm_up_days
        )

    # --- intake gaps -------------------------------------------------------------

    def intake_gaps(self, overall: Profile | None, times: np.ndarray, heard: np.ndarray) -> np.ndarray:
        """Which of ``times`` (bucket starts) were intake gaps: nobody reported at all
        (``heard`` False) while the baseline of all reports together (``overall``)
        expected many. Until that baseline is ready (a day of history: before, it
        cannot tell a quiet night from a busy evening), none are."""
        if not self.is_ready(overall) or len(times) == 0:
            return np.zeros(len(times), dtype=bool)
        return (overall.expected_many(times) >= self.gap_min_expected) & ~np.asarray(heard, dtype=bool)

    # --- detection ---------------------------------------------------------------

    def step(
        self,
        state: DetectorState,
        times: np.ndarray,
        values: np.ndarray,
        profile: Profile | None,
        reports: np.ndarray | None = None,
    ) -> tuple[DetectorState, list[Decision]]:
        """Step the detector over consecutive buckets (``values``: distinct reporters,
        NaN where missing; ``reports``: every report, repeats included, when known)
        with one baseline and its calibration; returns the state and its decisions.

        Before the baseline is ready every bucket is missing data to the detector:
        no evidence either way, so the state does not move.
        """
        if not self.is_ready(profile) or len(times) == 0:
            return state, []
        expected = profile.expected_many(times).tolist()
        # The profile's own calibration of the scan; a near-silent series has none
        # and is judged by the model with its dispersion (calibration.py).
        calibration = profile.calibration or profile.alpha
        filed = [None] * len(expected) if reports is None else np.asarray(reports, dtype=float).tolist()
        decisions: list[Decision] = []
        for t, x, mu, r in zip(
            np.asarray(times, dtype=float).tolist(), np.asarray(values).tolist(), expected, filed
        ):
            state, events = step(self.detector, state, x, mu, calibration, t, r)
            decisions.extend(Decision.of(event, self.bucket) for event in events)
        return state, decisions


DEFAULT = Policy()


@dataclass(frozen=True)
class Decision:
    """What the detector decided about a series' spike, in the terms a Spike row keeps.

    A bucket's counts are complete, and the detector can decide, once it is over:
    ``decided_at`` is the end of the bucket the event came from.
    """

    kind: str  # "opened" | "level_changed" | "resolved"
    level: str
    at: datetime  # the start of the bucket the event came from
    decided_at: datetime
    started_at: datetime
    ended_at: datetime | None  # resolved only
    peak_at: datetime
    peak_reports: int
    expected_reports: float

    @classmethod
    def of(cls, event: SpikeEvent, bucket: timedelta) -> Decision:
        return cls(
            kind=event.kind,
            level=event.level,
            at=event.time,
            decided_at=event.time + bucket,
            started_at=event.onset or event.time,
            ended_at=(event.end or event.time) if event.kind == "resolved" else None,
            peak_at=event.peak_time or event.time,
            peak_reports=round(event.peak_observed),
            expected_reports=event.peak_expected,
        )


def current_peak(state: DetectorState) -> tuple[datetime, int, float] | None:
    """The open spike's peak so far (time, reporters, expected), or None."""
    if state.peak_time is None:
        return None
    return datetime.fromtimestamp(state.peak_time, tz=UTC), round(state.peak_observed), state.peak_expected


def regional_prior(parent: Profile | None, own_total: float, parent_total: float) -> Profile | None:
    """A region's prior: its service's all-regions profile times the region's share
    of the service's reporters (None without a parent or any reporter)."""
    if parent is None or not parent_total:
        return None
    return parent.scaled(own_total / parent_total)


def grid(start: float, end: float, bucket_seconds: int) -> np.ndarray:
    """Epoch seconds of every bucket in [start, end)."""
    return np.arange(start, end, bucket_seconds, dtype=float)


def dense(
    start: float, n: int, bucket_seconds: int, counts: Mapping[float, float], missing: Iterable[float] = ()
) -> np.ndarray:
    """``n`` buckets from ``start``: the counts where given, zero where nobody
    reported, NaN in the ``missing`` buckets (epoch seconds)."""
    values = np.zeros(n)
    for epoch, count in counts.items():
        i = int((epoch - start) // bucket_seconds)
        if 0 <= i < n:
            values[i] = count
    gaps = [int((g - start) // bucket_seconds) for g in missing]
    values[[i for i in gaps if 0 <= i < n]] = np.nan
    return values


# --- replaying arrays: the harness, the series mode and the tests --------------------


@dataclass(frozen=True)
class Fit:
    at: float  # epoch seconds of the check that made it; used for buckets from here on
    profile: Profile


def latest(fits: Sequence[Fit], at: float) -> Profile | None:
    """The newest of ``fits`` made at or before ``at``."""
    best = None
    for fit in fits:
        if fit.at > at:
            break
        best = fit.profile
    return best


@dataclass(frozen=True)
class Checks:
    """When fits are checked: at ``origin + k * every`` (epoch seconds), before ``end``."""

    origin: float
    every: float
    end: float


def replay_fits(
    policy: Policy,
    values: np.ndarray,
    start: float,
    first: float,
    checks: Checks,
    *,
    zone: str = "",
    parent: tuple[Sequence[Fit], np.ndarray] | None = None,
) -> list[Fit]:
    """Every fit the live pass makes of one series, given its distinct reporters on
    the bucket grid from ``start`` (NaN: missing), the start of its first minute
    with any report (repeats included: that is when the series appears), and when
    fits are checked. ``parent``: its service's all-regions fits and values, for a
    region's prior."""
    b = policy.bucket_seconds
    fits = []
    for now in policy.fit_times(first, checks.end, checks.every, checks.origin):
        lo = int((policy.history_start(now, first) - start) // b)
        hi = int((now - start) // b)
        prior = None
        if parent is not None:
            parent_fits, parent_values = parent
            prior = regional_prior(
                latest(parent_fits, now),
                float(np.nansum(values[lo:hi])),
                float(np.nansum(parent_values[lo:hi])),
            )
        previous = fits[-1].profile if fits else None
        fits.append(
            Fit(now, policy.fit(values[lo:hi], start + b * lo, zone=zone, prior=prior, previous=previous))
        )
    return fits


def replay_decisions(
    policy: Policy,
    values: np.ndarray,
    start: float,
    fits: Sequence[Fit],
    reports: np.ndarray | None = None,
) -> tuple[list[Decision], DetectorState]:
    """Step the detector over every bucket, each with the newest fit made before it
    (``reports``: every report per bucket, repeats included, when known)."""
    b = policy.bucket_seconds
    state, decisions = DetectorState(), []
    for k, fit in enumerate(fits):
        lo = max(0, int((fit.at - start) // b))
        hi = int((fits[k + 1].at - start) // b) if k + 1 < len(fits) else len(values)
        times = start + b * np.arange(lo, hi, dtype=float)
        filed = None if reports is None else reports[lo:hi]
        state, made = policy.step(state, times, values[lo:hi], fit.profile, filed)
        decisions.extend(made)
    return decisions, state


def replay_gaps(
    policy: Policy, totals: np.ndarray, heard: np.ndarray, start: float, checks: Checks
) -> np.ndarray:
    """Which buckets were intake gaps, as the live pass marks them. ``totals``: the
    distinct reporters of all services together per bucket; ``heard``: whether any
    report arrived in it. Their baseline is refitted on the series' schedule, on
    its history with the gaps found so far left out, and judges the buckets after
    each fit."""
    b = policy.bucket_seconds
    n = len(totals)
    gaps = np.zeros(n, dtype=bool)
    seen = np.flatnonzero(heard)
    if not len(seen):
        return gaps
    values = np.asarray(totals, dtype=float).copy()
    first = start + b * float(seen[0])
    fits = policy.fit_times(first, checks.end, checks.every, checks.origin)
    overall = None
    for k, now in enumerate(fits):
        lo = int((policy.history_start(now, first) - start) // b)
        hi = int((now - start) // b)
        overall = policy.fit(values[lo:hi], start + b * lo, previous=overall)
        z = int((fits[k + 1] - start) // b) if k + 1 < len(fits) else n
        found = policy.intake_gaps(overall, start + b * np.arange(hi, z, dtype=float), heard[hi:z])
        gaps[hi:z] = found
        values[hi:z][found] = np.nan
    return gaps
