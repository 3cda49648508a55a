"""The regions map: committed country shapes (pages/data/world-map.json, built by
pages/assets/build_world_map.py from the pinned npm package world-atlas), shaded
on the server so the map needs no JavaScript."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pages.breakdowns import RegionRow

MAP_FILE = Path(__file__).resolve().parent / "data" / "world-map.json"

LEGEND = [
    ("r0", "No reports"),
    ("rn", "Reports, no usual level known yet"),
    ("r1", "Usual level"),
    ("r2", "1.5 to 3 times usual"),
    ("r3", "3 to 10 times usual"),
    ("r4", "10 times usual or more"),
]


@dataclass(frozen=True)
class Shape:
    code: str
    name: str
    d: str
    shade: str
    label: str  # the <title> a pointer shows


@dataclass(frozen=True)
class WorldMap:
    width: int
    height: int
    shapes: list[Shape]


@lru_cache(maxsize=1)
def _geometry() -> dict:
    return json.loads(MAP_FILE.read_text())


def world_map(rows: Iterable[RegionRow]) -> WorldMap:
    geometry = _geometry()
    by_code = {row.code: row for row in rows}
    shapes = []
    for country in geometry["countries"]:
        row = by_code.get(country["code"])
        if row is None:
            shade, label = "r0", f"{country['name']}: no reports"
        elif row.expected is None:
            shade, label = row.shade, f"{row.name}: {row.reporters} reporters"
        else:
            shade = row.shade
            label = f"{row.name}: {row.reporters} reporters, {row.expected:g} expected"
        shapes.append(Shape(country["code"], country["name"], country["d"], shade, label))
    return WorldMap(geometry["width"], geometry["height"], shapes)
