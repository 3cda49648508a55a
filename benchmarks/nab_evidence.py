#!/usr/bin/env python3
"""The scan's evidence at chosen NAB realTweets bursts, and the calibration behind it.

For each FILE=TIMESTAMP, fits the live policy (on the file's five-minute buckets) on
the 28 days that end an hour before the burst, then prints, per window length of the
scan, the calibration (dispersion, the model's and the history's law of daily maxima)
and the standardised evidence ``z`` of the windows ending at the burst, against the
threshold ``u`` the detector uses there:

    .venv/bin/python benchmarks/nab_evidence.py --data ../shared/datasets/nab \\
        UPS=2015-03-25T00:52:53 PFE=2015-04-07T23:42:53

Without bursts it looks at the peaks of the windows the detector misses (docs/benchmarks-nab.md).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from datetime import UTC, datetime

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from spikes.detection.calibration import surprise  # noqa: E402
from spikes.detection.policy import DEFAULT  # noqa: E402

MISSED = [
    "UPS=2015-03-25T00:52:53",
    "PFE=2015-04-07T23:42:53",
    "IBM=2015-04-20T11:12:53",
    "KO=2015-03-20T13:42:53",
]
HISTORY_DAYS = 28
BUCKET = 300


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("bursts", nargs="*", default=MISSED, help="TICKER=YYYY-MM-DDTHH:MM:SS")
    ap.add_argument("--data", default=os.path.join(os.path.dirname(ROOT), "shared", "datasets", "nab"))
    args = ap.parse_args(argv)
    policy = DEFAULT.for_buckets(BUCKET)
    for burst in args.bursts:
        ticker, at = burst.split("=", 1)
        with open(os.path.join(args.data, "realTweets", f"Twitter_volume_{ticker}.csv"), newline="") as fh:
            rows = list(csv.DictReader(fh))
        times = np.array(
            [datetime.fromisoformat(r["timestamp"]).replace(tzinfo=UTC).timestamp() for r in rows]
        )
        values = np.array([float(r["value"]) for r in rows])
        i = int(np.searchsorted(times, datetime.fromisoformat(at).replace(tzinfo=UTC).timestamp()))
        fitted_at = i - 3600 // BUCKET
        lo = max(0, fitted_at - HISTORY_DAYS * 86400 // BUCKET)
        profile = policy.fit(values[lo:fitted_at], times[lo])
        calibration = profile.calibration
        u, _ = policy.detector.thresholds(len(calibration.scales))
        longest = calibration.scales[-1].buckets
        expected = profile.expected_many(times[i - longest + 1 : i + 1])
        print(f"{ticker} {at}: {values[i]:.0f} tweets, {expected[-1]:.1f} expected; threshold u = {u:.2f}")
        for sc in calibration.scales:
            w = sc.buckets
            x, m = values[i - w + 1 : i + 1].sum(), expected[-w:].sum()
            s = surprise(x, m, sc.alpha)
            print(
                f"  {w * BUCKET // 60:3d} min: alpha {sc.alpha:6.2f}  model loc {sc.floor:5.2f}  history loc "
                f"{sc.loc:5.2f}  spread {sc.spread:5.2f}  surprise {s:5.1f}  z {sc.z(s):5.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
