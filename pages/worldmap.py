"""The regions map: committed country shapes (pages/data/world-map.json, built by
pages/assets/build_world_map.py from the pinned npm package world-atlas), shaded
on the server so the map needs no JavaScript."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from outagewatch import localize
from pages.breakdowns import RegionRow
from reports import names as localnames

MAP_FILE = Path(__file__).resolve().parent / "data" / "world-map.json"

# The shades of the world map and the countries' maps: reporters against what was
# expected there.
LEGEND = [
    ("r0", gettext_lazy("No reports")),
    ("rn", gettext_lazy("Reports, no usual level known yet")),
    ("r1", gettext_lazy("Usual level")),
    ("r2", gettext_lazy("1.5 to 3 times usual")),
    ("r3", gettext_lazy("3 to 10 times usual")),
    ("r4", gettext_lazy("10 times usual or more")),
]


def shape_label(name: str, row: RegionRow | None) -> str:
    """What pointing at a country or a subdivision says: "Brazil: 120 reporters, 14 expected"."""
    if row is None:
        return _("%(name)s: no reports") % {"name": name}
    reporters = ngettext("%(n)s reporter", "%(n)s reporters", row.reporters) % {
        "n": localize.number(row.reporters)
    }
    if row.expected is None:
        return f"{name}: {reporters}"
    expected = localize.number(row.expected, 0 if row.expected >= 10 else 1)
    return _("%(name)s: %(reporters)s, %(expected)s expected") % {
        "name": name,
        "reporters": reporters,
        "expected": expected,
    }


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
        name = row.name if row is not None else localnames.country(country["name"])
        shade = "r0" if row is None else row.shade
        shapes.append(Shape(country["code"], name, country["d"], shade, shape_label(name, row)))
    return WorldMap(geometry["width"], geometry["height"], shapes)
