#!/usr/bin/env python3
"""NAB realTweets benchmark for the outagewatch detector.

Runs ``spikes.detection.series.detect_series`` (the live detection policy and
detector with their defaults, one config for every file, labels never seen by
the detector) over the 10 NAB realTweets files, writes
OUTDIR/realTweets/Twitter_volume_X.csv (timestamp,value,is_spike,level,expected),
scores them with the clean-room NAB scorer and prints the scores beside the
published ones.

    .venv/bin/python benchmarks/nab_realtweets.py --out /tmp/nab

The data and the scorer default to ../shared/ beside the repository (the team's
shared folder); --data and --scorer point elsewhere.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import importlib.util
import math
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from spikes.detection import DEFAULT, detect_series  # noqa: E402

# The team's shared folder sits beside the repository.
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
DEFAULT_DATA = os.path.join(SHARED, "datasets", "nab")
DEFAULT_SCORER = os.path.join(SHARED, "tools", "nab_score.py")

# Published realTweets-only normalised scores (standard profile), from the dataset README.
PUBLISHED = [
    ("ARTime", 81.84),
    ("contextOSE", 74.48),
    ("earthgeckoSkyline", 68.93),
    ("numenta (HTM)", 68.02),
    ("htmjava", 65.01),
    ("knncad", 64.29),
    ("numentaTM", 62.40),
    ("relativeEntropy", 59.76),
    ("twitterADVec", 59.62),
    ("windowedGaussian", 51.41),
    ("randomCutForest", 48.13),
    ("skyline", 29.40),
    ("random", 21.31),
    ("expose", 19.78),
    ("bayesChangePt", 2.70),
]
# The same detectors under the other two profiles, realTweets only: the ten
# realTweets rows of NAB's results/<detector>/<detector>_<profile>_scores.csv
# (NAB's per-profile thresholds) summed and normalised with realTweets' own null
# and perfect scores, as the scorer does for us. (standard, low FP, low FN)
PUBLISHED_PROFILES = {
    "ARTime": (81.84, 70.08, 87.89),
    "contextOSE": (74.48, 73.13, 76.59),
    "numenta (HTM)": (68.02, 59.17, 72.39),
}


def load_scorer(path: str):
    spec = importlib.util.spec_from_file_location("nab_score", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["nab_score"] = mod  # dataclasses need the module registered
    spec.loader.exec_module(mod)
    return mod


def read_series(path: str) -> tuple[list[str], list[float]]:
    ts, vals = [], []
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            ts.append(row["timestamp"])
            vals.append(float(row["value"]))
    return ts, vals


def write_rows(path: str, rows: list[dict]) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["timestamp", "value", "is_spike", "level", "expected"])
        for r in rows:
            e = r["expected"]
            w.writerow(
                [
                    r["timestamp"],
                    f"{r['value']:g}",
                    r["is_spike"],
                    r["level"],
                    "" if math.isnan(e) else f"{e:.3f}",
                ]
            )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="output directory for detection CSVs")
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--scorer", default=DEFAULT_SCORER)
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument(
        "--refit-hours",
        type=float,
        default=DEFAULT.refit_every_seconds / 3600,
        help="refit interval to try instead of the policy's (default %(default)s)",
    )
    args = ap.parse_args(argv)

    scorer = load_scorer(args.scorer)
    labels = scorer.load_labels(os.path.join(args.data, "realTweets_windows.json"))
    policy = dataclasses.replace(DEFAULT, refit_every_seconds=args.refit_hours * 3600)
    results = []
    t_start = time.perf_counter()
    for key in sorted(labels):
        ts, vals = read_series(os.path.join(args.data, key))
        rows = detect_series(ts, vals, policy)
        out_path = os.path.join(args.out, key)
        write_rows(out_path, rows)
        d_ts, flags = scorer.read_detections(out_path)
        results.append(scorer.score_file(d_ts, flags, labels[key], name=key))
    elapsed = time.perf_counter() - t_start
    summary = scorer.score_corpus(results)
    profiles = list(scorer.PROFILES)

    print(
        f"{'file':34s} {'rows':>6s} {'win':>3s} {'hit':>3s} {'FP':>3s} "
        + " ".join(f"{p:>19s}" for p in profiles)
    )
    for r in results:
        print(
            f"{os.path.basename(r.name):34s} {r.n_rows:6d} {r.n_windows_scored:3d} "
            f"{r.detected_windows:3d} {r.fp_count:3d} " + " ".join(f"{r.raw[p]:19.3f}" for p in profiles)
        )
    tot_w = sum(r.n_windows_scored for r in results)
    tot_h = sum(r.detected_windows for r in results)
    tot_fp = sum(r.fp_count for r in results)
    print(
        f"{'TOTAL raw':34s} {'':6s} {tot_w:3d} {tot_h:3d} {tot_fp:3d} "
        + " ".join(f"{summary[p]['raw']:19.3f}" for p in profiles)
    )
    print()
    for p in profiles:
        s = summary[p]
        print(
            f"normalised score, {p:20s} {s['score']:7.2f}   (raw {s['raw']:.3f}, "
            f"null {s['null']:.0f}, perfect {s['perfect']:.0f})"
        )
    print(
        f"\n({len(results)} files in {elapsed:.1f} s; detections in {os.path.join(args.out, 'realTweets')})\n"
    )
    ours = summary["standard"]["score"]
    table = sorted(PUBLISHED + [("outagewatch (this detector)", ours)], key=lambda x: -x[1])
    print("standard profile, realTweets only:")
    for name, score in table:
        mark = "  <--" if name.startswith("outagewatch") else ""
        print(f"  {name:30s} {score:7.2f}{mark}")
    print("\nevery profile, realTweets only:")
    print(f"  {'':30s} " + " ".join(f"{p:>19s}" for p in profiles))
    rows = [
        *PUBLISHED_PROFILES.items(),
        ("outagewatch (this detector)", [summary[p]["score"] for p in profiles]),
    ]
    for name, scores in rows:
        print(f"  {name:30s} " + " ".join(f"{x:19.2f}" for x in scores))
    return 0


if __name__ == "__main__":
    sys.exit(main())
