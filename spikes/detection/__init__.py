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

Calibration (``calibration``)
    The evidence of a multi-scale scan (1 to 60 minutes) of negative-binomial
    surprise and its law of daily maxima, fitted with each profile
    (``Profile.calibration``), so that one target rate of false alarms per series
    and week gives the threshold at any bucket length and level.

Detector (``detector``)
    ``DetectorConfig`` (rates per week; durations in seconds), ``DetectorState``
    (JSON via to_dict/from_dict), ``step(config, state, observed, expected,
    calibration, bucket_time, reports=None) -> (state, events)`` for one bucket and
    ``run(config, observed, expected, calibration, times) -> events``.
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
from .calibration import Calibration, calibrate
from .detector import (
    DANGER,
    WARNING,
    DetectorConfig,
    DetectorState,
    SpikeEvent,
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
    "Calibration",
    "DEFAULT",
    "WARNING",
    "Decision",
    "calibrate",
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
    "open_spans",
    "run",
    "step",
    "to_epoch",
]
