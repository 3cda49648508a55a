"""The repeat rule, written once.

A report is a *repeat* when the same reporter (fingerprint) already reported the
same service less than REPORT_REPEAT_WINDOW_SECONDS before it (or at the same
moment). Repeats are stored but not counted: counts are of distinct reporters, so
one person cannot raise a spike by reporting again and again.

The intake asks the database (`Report.objects.is_repeat_of`); whatever marks a
stream of reports in time order (the mover's batches, the backtest's import, the
harness) uses `RepeatMarker`. Both take the window from `repeat_window()`.
In time order, the latest earlier report of a reporter for a service is the one
that decides.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import timedelta
from typing import Any

from django.conf import settings


def repeat_window() -> timedelta:
    return timedelta(seconds=settings.REPORT_REPEAT_WINDOW_SECONDS)


def within(at: Any, earlier: Any, window: Any) -> bool:
    """Whether a report at ``earlier`` makes one at ``at`` (same reporter, same
    service) a repeat. Times and window: datetimes and a timedelta, or numbers."""
    return at - window < earlier <= at


class RepeatMarker:
    """Marks reports, fed in time order, as repeats or not. ``key``: (service,
    reporter), or any value standing for the pair."""

    def __init__(self, window: Any = None) -> None:
        self.window = repeat_window() if window is None else window
        self._latest: dict[Hashable, Any] = {}

    def mark(self, key: Hashable, at: Any) -> bool:
        """Whether this report is a repeat; it then counts as the key's latest."""
        previous = self._latest.get(key)
        self._latest[key] = at
        return previous is not None and within(at, previous, self.window)
