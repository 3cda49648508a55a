"""CPU seconds used by a process and everything it started, from /proc (Linux).

On a machine shared with other work, requests per second move with the neighbours'
load, but the CPU seconds our own processes spend per request barely do: dividing
requests by CPU seconds gives requests per second per core, the figure a capacity
plan needs. Children that exited are counted through their parent (cutime, cstime).
"""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _own(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # After the name: state is field 3; utime, stime, cutime, cstime are fields 14-17.
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / TICKS


def cpu_seconds(root: int) -> float:
    total, stack = 0.0, [root]
    while stack:
        pid = stack.pop()
        total += _own(pid)
        stack += _children(pid)
    return total


class Meter:
    """CPU seconds of named process trees between two readings."""

    def __init__(self, roots: dict[str, int]):
        self.roots = roots
        self.last = self._read()

    def _read(self) -> dict[str, float]:
        return {name: cpu_seconds(pid) for name, pid in self.roots.items()}

    def lap(self) -> dict[str, float]:
        now = self._read()
        used = {name: now[name] - self.last[name] for name in now}
        self.last = now
        return used


def postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postmaster.pid").read_text().split()[0])
