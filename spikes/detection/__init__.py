"""Spike detection maths for outagewatch (pure Python + numpy; no Django).

There is exactly ONE detector and ONE policy around it; the live Celery task,
the reports backtest, the single-series backtest and the harness all go through
this package.

Baselines (``baseline``)
    ``fit_profile(values, start, bucket_seconds, zone="", prior=None, floor=0)``
    -> :class:`Profile`: expected distinct reporters per weekly slot (local time
    of day x day of week, in an IANA ``zone`` when given, daylight-saving
    changes included; ``zones.country_zone`` names a country's), robust to past outages and gaps,
    following level changes, plus an NB dispersion.  ``Profile.expected(t)`` /
    ``expected_many(times)`` evaluate it in O(1); ``to_dict``/``from_dict``
    store it.

Detector (``detector``)
    ``DetectorConfig`` (thresholds; durations in seconds), ``DetectorState``
    (JSON via to_dict/from_dict), ``step(config, state, observed, expected,
    dispersion, bucket_time) -> (state, events)`` for one bucket and
    ``run(config, observed, expected, dispersion, times) -> events``.
    Events are :class:`SpikeEvent` (kind "opened" / "level_changed" /
    "resolved", level "warning" / "danger", onset, end, peak).

Policy (``policy``)
    ``Policy`` (its defaults, ``DEFAULT``, are production's): when baselines are
    fitted and on what history, regional priors, warm-up, intake gaps, and
    ``Policy.step`` turning detector events into :class:`Decision` s; and
    ``replay_gaps`` / ``replay_fits`` / ``replay_decisions``, the same policy over
    arrays (the harness, the series mode, the tests).

Single series (``series``)
    ``detect_series(timestamps, values, policy=None)`` -> rows with
    is_spike / level / expected, learning the baseline online (no look-ahead).
"""

from .baseline import Profile, fit_local_profile, fit_profile, flat_profile, to_epoch
from .detector import (
    DANGER,
    WARNING,
    DetectorConfig,
    DetectorState,
    SpikeEvent,
    nb_llr,
    open_spans,
    run,
    step,
)
from .dispersion import fit_alpha
from .policy import DEFAULT, Decision, Policy
from .series import detect_series, infer_interval
from .zones import country_zone

__all__ = [
    "DANGER",
    "DEFAULT",
    "WARNING",
    "Decision",
    "DetectorConfig",
    "DetectorState",
    "Policy",
    "Profile",
    "SpikeEvent",
    "country_zone",
    "detect_series",
    "fit_alpha",
    "fit_local_profile",
    "fit_profile",
    "flat_profile",
    "infer_interval",
    "nb_llr",
    "open_spans",
    "run",
    "step",
    "to_epoch",
]
