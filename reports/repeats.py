"""The repeat rule, written once.

A report is a *repeat* when the same reporter (fingerprint) already reported the
same service less than REPORT_REPEAT_WINDOW_SECONDS before it (or at the same
moment). Repeats are stored but not counted: counts are of distinct reporters, so
one person cannot raise a spike by reporting again and again.

The intake asks the database (`Report.objects.is_repeat_of`); whatever marks a
stream of reports in time order (the mover's batches, the backtest's import, the
harness) uses `RepeatMarker`. Both take the window from `repeat_window()`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
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
    """Marks reports, fed roughly in time order, as repeats or not.

    ``key`` is (service, reporter); ``earlier`` seeds reports already stored.
    """

    # Times of a key older than the window are dropped once this many pile up.
    _PRUNE_AT = 8

    def __init__(self, window: Any = None, earlier: Iterable[tuple[Hashable, Any]] = ()) -> None:
        self.window = repeat_window() if window is None else window
        self._times: dict[Hashable, list[Any]] = defaultdict(list)
        for key, at in earlier:
            self._times[key].append(at)

    def mark(self, key: Hashable, at: Any) -> bool:
        times = self._times[key]
        repeat = any(within(at, t, self.window) for t in times)
        times.append(at)
        if len(times) > self._PRUNE_AT:
            times[:] = [t for t in times if t > at - self.window]
        return repeat
