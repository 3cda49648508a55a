#!/usr/bin/env python3
"""The simulator across real daylight-saving changes, a scenario it otherwise lacks.

`manage.py simulate` gives every region one UTC offset all year. This runs the same
simulation (same seed, services and outages) over the six weeks from Monday 24
February 2025, with the regions whose clocks jumped that spring living one hour
ahead from the instant they did: the US and Canada on 9 March (day 13), the
European regions on 30 March (day 34). Same options as `manage.py simulate`:

    .venv/bin/python benchmarks/sim_dst.py --out /tmp/simdst --seed 1
    .venv/bin/python benchmarks/sim_series.py --reports /tmp/simdst/reports.csv \\
        --truth /tmp/simdst/truth.json --details
"""

import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from spikes import simulation as S  # noqa: E402

START = datetime(2025, 2, 24, tzinfo=UTC)
# When each region's clocks went forward in 2025 (UTC).
SPRING_FORWARD = {
    "US": datetime(2025, 3, 9, 8, tzinfo=UTC),  # 02:00 CST
    "CA": datetime(2025, 3, 9, 7, tzinfo=UTC),  # 02:00 EST
    **{r: datetime(2025, 3, 30, 1, tzinfo=UTC) for r in ("GB", "DE", "FR", "ES", "IT")},
}


def expected_rate(self, m0, m1):
    """Simulation.expected_rate with each region's offset following its clocks."""
    minutes = np.arange(m0, m1)
    switch = np.array(
        [
            (SPRING_FORWARD[r] - self.start).total_seconds() // 60 if r in SPRING_FORWARD else np.inf
            for r in self.regions
        ]
    )
    offsets = self._offsets[:, None] + 60 * (minutes[None, :] >= switch[:, None])
    local = minutes[None, :] + offsets
    weekday0 = self.start.weekday()
    cycle = self._daily[:, local % 1440] * self._weekly[:, (local // 1440 + weekday0) % 7]
    growth = 1 + self._growth[:, None] * (minutes[None, :] / self.minutes)
    return (
        self._per_min[:, None, None] * self._share[:, :, None] * cycle[self._profile_idx] * growth[:, None, :]
    )


if __name__ == "__main__":
    S.Simulation.expected_rate = expected_rate
    default = S.SimulationConfig
    S.SimulationConfig = lambda **kw: replace(default(**kw), start=START)  # noqa: E731
    S.main(sys.argv[1:])
