#!/usr/bin/env python3
"""The simulator across the 2025 daylight-saving changes.

The simulator's regions keep their zones' real clocks (lab/simulation.py,
``clocks="real"``); this picks six weeks that hold the changes: `spring` from
Monday 24 February 2025 (the US and Canada jump on 9 March, Europe on 30 March),
`--autumn` from Monday 6 October 2025 (Europe falls back on 26 October, the US and
Canada on 2 November). `--fixed-offsets` keeps every region on one offset over the
same dates: the other kind of data (a feed on fixed offsets) that a zone-aware
baseline must not be fooled by. Other options are those of `python -m lab.simulation`:

    .venv/bin/python benchmarks/sim_dst.py --out /tmp/simdst --seed 1 [--autumn] [--fixed-offsets]
    .venv/bin/python -m lab.harness --reports /tmp/simdst/reports.csv \\
        --truth /tmp/simdst/truth.json --details

It is the same as `python -m lab.simulation --start 2025-02-24 --clocks real`.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lab import simulation  # noqa: E402

SEASONS = {"spring": "2025-02-24", "autumn": "2025-10-06"}


def main(argv: list[str]) -> None:
    argv = list(argv)
    season = "spring"
    if "--autumn" in argv:
        argv.remove("--autumn")
        season = "autumn"
    clocks = "real"
    if "--fixed-offsets" in argv:
        argv.remove("--fixed-offsets")
        clocks = "fixed"
    simulation.main([*argv, "--start", SEASONS[season], "--clocks", clocks])


if __name__ == "__main__":
    main(sys.argv[1:])
