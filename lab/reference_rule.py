"""The plain reference rule the detector is compared with, on a reports CSV.

Rule: count distinct reporters per minute for every (service, all regions) and
(service, region) series; flag a minute when its count is above `factor` times
the median of the same minute of the day over the previous seven days (and at
least `min_count`); flagged minutes closer than `max_gap` quiet minutes apart
form one spike. A minute is only known once it is over, so a spike is raised
("detected_at") at the end of its first flagged minute.

Pure numpy, no Django: ~2.5M reports over six weeks take a few seconds.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class Reports:
    """A reports CSV as integer columns (indices into the vocabularies)."""

    start: datetime  # minute 0, a UTC midnight
    minute: np.ndarray
    service: np.ndarray
    region: np.ndarray
    problem: np.ndarray
    reporter: np.ndarray
    services: list[str]
    regions: list[str]
    problems: list[str]


def _codes(values: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Factorise strings (a dict beats np.unique on millions of Python strings)."""
    vocab = list(dict.fromkeys(values))
    index = {v: i for i, v in enumerate(vocab)}
    codes = np.fromiter(map(index.__getitem__, values), dtype=np.int32, count=len(values))
    return codes, vocab


def load_reports(path: str | Path, start: datetime | None = None) -> Reports:
    """Read a `created_at,service,region,problem,reporter` CSV (ISO 8601 UTC times)."""
    with open(path, newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        cols = list(zip(*reader)) or [()] * len(header)
    data = dict(zip(header, cols))
    # "2025-01-06T00:00:07Z" or "...+00:00": the first 16 characters are the UTC minute,
    # and there are far fewer distinct minutes than rows, so parse each only once.
    codes, stamps = _codes([s[:16] for s in data["created_at"]])
    minutes = np.array(stamps, dtype="datetime64[m]").astype(np.int64)
    if start is None:
        start = datetime.fromtimestamp(int(minutes.min()) // 1440 * 86400 if len(minutes) else 0, UTC)
    minute = minutes[codes] - int(start.timestamp()) // 60
    service, services = _codes(data["service"])
    region, regions = _codes(data["region"])
    problem, problems = _codes(data["problem"])
    reporter, _ = _codes(data["reporter"])
    return Reports(start, minute, service, region, problem, reporter, services, regions, problems)


def _distinct_per_minute(
    codes: np.ndarray, reporter: np.ndarray, minute: np.ndarray, n_series: int, minutes: int
) -> np.ndarray:
    """(series, minute) counts of distinct reporters; codes are series indices."""
    ok = (minute >= 0) & (minute < minutes)
    cell = minute[ok] * n_series + codes[ok]
    pairs = np.unique(cell * (int(reporter.max(initial=0)) + 1) + reporter[ok])
    cell = pairs // (int(reporter.max(initial=0)) + 1)
    return np.bincount(cell, minlength=minutes * n_series).reshape(minutes, n_series).T


def reference_spikes(
    reports: Reports,
    minutes: int | None = None,
    factor: float = 3.0,
    days: int = 7,
    min_count: int = 1,
    max_gap: int = 5,
) -> list[dict[str, Any]]:
    """Spikes raised by the reference rule, in the backtest's SPIKES.json format."""
    if minutes is None:
        minutes = int(reports.minute.max(initial=0)) + 1
    n_days = -(-minutes // 1440)
    width = n_days * 1440
    S, R = len(reports.services), len(reports.regions)
    pair = reports.service.astype(np.int64) * R + reports.region
    used = np.unique(pair)
    # Series 0..S-1: each service over all regions; then one per (service, region) seen.
    series_service = np.concatenate([np.arange(S), used // R])
    series_region = np.concatenate([np.full(S, -1), used % R])
    counts = np.concatenate(
        [
            _distinct_per_minute(
                reports.service.astype(np.int64), reports.reporter, reports.minute, S, width
            ),
            _distinct_per_minute(
                np.searchsorted(used, pair), reports.reporter, reports.minute, len(used), width
            ),
        ]
    ).astype(np.int32)
    by_day = counts.reshape(len(counts), n_days, 1440)
    median = np.zeros(by_day.shape, dtype=np.float32)
    for d in range(days, n_days):
        median[:, d] = np.median(by_day[:, d - days : d], axis=1)
    flagged = (by_day > factor * median) & (by_day >= min_count)
    flagged[:, :days] = False  # no history yet
    flagged = flagged.reshape(len(counts), width)[:, :minutes]
    median = median.reshape(len(counts), width)

    series, minute = np.nonzero(flagged)  # row-major: grouped by series, then time
    if len(series) == 0:
        return []
    new = np.ones(len(series), dtype=bool)
    new[1:] = (series[1:] != series[:-1]) | (minute[1:] - minute[:-1] - 1 > max_gap)
    spike_of = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    last = np.append(first[1:], len(series)) - 1
    values = counts[series, minute]
    by_peak = np.lexsort((-values, spike_of))  # each spike's busiest minute comes first
    peak = by_peak[np.searchsorted(spike_of[by_peak], np.arange(len(first)))]

    # Each spike's reports are one slice of the rows sorted by (series, minute):
    # gather them all at once and count problems and regions per spike.
    T = width
    pair_series = S + np.searchsorted(used, pair)
    s_first = series[first].astype(np.int64)
    problems = np.zeros((len(first), len(reports.problems)), dtype=np.int32)
    regions = np.zeros((len(first), R), dtype=np.int32)
    for is_all, row_series in ((True, reports.service.astype(np.int64)), (False, pair_series)):
        key = row_series * T + reports.minute
        order = np.argsort(key, kind="stable")
        spikes = np.flatnonzero((s_first < S) == is_all)
        lo = np.searchsorted(key[order], s_first[spikes] * T + minute[first[spikes]])
        hi = np.searchsorted(key[order], s_first[spikes] * T + minute[last[spikes]] + 1)
        lengths = hi - lo
        rows = order[np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths - lo, lengths)]
        owner = np.repeat(spikes, lengths)
        np.add.at(problems, (owner, reports.problem[rows]), 1)
        np.add.at(regions, (owner, reports.region[rows]), 1)

    def stamps(m: np.ndarray) -> list[str]:
        t = np.datetime64(reports.start.replace(tzinfo=None), "m") + m.astype("timedelta64[m]")
        return [x + "Z" for x in np.datetime_as_string(t, unit="s").tolist()]

    def shares(matrix: np.ndarray, vocab: list[str]) -> list[dict[str, float]]:
        """Each row's non-zero shares as {name: share}."""
        fractions = np.round(matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1), 4)
        rows, cols = np.nonzero(matrix)
        out: list[dict[str, float]] = [{} for _ in range(len(matrix))]
        for r, name, value in zip(
            rows.tolist(), np.asarray(vocab, dtype=object)[cols].tolist(), fractions[rows, cols].tolist()
        ):
            out[r][name] = value
        return out

    problem_shares, region_shares = shares(problems, reports.problems), shares(regions, reports.regions)
    started, detected = stamps(minute[first]), stamps(minute[first] + 1)
    peaked, ended = stamps(minute[peak]), stamps(minute[last] + 1)
    out = []
    for i in range(len(first)):
        s = int(s_first[i])
        reg = int(series_region[s])
        out.append(
            {
                "service": reports.services[int(series_service[s])],
                "region": "" if reg < 0 else reports.regions[reg],
                "level": "warning",
                "started_at": started[i],
                "detected_at": detected[i],
                "peak_at": peaked[i],
                "ended_at": ended[i],
                "peak_reports": int(values[peak[i]]),
                "expected_reports": float(median[s, minute[peak[i]]]),
                "problems": problem_shares[i],
                "regions": region_shares[i],
                "incident": None,
                "related_to": None,
            }
        )
    return out
