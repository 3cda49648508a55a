"""Build pages/data/world-map.json, the country shapes of the service page's map.

Run once after changing the pinned world-atlas version (package.json here):

    cd pages/assets && npm ci && cd ../.. && .venv/bin/python pages/assets/build_world_map.py

It decodes world-atlas's TopoJSON (Natural Earth 1:110m, ISO 3166-1 numeric ids),
projects it (equirectangular, Antarctica left out: nobody reports from there) into
SVG path data, and names each country by its ISO alpha-2 code with pycountry, the
codes our Region table uses. The result is committed, so the site needs no Node.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pycountry

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "node_modules" / "world-atlas" / "countries-110m.json"
TARGET = HERE.parent / "data" / "world-map.json"
WIDTH = 960
NORTH, SOUTH = 84.0, -58.0  # latitude span drawn
SCALE = WIDTH / 360.0
HEIGHT = round((NORTH - SOUTH) * SCALE)


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """TopoJSON arcs are quantized and delta-encoded: undo both."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for index in indexes:
        # A negative index ~i means arc i reversed; consecutive arcs share an end point.
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc if not points else arc[1:])
    return points


def project(lon: float, lat: float) -> tuple[float, float]:
    return round((lon + 180.0) * SCALE, 1), round((NORTH - lat) * SCALE, 1)


def path_data(rings: list[list[tuple[float, float]]]) -> str:
    parts = []
    for points in rings:
        projected = [project(lon, lat) for lon, lat in points]
        parts.append("M" + "L".join(f"{x:g},{y:g}" for x, y in projected) + "Z")
    return "".join(parts)


def alpha2(numeric: str | None) -> str:
    country = pycountry.countries.get(numeric=numeric) if numeric and numeric.isdigit() else None
    return country.alpha_2 if country else ""


def build(topology: dict) -> dict:
    arcs = decode_arcs(topology)
    countries = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        name = geometry.get("properties", {}).get("name", "")
        if name == "Antarctica":
            continue
        if geometry["type"] == "Polygon":
            polygons = [geometry["arcs"]]
        elif geometry["type"] == "MultiPolygon":
            polygons = geometry["arcs"]
        else:
            continue
        rings = [ring(arcs, r) for polygon in polygons for r in polygon]
        countries.append({"code": alpha2(geometry.get("id")), "name": name, "d": path_data(rings)})
    countries.sort(key=lambda c: (c["code"] or "~", c["name"]))
    return {
        "source": "world-atlas 2.0.2 countries-110m (Natural Earth), equirectangular",
        "width": WIDTH,
        "height": HEIGHT,
        "countries": countries,
    }


def main() -> int:
    topology = json.loads(SOURCE.read_text())
    TARGET.write_text(json.dumps(build(topology), separators=(",", ":")) + "\n")
    print(f"wrote {TARGET} ({TARGET.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
