#!/usr/bin/env python3
"""Where a day's largest surprise lies, per window length and level, under the model.

The detector's threshold (spikes/detection/calibration.py) needs the law of a
day's largest mid-p surprise over SLIDING windows of w buckets. This simulates
it: Poisson counts at a constant level for many days, the scan's windows at
one-minute buckets, and per window length the median of the daily maxima
(printed as its excess over ln(buckets per day / w), the non-overlapping
count) and the Gumbel scale from their interquartile range.

    .venv/bin/python benchmarks/calibration_table.py [--days 120] [--seed 0]

calibration.model_loc takes ln(buckets per day / sqrt(w)) from it: an excess of
0.37 (a Gumbel median) + 0.5 ln w.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from spikes.detection.calibration import (  # noqa: E402
    deviance_many,
    scale_buckets,
    surprise_many,
    window_sums,
)
from spikes.detection.dispersion import near_day_max  # noqa: E402

LEVELS = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)  # reporters per minute


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=int, default=120)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    per_day = 1440
    scales = scale_buckets(60)
    print("excess of the median daily maximum over ln(buckets per day / w) / Gumbel scale")
    print("| reporters a minute | " + " | ".join(f"{w} min" for w in scales) + " |")
    print("|---:" * (len(scales) + 1) + "|")
    for mu in LEVELS:
        v = rng.poisson(mu, args.days * per_day).astype(float)
        day = np.arange(len(v)) // per_day
        cells = []
        for w in scales:
            x, m = window_sums(v, w), np.full(len(v), mu * w)
            up = np.flatnonzero(np.nan_to_num(x) > m)
            pick = up[near_day_max(deviance_many(x[up], m[up], 0.0), day[up], 2.0)]
            daily = np.zeros(args.days)
            np.maximum.at(daily, day[pick], surprise_many(x[pick], m[pick], 0.0))
            q1, med, q3 = np.percentile(daily, [25, 50, 75])
            cells.append(f"{med - math.log(per_day / w):.2f} / {(q3 - q1) / 1.5725:.2f}")
        print(f"| {mu} | " + " | ".join(cells) + " |")
    print("\nmodel (calibration.model_loc): " + ", ".join(f"{0.37 + 0.5 * math.log(w):.2f}" for w in scales))
    return 0


if __name__ == "__main__":
    sys.exit(main())
