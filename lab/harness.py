#!/usr/bin/env python3
"""Fast, Django-free replay of the live detection path on a simulated reports CSV.

    .venv/bin/python -m lab.harness \
        --reports /tmp/sim/reports.csv --truth /tmp/sim/truth.json [--reference] \
        [--set target_ratio=4 --set warning_threshold=15] [--spikes-out spikes.json] [--details]

What it does, mirroring spikes/counting.py, spikes/baselines.py and spikes/detecting.py:

* repeats: a reporter's report for a service within 15 minutes of their previous
  report for that service is a repeat and does not count (the intake's rule);
* per-minute distinct reporters (non-repeat reports) for every (service, all
  regions) and every (service, region) series that has reports;
* a minute in which no report at all arrived, across all services, is an intake
  gap: NaN for every series;
* baselines: ``fit_profile(last 28 days, 60 s buckets, floor 0.5/h, a regional
  series in its country's time zone)`` re-fitted
  every 24 hours (REFIT_EVERY) from the series' first report on (history starts at that first
  report); a regional series gets its service's all-regions profile scaled by the
  region's share of the service's reporters as a prior; a series is not ready
  (NaN) while ``n_days + prior_days < 1``;
* ``detector.step`` every minute with the default ``DetectorConfig(bucket_seconds=60)``
  (or ``--set`` overrides); opened/resolved events become spikes in the format of
  lab/evaluate.py with ``detected_at`` = the opening minute + 1 minute
  (a minute can only be judged once it is over), problems and regions shares of the
  reports from onset to the end (spikes/detecting.py update_breakdowns);
* prints evaluate()'s table (and the reference rule beside it with --reference).

Baselines are the slow part (~10 ms a fit); they are cached in ``--cache`` keyed by
the reports file and the source of spikes/detection/baseline.py, so that tuning
the detector re-runs only the (fast) stepping.  Series are spread over processes.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import multiprocessing as mp
import os
import sys
import time
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lab.evaluate import _t, evaluate, markdown_table  # noqa: E402
from lab.reference_rule import _codes, load_reports, reference_spikes  # noqa: E402
from spikes.detection import (  # noqa: E402
    Calibration,
    DetectorConfig,
    DetectorState,
    country_zone,
    fit_local_profile,
    step,
)
from spikes.detection import baseline as _baseline_module  # noqa: E402

BUCKET = 60
REPEAT_SECONDS = 15 * 60  # reports/intake.py: REPORT_REPEAT_WINDOW_SECONDS
HISTORY_MIN = 28 * 1440  # spikes/baselines.py HISTORY
REFIT_MIN = 24 * 60  # spikes/baselines.py REFIT_EVERY
FLOOR = 0.5 * BUCKET / 3600  # spikes/baselines.py FLOOR_PER_HOUR
WARM_UP_DAYS = 1.0  # spikes/baselines.py WARM_UP_DAYS


@dataclass
class Data:
    start: float  # epoch of minute 0 (UTC midnight)
    minutes: int
    services: list[str]
    regions: list[str]
    problems: list[str]
    minute: np.ndarray  # per report
    service: np.ndarray
    region: np.ndarray
    problem: np.ndarray
    repeat: np.ndarray
    # series: 0..S-1 all-regions, then one per (service, region) with reports
    series_service: np.ndarray
    series_region: np.ndarray  # -1 = all regions
    counts: np.ndarray  # (series, minutes) float, NaN in intake gaps
    reports: np.ndarray  # (series, minutes) float32, every report (repeats included)
    first: np.ndarray  # first minute with a report, per series


def load(path: Path, start: float, minutes: int) -> Data:
    with open(path, newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        cols = dict(zip(header, zip(*reader)))
    created = cols["created_at"]
    codes, stamps = _codes([s[:16] for s in created])
    mins = np.array(stamps, dtype="datetime64[m]").astype(np.int64) - int(start) // 60
    minute = mins[codes]
    second = np.fromiter((int(s[17:19]) for s in created), dtype=np.int64, count=len(created))
    service, services = _codes(cols["service"])
    region, regions = _codes(cols["region"])
    problem, problems = _codes(cols["problem"])
    reporter, _ = _codes(cols["reporter"])
    t = minute * 60 + second

    # Repeats: sort by (service, reporter, time); a report within 15 min of the
    # same reporter's previous report for the service is a repeat.
    order = np.lexsort((t, reporter, service))
    same = np.zeros(len(t), dtype=bool)
    s_o, r_o, t_o = service[order], reporter[order], t[order]
    same[1:] = (s_o[1:] == s_o[:-1]) & (r_o[1:] == r_o[:-1]) & (t_o[1:] - t_o[:-1] < REPEAT_SECONDS)
    repeat = np.empty(len(t), dtype=bool)
    repeat[order] = same

    S, R = len(services), len(regions)
    ok = (minute >= 0) & (minute < minutes)
    pair = service.astype(np.int64) * R + region
    used = np.unique(pair[ok])
    series_service = np.concatenate([np.arange(S), used // R])
    series_region = np.concatenate([np.full(S, -1), used % R])
    n_series = S + len(used)
    count_ok = ok & ~repeat
    sid_all = service.astype(np.int64)
    sid_reg = S + np.searchsorted(used, pair)
    counts = np.zeros((n_series, minutes))
    for sid in (sid_all, sid_reg):
        counts += np.bincount(
            sid[count_ok] * minutes + minute[count_ok], minlength=n_series * minutes
        ).reshape(n_series, minutes)
    reports = np.zeros((n_series, minutes), dtype=np.float32)
    for sid in (sid_all, sid_reg):
        reports += np.bincount(sid[ok] * minutes + minute[ok], minlength=n_series * minutes).reshape(
            n_series, minutes
        )
    any_report = np.bincount(minute[ok], minlength=minutes) > 0
    counts[:, ~any_report] = np.nan
    first = np.full(n_series, minutes, dtype=np.int64)
    for sid in (sid_all, sid_reg):
        np.minimum.at(first, sid[ok], minute[ok])
    return Data(
        start,
        minutes,
        services,
        regions,
        problems,
        minute,
        service,
        region,
        problem,
        repeat,
        series_service,
        series_region,
        counts,
        reports,
        first,
    )


# ---------------------------------------------------------------- baselines

_G: dict[str, Any] = {}  # per-process globals (fork)


def _fit_schedule(first: int, minutes: int) -> list[int]:
    # The live pass fits a new series at once, then every REFIT_EVERY.
    return list(range(first + 1, minutes, REFIT_MIN))


def _fit_series(sid: int, parent_fits: dict[int, Any] | None) -> tuple[np.ndarray, list, list]:
    """Expected count per minute of one series (NaN where not ready), and the
    calibrations as (first minute, calibration dict)."""
    d: Data = _G["data"]
    v = d.counts[sid]
    exp = np.full(d.minutes, np.nan, dtype=np.float32)
    alp: list = []
    fits = []
    sched = _fit_schedule(int(d.first[sid]), d.minutes)
    for k, now in enumerate(sched):
        lo = max(int(d.first[sid]), now - HISTORY_MIN)
        prior, prior_days = None, 0.0
        if parent_fits is not None:
            parent = _latest(parent_fits, now)
            if parent is not None:
                pv = d.counts[int(d.series_service[sid]), lo:now]
                svc = float(np.nansum(pv))
                if svc > 0:
                    prior = parent.scaled(float(np.nansum(v[lo:now])) / svc)
                    prior_days = parent.n_days
        region = int(d.series_region[sid])
        zone = country_zone(d.regions[region]) if region >= 0 and not _G.get("utc") else ""
        profile = fit_local_profile(v[lo:now], d.start + lo * 60.0, BUCKET, zone, prior=prior, floor=FLOOR)
        if prior is not None:
            profile.extra["prior_days"] = prior_days
        fits.append((now, profile))
        hi = sched[k + 1] if k + 1 < len(sched) else d.minutes
        if profile.n_days + profile.extra.get("prior_days", 0.0) >= WARM_UP_DAYS:
            grid = d.start + 60.0 * np.arange(now, hi)
            exp[now:hi] = profile.expected_many(grid)
            cal = profile.calibration or Calibration.model(BUCKET, profile.alpha)
            alp.append((now, cal.to_dict()))
    return exp, alp, fits


def _latest(fits: dict[int, Any] | list, now: int):
    best = None
    for t, p in fits:
        if t <= now:
            best = p
        else:
            break
    return best


def _fit_parent(sid: int):
    exp, alp, fits = _fit_series(sid, None)
    return sid, exp, alp, fits


def _fit_child(sid: int):
    d: Data = _G["data"]
    parent = _G["parent_fits"].get(int(d.series_service[sid]), [])
    exp, alp, _ = _fit_series(sid, parent)
    return sid, exp, alp


def baselines(d: Data, procs: int, cache: Path | None, key: str) -> tuple[np.ndarray, np.ndarray]:
    path = cache / f"baseline-{key}.npz" if cache else None
    if path and path.exists():
        z = np.load(path)
        return z["expected"], json.loads(path.with_suffix(".json").read_text())
    _G["data"] = d
    n = len(d.counts)
    S = len(d.services)
    expected = np.full((n, d.minutes), np.nan, dtype=np.float32)
    alpha: list = [None] * n
    with mp.get_context("fork").Pool(procs) as pool:
        parent_fits = {}
        for sid, e, a, fits in pool.imap_unordered(_fit_parent, range(S)):
            expected[sid], alpha[sid] = e, a
            parent_fits[sid] = fits
    _G["parent_fits"] = parent_fits
    with mp.get_context("fork").Pool(procs) as pool:
        for sid, e, a in pool.imap_unordered(_fit_child, range(S, n), chunksize=4):
            expected[sid], alpha[sid] = e, a
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, expected=expected)
        path.with_suffix(".json").write_text(json.dumps(alpha))
    return expected, alpha


# ---------------------------------------------------------------- detection


def _detect(sid: int) -> list[dict[str, Any]]:
    d: Data = _G["data"]
    cfg: DetectorConfig = _G["config"]
    exp = _G["expected"][sid].astype(float).tolist()
    segments = [(int(m), Calibration.from_dict(c)) for m, c in _G["alpha"][sid]]
    cal: Calibration | float = 0.0
    obs = d.counts[sid].tolist()
    rep = d.reports[sid].tolist()
    t0 = d.start
    state = DetectorState()
    spikes: list[dict[str, Any]] = []
    cur: dict[str, Any] | None = None
    nan = math.nan
    k = 0
    for i in range(int(d.first[sid]), d.minutes):
        while k < len(segments) and segments[k][0] <= i:
            cal = segments[k][1]
            k += 1
        mu = exp[i]
        x = obs[i] if mu == mu else nan
        state, events = step(cfg, state, x, mu if mu == mu else 0.0, cal, t0 + 60.0 * i, rep[i])
        for e in events:
            if e.kind == "opened":
                cur = {
                    "sid": sid,
                    "level": e.level,
                    "onset": (e.onset or e.time).timestamp(),
                    "detected": e.time.timestamp() + 60.0,
                    "end": None,
                    "peak_at": e.peak_time.timestamp() if e.peak_time else e.time.timestamp(),
                    "peak_reports": e.peak_observed,
                    "expected_reports": e.peak_expected,
                }
                spikes.append(cur)
            elif cur is not None and e.kind == "level_changed":
                cur["level"] = e.level
            elif cur is not None and e.kind == "resolved":
                cur["end"] = (e.end or e.time).timestamp()
                if e.peak_time:
                    cur["peak_at"] = e.peak_time.timestamp()
                cur["peak_reports"], cur["expected_reports"] = e.peak_observed, e.peak_expected
                cur = None
    if cur is not None and state.peak_time is not None:
        cur["peak_at"], cur["peak_reports"] = state.peak_time, state.peak_observed
        cur["expected_reports"] = state.peak_expected
    return spikes


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _breakdowns(d: Data, raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Spike dicts with problem/region shares of ALL reports from onset to end."""
    key_all = d.service.astype(np.int64) * d.minutes + d.minute
    o_all = np.argsort(key_all, kind="stable")
    k_all = key_all[o_all]
    pair = d.service.astype(np.int64) * len(d.regions) + d.region
    key_reg = pair * d.minutes + d.minute
    o_reg = np.argsort(key_reg, kind="stable")
    k_reg = key_reg[o_reg]
    out = []
    for sp in raw:
        sid = sp["sid"]
        svc, reg = int(d.series_service[sid]), int(d.series_region[sid])
        m0 = int((sp["onset"] - d.start) // 60)
        m1 = int((sp["end"] - d.start) // 60) if sp["end"] is not None else d.minutes
        m1 = max(m1, m0 + 1)
        if reg < 0:
            base, order, keys = svc * d.minutes, o_all, k_all
        else:
            base, order, keys = (svc * len(d.regions) + reg) * d.minutes, o_reg, k_reg
        lo, hi = np.searchsorted(keys, [base + m0, base + m1])
        rows = order[lo:hi]

        def shares(codes: np.ndarray, vocab: list[str]) -> dict[str, float]:
            c = np.bincount(codes, minlength=len(vocab))
            tot = c.sum()
            return {vocab[i]: round(float(c[i]) / tot, 4) for i in np.argsort(-c) if c[i]} if tot else {}

        out.append(
            {
                "service": d.services[svc],
                "region": None if reg < 0 else d.regions[reg],
                "level": sp["level"],
                "started_at": _iso(sp["onset"]),
                "detected_at": _iso(sp["detected"]),
                "peak_at": _iso(sp["peak_at"]),
                "ended_at": _iso(sp["end"]) if sp["end"] is not None else None,
                "peak_reports": int(round(sp["peak_reports"])),
                "expected_reports": float(sp["expected_reports"]),
                "problems": shares(d.problem[rows], d.problems),
                "regions": shares(d.region[rows], d.regions),
                "incident": None,
                "related_to": None,
            }
        )
    return out


def detect_all(d: Data, expected, alpha, config: DetectorConfig, procs: int) -> list[dict[str, Any]]:
    _G.update(data=d, expected=expected, alpha=alpha, config=config)
    n = len(d.counts)
    # Longest-first-ish ordering does not matter much; chunks keep IPC small.
    with mp.get_context("fork").Pool(procs) as pool:
        raw = [sp for part in pool.imap(_detect, range(n), chunksize=8) for sp in part]
    return _breakdowns(d, raw)


def parse_set(items: list[str]) -> dict[str, Any]:
    types = {f.name: f.type for f in fields(DetectorConfig)}
    out: dict[str, Any] = {}
    for item in items:
        k, v = item.split("=", 1)
        if k not in types:
            raise SystemExit(f"unknown DetectorConfig field {k!r}")
        cur = getattr(DetectorConfig(), k)
        out[k] = type(cur)(v) if not isinstance(cur, bool) else v.lower() in ("1", "true", "yes")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reports", required=True, type=Path)
    ap.add_argument("--truth", required=True, type=Path)
    ap.add_argument("--reference", action="store_true", help="also score the 3x-median reference rule")
    ap.add_argument("--set", action="append", default=[], help="DetectorConfig override, NAME=VALUE")
    ap.add_argument("--procs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--cache", type=Path, default=Path("/tmp/sim_series_cache"))
    ap.add_argument("--no-cache", action="store_true")
    ap.add_argument("--spikes-out", type=Path)
    ap.add_argument("--json", type=Path, help="write the metrics here")
    ap.add_argument("--details", action="store_true", help="list missed outages and false alarms")
    ap.add_argument(
        "--utc-baselines",
        action="store_true",
        help="fit regional baselines in UTC, not in the country's time zone (for comparison)",
    )
    args = ap.parse_args(argv)

    truth = json.loads(args.truth.read_text())
    start = _t(truth["start"])
    minutes = int((_t(truth["end"]) - start) // 60)
    t_load = time.perf_counter()
    d = load(args.reports, start, minutes)
    t_fit = time.perf_counter()
    st = args.reports.stat()
    # The baseline code, its dispersion and time zones, and this file's fitting loop.
    src = b"".join(
        Path(f).read_bytes()
        for f in (
            _baseline_module.__file__,
            Path(_baseline_module.__file__).with_name("dispersion.py"),
            Path(_baseline_module.__file__).with_name("calibration.py"),
            Path(_baseline_module.__file__).with_name("zones.py"),
            __file__,
        )
    )
    key = hashlib.sha1(
        f"{args.reports.resolve()}|{st.st_size}|{st.st_mtime_ns}|{REFIT_MIN}|{HISTORY_MIN}|{FLOOR}".encode()
        + src
    ).hexdigest()[:16]
    _G["utc"] = args.utc_baselines
    key += "-utc" if args.utc_baselines else ""
    expected, alpha = baselines(d, args.procs, None if args.no_cache else args.cache, key)
    t_det = time.perf_counter()
    config = replace(DetectorConfig(bucket_seconds=BUCKET), **parse_set(args.set))
    spikes = detect_all(d, expected, alpha, config, args.procs)
    t_end = time.perf_counter()
    results = {"detector": evaluate(truth, spikes)}
    if args.reference:
        ref = reference_spikes(load_reports(args.reports, datetime.fromtimestamp(start, UTC)), minutes)
        results["reference (3x median)"] = evaluate(truth, ref)
    print(markdown_table(results))
    print(
        f"\n{len(d.counts)} series x {minutes} minutes; load {t_fit - t_load:.1f} s, "
        f"baselines {t_det - t_fit:.1f} s, detection {t_end - t_det:.1f} s"
    )
    if args.details:
        m = results["detector"]
        by_id = {o["id"]: o for o in truth["outages"]}
        print("\nmissed:")
        for oid in m["missed"]:
            o = by_id[oid]
            print(f"  {oid} {o['kind']:8} {o['service']:20} {o.get('region') or '*':3} {o['started_at']}")
        print(
            "\ndelays (min):", sorted(r["delay_min"] for r in m["per_outage"] if r["delay_min"] is not None)
        )
        _print_false_alarms(truth, spikes)
    if args.spikes_out:
        args.spikes_out.write_text(json.dumps(spikes, indent=1) + "\n")
    if args.json:
        slim = {k: {kk: vv for kk, vv in v.items() if kk != "per_outage"} for k, v in results.items()}
        args.json.write_text(json.dumps(slim, indent=2) + "\n")
    return 0


def _print_false_alarms(truth: dict[str, Any], spikes: list[dict[str, Any]]) -> None:
    """Spikes after the warm-up that no outage or sympathetic event explains."""
    events = truth["outages"] + truth.get("sympathetic", []) + truth.get("campaigns", [])
    warm = _t(truth["warmup_until"])
    print("\nunexplained spikes after warm-up:")
    for sp in spikes:
        a = _t(sp["started_at"])
        b = _t(sp["ended_at"]) if sp["ended_at"] else float("inf")
        det = _t(sp["detected_at"])
        if det < warm:
            continue
        hit = any(
            ev["service"] == sp["service"]
            and (ev.get("region") is None or sp["region"] in (None, ev.get("region")))
            and a <= _t(ev["ended_at"]) + 1800
            and _t(ev["started_at"]) <= b
            for ev in events
        )
        if not hit:
            print(
                f"  {sp['service']:20} {sp['region'] or '*':3} {sp['started_at']} det {sp['detected_at']} "
                f"end {sp['ended_at']} peak {sp['peak_reports']} exp {sp['expected_reports']:.2f} {sp['level']}"
            )


if __name__ == "__main__":
    sys.exit(main())
