"""One detection pass, and the baseline upkeep: what the Celery tasks and the
backtest both run. The live tasks call these with the wall clock, the backtest with
a simulated one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from spikes import counting, fitting, stepping
from spikes.models import PipelineState, Series

# Series per detection task: small enough that several workers share a pass,
# large enough that a task's fixed cost (a few queries) is spread thin.
CHUNK_SIZE = 500

FanOut = Callable[[list[list[int]], datetime], None]


@dataclass
class PassSummary:
    until: datetime
    series: int
    chunks: int
    gaps: int


def run_pass(now: datetime, fan_out: FanOut | None = None, count: bool = True) -> PassSummary:
    """Count what is new, mark intake gaps, and detect every active series up to
    the last complete minute. With `fan_out`, the detection chunks are handed to it
    (Celery workers) instead of being run here."""
    until = counting.floor_minute(now)
    if count:
        counting.catch_up(now)
    state = PipelineState.load()
    since = max(state.last_pass_until or until - stepping.MINUTE, until - stepping.MAX_CATCH_UP)
    gaps = fitting.mark_gaps(since, until, state.global_baseline)
    ids = list(Series.objects.active(now).order_by("pk").values_list("pk", flat=True))
    chunks = [ids[i : i + CHUNK_SIZE] for i in range(0, len(ids), CHUNK_SIZE)]
    if fan_out is not None:
        fan_out(chunks, until)
    else:
        for chunk in chunks:
            stepping.detect(chunk, until)
    PipelineState.objects.filter(pk=1).update(last_pass_until=until, last_pass_at=now)
    return PassSummary(until=until, series=len(ids), chunks=len(chunks), gaps=len(gaps))


def due_baselines(now: datetime) -> list[int]:
    return list(fitting.due_for_refit(now).values_list("pk", flat=True))


def refit_baselines(series_ids: Sequence[int], now: datetime, history: fitting.History | None = None) -> None:
    fitting.refit_many(Series.objects.filter(pk__in=series_ids), now, history)


def refresh_baselines(now: datetime, fan_out: FanOut | None = None) -> int:
    """Refit the global baseline and every series' baseline that is due."""
    if fitting.global_due(now):
        fitting.refit_global(now)
    ids = due_baselines(now)
    # All-regions series come first in `ids` (regional priors are made from them).
    # Chunks fitted in parallel may read a parent's previous profile: a day-old
    # prior, which only matters while a regional series has little history.
    chunks = [ids[i : i + CHUNK_SIZE] for i in range(0, len(ids), CHUNK_SIZE)]
    if fan_out is not None:
        fan_out(chunks, now)
    else:
        for chunk in chunks:
            refit_baselines(chunk, now)
    return len(ids)
