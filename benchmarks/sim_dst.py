#!/usr/bin/env python3
"""The simulator with a daylight-saving jump, a scenario the simulator itself lacks.

From day 27 (Sunday 2 February 2025 in a run starting Monday 6 January) the regions
in SHIFTED live one hour ahead, as their clocks would after "spring forward"; all
else (seed, services, outages) is as `manage.py simulate`. Same options:

    .venv/bin/python benchmarks/sim_dst.py --out /tmp/simdst --seed 1
    .venv/bin/python benchmarks/sim_series.py --reports /tmp/simdst/reports.csv \
        --truth /tmp/simdst/truth.json --details
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from spikes import simulation as S  # noqa: E402

DST_DAY = 27
SHIFTED = {"US", "CA", "MX", "GB", "DE", "FR", "ES", "IT"}
_standard_time = S.Simulation.expected_rate


def expected_rate(self, m0, m1):
    minutes = np.arange(m0, m1)
    after = minutes >= DST_DAY * 1440
    if not after.any():
        return _standard_time(self, m0, m1)
    if after.all():
        saved = self._offsets.copy()
        self._offsets = saved + np.array([60 if r in SHIFTED else 0 for r in self.regions])
        try:
            return _standard_time(self, m0, m1)
        finally:
            self._offsets = saved
    k = int(np.argmax(after))
    return np.concatenate([expected_rate(self, m0, m0 + k), expected_rate(self, m0 + k, m1)], axis=-1)


if __name__ == "__main__":
    S.Simulation.expected_rate = expected_rate
    S.main(sys.argv[1:])
