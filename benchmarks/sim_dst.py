#!/usr/bin/env python3
"""The simulator across real daylight-saving changes, a scenario it otherwise lacks.

`manage.py simulate` gives every region one UTC offset all year. This runs the same
simulation (same seed, services and outages) over the six weeks from Monday 24
February 2025, with the regions whose clocks jumped that spring living one hour
ahead from the instant they did: the US and Canada on 9 March (day 13), the
European regions on 30 March (day 34). `--autumn`: the six weeks from Monday 6
October 2025, those regions an hour ahead until their clocks fell back (Europe 26
October, day 20; the US and Canada 2 November, day 27). `--fixed-offsets`: the same
dates without the clock changes. Otherwise the options of `manage.py simulate`:

    .venv/bin/python benchmarks/sim_dst.py --out /tmp/simdst --seed 1
    .venv/bin/python -m lab.harness --reports /tmp/simdst/reports.csv \\
        --truth /tmp/simdst/truth.json --details
"""

import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lab import simulation as S  # noqa: E402

# When each region's clocks changed in 2025 (UTC), and the six weeks around it.
SEASONS = {
    "spring": (
        datetime(2025, 2, 24, tzinfo=UTC),
        {
            "US": datetime(2025, 3, 9, 8, tzinfo=UTC),  # 02:00 CST
            "CA": datetime(2025, 3, 9, 7, tzinfo=UTC),  # 02:00 EST
            **{r: datetime(2025, 3, 30, 1, tzinfo=UTC) for r in ("GB", "DE", "FR", "ES", "IT")},
        },
    ),
    "autumn": (
        datetime(2025, 10, 6, tzinfo=UTC),
        {
            "US": datetime(2025, 11, 2, 7, tzinfo=UTC),  # 02:00 CDT
            "CA": datetime(2025, 11, 2, 6, tzinfo=UTC),  # 02:00 EDT
            **{r: datetime(2025, 10, 26, 1, tzinfo=UTC) for r in ("GB", "DE", "FR", "ES", "IT")},
        },
    ),
}
SEASON = "spring"


def expected_rate(self, m0, m1):
    """Simulation.expected_rate with each region's offset following its clocks."""
    minutes = np.arange(m0, m1)
    _, changes = SEASONS[SEASON]
    switch = np.array(
        [(changes[r] - self.start).total_seconds() // 60 if r in changes else np.inf for r in self.regions]
    )
    summer = minutes[None, :] >= switch[:, None]
    if SEASON == "autumn":  # summer time until the change (regions that never change stay put)
        summer = ~summer & np.isfinite(switch)[:, None]
    offsets = self._offsets[:, None] + 60 * summer
    local = minutes[None, :] + offsets
    weekday0 = self.start.weekday()
    cycle = self._daily[:, local % 1440] * self._weekly[:, (local // 1440 + weekday0) % 7]
    growth = 1 + self._growth[:, None] * (minutes[None, :] / self.minutes)
    return (
        self._per_min[:, None, None] * self._share[:, :, None] * cycle[self._profile_idx] * growth[:, None, :]
    )


if __name__ == "__main__":
    # --autumn: the fall-back changes instead of spring-forward. --fixed-offsets: the
    # same dates with every region on one offset (no clock change), the other kind
    # of data a zone-aware baseline must not be fooled by.
    if "--autumn" in sys.argv:
        sys.argv.remove("--autumn")
        SEASON = "autumn"
    if "--fixed-offsets" in sys.argv:
        sys.argv.remove("--fixed-offsets")
    else:
        S.Simulation.expected_rate = expected_rate
    default = S.SimulationConfig
    start = SEASONS[SEASON][0]
    S.SimulationConfig = lambda **kw: replace(default(**kw), start=start)  # noqa: E731
    S.main(sys.argv[1:])
