#!/usr/bin/env python3
"""Fast, Django-free replay of the live detection path on a simulated reports CSV.

    .venv/bin/python -m lab.harness \
        --reports /tmp/sim/reports.csv --truth /tmp/sim/truth.json [--reference] \
        [--set target_ratio=4 --set warning_threshold=15] [--spikes-out spikes.json] [--details]

It computes what the database holds live, in numpy instead of SQL, and hands it to
the detection policy the live pass runs (spikes/detection/policy.py: schedule,
history, regional priors, readiness, intake gaps, decisions), so its figures are
production's:

* repeats: reports.repeats, the intake's rule and window (REPORT_REPEAT_WINDOW_SECONDS);
* per-minute distinct reporters (non-repeat reports) for every (service, all
  regions) and every (service, region) series that has reports; a series appears
  with its first report;
* intake gaps, baselines and decisions: the policy's `replay_gaps`, `replay_fits`
  and `replay_decisions`, with the fits checked every minute (`--check-minutes`;
  the full-pipeline backtest checks them after each pass, every 60 minutes);
* decisions become spikes in the format of lab/evaluate.py, with the problems and
  regions shares of the reports from onset to the end (spikes/stepping.py
  update_breakdowns);
* prints evaluate()'s table (and the reference rule beside it with --reference).

Baselines are the slow part (~10 ms a fit); they are cached in ``--cache`` keyed by
the reports file and the source of the detection package, so that tuning the
detector re-runs only the (fast) stepping. Series are spread over processes.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
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
# The repeat window is a setting (read, not configured: no database is involved).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outagewatch.settings")

from lab.evaluate import _t, evaluate, markdown_table  # noqa: E402
from lab.reference_rule import _codes, load_reports, reference_spikes  # noqa: E402
from outagewatch.times import iso_utc  # noqa: E402
from reports.repeats import RepeatMarker, repeat_window  # noqa: E402
from spikes import detection as _detection_package  # noqa: E402
from spikes.detection import Calibration, DetectorConfig, Profile, country_zone  # noqa: E402
from spikes.detection.policy import (  # noqa: E402
    DEFAULT,
    Checks,
    Decision,
    Fit,
    Policy,
    current_peak,
    replay_decisions,
    replay_fits,
    replay_gaps,
)


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
    gaps: np.ndarray  # per minute: an intake gap


def mark_repeats(service: np.ndarray, reporter: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """Each report: a repeat (reports.repeats) or not, going through them in time order."""
    marker = RepeatMarker(repeat_window().total_seconds())
    order = np.argsort(seconds, kind="stable")
    keys = (service.astype(np.int64) * (int(reporter.max(initial=0)) + 1) + reporter)[order]
    repeat = np.zeros(len(seconds), dtype=bool)
    repeat[order] = [marker.mark(k, t) for k, t in zip(keys.tolist(), seconds[order].tolist())]
    return repeat


def load(path: Path, start: float, minutes: int, policy: Policy, checks: Checks) -> Data:
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
    repeat = mark_repeats(service, reporter, minute * 60 + second)

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
    # A minute with any report at all (repeats included) proves the intake was up.
    heard = np.bincount(minute[ok], minlength=minutes) > 0
    gaps = replay_gaps(policy, counts[:S].sum(axis=0), heard, start, checks)
    counts[:, gaps] = np.nan
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
        gaps,
    )


# ---------------------------------------------------------------- baselines

_G: dict[str, Any] = {}  # per-process globals (fork)


def _fit_series(sid: int) -> tuple[int, list[Fit]]:
    """Every fit the live pass makes of one series (a region's with its prior)."""
    d: Data = _G["data"]
    region = int(d.series_region[sid])
    parent = None
    if region >= 0:
        service = int(d.series_service[sid])
        parent = (_G["fits"][service], d.counts[service])
    zone = country_zone(d.regions[region]) if region >= 0 and not _G["utc"] else ""
    first = d.start + 60.0 * int(d.first[sid])
    return sid, replay_fits(
        _G["policy"], d.counts[sid], d.start, first, _G["checks"], zone=zone, parent=parent
    )


def _map(function, items, procs: int, chunksize: int = 1):
    if procs <= 1:
        return map(function, items)
    pool = mp.get_context("fork").Pool(procs)
    _G.setdefault("pools", []).append(pool)
    return pool.imap_unordered(function, items, chunksize=chunksize)


def _close_pools() -> None:
    for pool in _G.pop("pools", []):
        pool.close()
        pool.join()


def baselines(d: Data, policy: Policy, checks: Checks, procs: int, cache: Path | None, key: str, utc: bool):
    """Every series' fits, by series: all-regions first (regional priors are made from them)."""
    path = cache / f"fits-{key}.npz" if cache else None
    if path and path.exists():
        return _read_fits(path)
    _G.update(data=d, policy=policy, checks=checks, utc=utc, fits={})
    S = len(d.services)
    _G["fits"].update(_map(_fit_series, range(S), procs))
    _G["fits"].update(_map(_fit_series, range(S, len(d.counts)), procs, chunksize=4))
    _close_pools()
    fits = _G.pop("fits")
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_fits(path, fits)
    return fits


_FIELDS = ("bucket_seconds", "slot_seconds", "utc_offset_hours", "alpha", "n_days", "floor")


def _write_fits(path: Path, fits: dict[int, list[Fit]]) -> None:
    rows = [(sid, f) for sid, series_fits in sorted(fits.items()) for f in series_fits]
    np.savez(
        path,
        sid=np.array([sid for sid, _ in rows], dtype=np.int64),
        at=np.array([f.at for _, f in rows]),
        mean=np.array([f.profile.mean for _, f in rows]),
        zone=np.array([f.profile.zone for _, f in rows], dtype=str),
        prior_days=np.array([f.profile.extra.get("prior_days", np.nan) for _, f in rows]),
        calibration=np.array(
            [json.dumps(f.profile.calibration.to_dict()) if f.profile.calibration else "" for _, f in rows],
            dtype=str,
        ),
        **{name: np.array([getattr(f.profile, name) for _, f in rows]) for name in _FIELDS},
    )


def _read_fits(path: Path) -> dict[int, list[Fit]]:
    z = np.load(path, allow_pickle=False)
    fits: dict[int, list[Fit]] = {}
    for i, sid in enumerate(z["sid"].tolist()):
        extra = {} if np.isnan(z["prior_days"][i]) else {"prior_days": float(z["prior_days"][i])}
        profile = Profile(
            int(z["bucket_seconds"][i]),
            int(z["slot_seconds"][i]),
            float(z["utc_offset_hours"][i]),
            z["mean"][i],
            float(z["alpha"][i]),
            float(z["n_days"][i]),
            float(z["floor"][i]),
            extra,
            str(z["zone"][i]),
            Calibration.from_dict(json.loads(z["calibration"][i])) if z["calibration"][i] else None,
        )
        fits.setdefault(sid, []).append(Fit(float(z["at"][i]), profile))
    return fits


# ---------------------------------------------------------------- detection


def spikes_of(sid: int, decisions: list[Decision], state) -> list[dict[str, Any]]:
    """A series' decisions as spikes, as spikes.stepping stores them."""
    spikes: list[dict[str, Any]] = []
    cur: dict[str, Any] | None = None
    for d in decisions:
        if d.kind == "opened" or cur is None:
            cur = {"sid": sid, "level": d.level, "started_at": d.started_at, "detected_at": d.decided_at}
            cur.update(ended_at=None, peak_at=d.peak_at, peak_reports=d.peak_reports)
            cur["expected_reports"] = d.expected_reports
            spikes.append(cur)
        elif d.kind == "level_changed":
            cur["level"] = d.level
        elif d.kind == "resolved":
            cur.update(ended_at=d.ended_at, peak_at=d.peak_at, peak_reports=d.peak_reports)
            cur["expected_reports"] = d.expected_reports
            cur = None
    peak = current_peak(state)
    if cur is not None and peak is not None:
        cur["peak_at"], cur["peak_reports"], cur["expected_reports"] = peak
    return spikes


def _detect(sid: int) -> list[dict[str, Any]]:
    d: Data = _G["data"]
    fits = _G["fits"].get(sid, [])
    decisions, state = replay_decisions(_G["policy"], d.counts[sid], d.start, fits, d.reports[sid])
    return spikes_of(sid, decisions, state)


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
        m0 = int((sp["started_at"].timestamp() - d.start) // 60)
        m1 = int((sp["ended_at"].timestamp() - d.start) // 60) if sp["ended_at"] is not None else d.minutes
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
                # Spike.as_json's shape (spikes/models.py): what `manage.py backtest` writes.
                "id": None,
                "service": d.services[svc],
                "service_name": d.services[svc],
                "region": "" if reg < 0 else d.regions[reg],
                "level": sp["level"],
                "verdict": "suspected",
                "confirmed_by": None,
                "dismissed_reason": None,
                "verdict_note": "",
                "verdict_url": None,
                "verdict_at": None,
                "started_at": iso_utc(sp["started_at"]),
                "detected_at": iso_utc(sp["detected_at"]),
                "peak_at": iso_utc(sp["peak_at"]),
                "peak_reports": int(sp["peak_reports"]),
                "expected_reports": float(sp["expected_reports"]),
                "ended_at": iso_utc(sp["ended_at"]),
                "problems": shares(d.problem[rows], d.problems),
                "regions": shares(d.region[rows], d.regions),
                "incident": None,
                "related_to": None,
            }
        )
    return out


def detect_all(d: Data, fits: dict[int, list[Fit]], policy: Policy, procs: int) -> list[dict[str, Any]]:
    _G.update(data=d, fits=fits, policy=policy)
    raw = [sp for part in _map(_detect, range(len(d.counts)), procs, chunksize=8) for sp in part]
    _close_pools()
    raw.sort(key=lambda sp: (sp["detected_at"], sp["sid"]))
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
    ap.add_argument(
        "--refit-hours",
        type=float,
        default=DEFAULT.refit_every_seconds / 3600,
        help="refit interval to try instead of the policy's (default %(default)s)",
    )
    ap.add_argument(
        "--check-minutes",
        type=int,
        default=1,
        help="minutes between refit checks (default %(default)s; the full-pipeline backtest: 60)",
    )
    args = ap.parse_args(argv)

    truth = json.loads(args.truth.read_text())
    start = _t(truth["start"])
    minutes = int((_t(truth["end"]) - start) // 60)
    detector = replace(DEFAULT.detector, **parse_set(args.set))
    policy = replace(DEFAULT, refit_every_seconds=args.refit_hours * 3600, detector=detector)
    # Live, a pass at minute m's end detects m and a refit checked then serves m + 1 on.
    checks = Checks(origin=start + 60, every=60 * args.check_minutes, end=start + 60 * minutes)
    t_load = time.perf_counter()
    d = load(args.reports, start, minutes, policy, checks)
    t_fit = time.perf_counter()
    st = args.reports.stat()
    # Fits depend on the data, the policy's baseline rules, the schedule and the code
    # of the detection package (the detector's own thresholds aside) and of this file.
    package = Path(_detection_package.__file__).parent
    sources = sorted(p for p in package.glob("*.py") if p.name != "detector.py")
    src = b"".join(p.read_bytes() for p in [*sources, Path(__file__), ROOT / "reports" / "repeats.py"])
    rules = replace(policy, detector=DetectorConfig())
    key = hashlib.sha1(
        f"{args.reports.resolve()}|{st.st_size}|{st.st_mtime_ns}|{rules}|{checks}|{args.utc_baselines}".encode()
        + src
    ).hexdigest()[:16]
    cache = None if args.no_cache else args.cache
    fits = baselines(d, policy, checks, args.procs, cache, key, args.utc_baselines)
    t_det = time.perf_counter()
    spikes = detect_all(d, fits, policy, args.procs)
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
            and (ev.get("region") is None or sp["region"] in ("", ev.get("region")))
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
