"""System checks of the settings the detector relies on, run by `manage.py check`
(registered in SpikesConfig.ready)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error

from spikes.detection.policy import DEFAULT


def repeat_window_covers_the_handful_bound(app_configs, **kwargs) -> list[Error]:
    """The size gate takes away the most a handful of people could add to a window:
    one per person per repeat window of ``DetectorConfig.repeat_window_seconds``. A
    shorter intake window lets each of them count more often than that, and a
    handful could then raise a spike."""
    assumed = DEFAULT.detector.repeat_window_seconds
    if assumed <= settings.REPORT_REPEAT_WINDOW_SECONDS:
        return []
    return [
        Error(
            f"REPORT_REPEAT_WINDOW_SECONDS is {settings.REPORT_REPEAT_WINDOW_SECONDS}, shorter than the "
            f"{assumed:.0f} seconds the detector's size gate assumes: a handful of people reporting "
            "again and again could raise a spike.",
            hint=f"Set REPORT_REPEAT_WINDOW_SECONDS to at least {assumed:.0f}.",
            id="spikes.E001",
        )
    ]
