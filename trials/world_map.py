"""A map of a trial's sites, drawn here as SVG: no tile server, no script.

The country outlines are Natural Earth's 1:110m countries (public domain),
as the ``world-atlas`` npm package redistributes them in TopoJSON
(``trials/data/world-atlas/``). ``build_outlines`` turns them once into SVG
path data on an equirectangular grid, one unit a degree (x = longitude + 180,
y = 90 − latitude), kept in ``OUTLINES_PATH``; ``site_map`` crops that world
to the sites and marks each place once, recruiting sites apart and on top.

A few sites far from all the others (Hawaii and Guam among a thousand in the
contiguous United States) would zoom the map out to half the world and shrink
the rest to a blot: the map is cropped to the main group and says, in its
caption, where the sites beyond its edges are (``SiteMap.outside``).
"""

from __future__ import annotations

import functools
import gzip
import json
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from .places import in_text

DATA = Path(__file__).resolve().parent / "data"
TOPOJSON_PATH = DATA / "world-atlas" / "countries-110m.json"
OUTLINES_PATH = DATA / "world-110m.json.gz"

# Drawn on this projection, Antarctica is a band across the map's foot, and no trial has a site there.
LEFT_OUT = frozenset({"Antarctica"})
# The map's shape (width / height) and the smallest area it shows, in degrees: one site is seen in its region.
ASPECT = 2.0
MIN_WIDTH = 24.0
# Around the sites, this share of the view is left free on each side.
MARGIN = 0.08
# The outlines' grid: tenths of a degree.
SCALE = 10
# The drawing's width in its own units: points on the same unit are one mark.
GRID = 640
# A site is far from the main group when it lies this many times farther from the sites' middle than
# three in four of them do, and at least FAR_DEGREES away; at most a tenth of the sites are left out so,
# and only when the map without them is at most half as wide.
FAR_FACTOR = 3.0
FAR_DEGREES = 20.0
FAR_SHARE = 0.1


def _ring(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[tuple[float, float]]:
    """A closed ring from TopoJSON arc indexes (``~i`` is arc ``i`` reversed); shared end points once.

    A ring that crosses the antimeridian (Russia's, Fiji's) goes on past ±180° rather than
    across the whole map: the part beyond the edge falls outside the drawing.
    """
    points: list[tuple[float, float]] = []
    shift = 0.0
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        for longitude, latitude in arc if not points else arc[1:]:
            if points and abs(longitude + shift - points[-1][0]) > 180:
                shift += 360 if points[-1][0] > longitude + shift else -360
            points.append((longitude + shift, latitude))
    return points


def _decoded_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """Arcs as (longitude, latitude) points: TopoJSON stores them quantised and delta-encoded."""
    (scale_x, scale_y), (move_x, move_y) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * scale_x + move_x, y * scale_y + move_y))
        arcs.append(points)
    return arcs


def _path(rings: Iterable[list[tuple[float, float]]]) -> tuple[str, list[int]]:
    """SVG path data in tenths of a degree, each point relative to the last, and its bounding box.

    Integers and relative moves keep the world to a few tens of kilobytes:
    most steps are a digit or two each way.
    """
    parts, xs, ys = [], [], []
    for ring in rings:
        grid: list[tuple[int, int]] = []
        for longitude, latitude in ring:
            point = (round((longitude + 180) * SCALE), round((90 - latitude) * SCALE))
            if not grid or point != grid[-1]:
                grid.append(point)
        if len(grid) > 1 and grid[0] == grid[-1]:
            grid.pop()
        if len(grid) < 3:
            continue
        xs.extend(x for x, _ in grid)
        ys.extend(y for _, y in grid)
        steps = [f"{x - px} {y - py}" for (px, py), (x, y) in zip(grid, grid[1:], strict=False)]
        parts.append(f"M{grid[0][0]} {grid[0][1]}l" + " ".join(steps).replace(" -", "-") + "z")
    box = [min(xs), min(ys), max(xs), max(ys)] if xs else []
    return "".join(parts), box


def build_outlines(source: Path = TOPOJSON_PATH, target: Path = OUTLINES_PATH) -> int:
    """Write the countries' SVG path data (gzipped JSON: name, path) from the TopoJSON; returns the count."""
    topology = json.loads(source.read_text())
    arcs = _decoded_arcs(topology)
    countries = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        if geometry.get("properties", {}).get("name") in LEFT_OUT:
            continue
        polygons = geometry.get("arcs", [])
        if geometry["type"] == "Polygon":
            polygons = [polygons]
        rings = [_ring(arcs, ring) for polygon in polygons for ring in polygon]
        path, box = _path(rings)
        if path:
            countries.append([geometry.get("properties", {}).get("name", ""), box, path])
    payload = {
        "source": "Natural Earth 1:110m countries (public domain), from the world-atlas npm package 2.0.2",
        "grid": "x = (longitude + 180) * 10, y = (90 - latitude) * 10; box: min x, min y, max x, max y",
        "countries": countries,
    }
    # mtime=0: the same outlines give the same bytes, so a rebuild leaves git nothing to commit.
    target.write_bytes(gzip.compress(json.dumps(payload, separators=(",", ":")).encode(), mtime=0))
    return len(countries)


@functools.cache
def _countries() -> tuple[tuple[tuple[int, int, int, int], str], ...]:
    payload = json.loads(gzip.decompress(OUTLINES_PATH.read_bytes()))
    return tuple((tuple(box), path) for _, box, path in payload["countries"])


def outlines(left: float, top: float, width: float, height: float) -> str:
    """The outlines of the countries that reach into the view (in degrees), as one path's data."""
    view = (left * SCALE, top * SCALE, (left + width) * SCALE, (top + height) * SCALE)
    return "".join(
        path
        for (x0, y0, x1, y1), path in _countries()
        if x0 <= view[2] and x1 >= view[0] and y0 <= view[3] and y1 >= view[1]
    )


@dataclass
class SiteMap:
    svg: SafeString
    placed: int  # sites with coordinates
    unplaced: int  # sites the registry gives no coordinates for
    recruiting: int  # recruiting sites among those placed
    # Sites with coordinates beyond the map's edges, by place: ("Hawaii, United States", 21), most first.
    outside: list[tuple[str, int]] = field(default_factory=list)

    @property
    def outside_count(self) -> int:
        return sum(count for _, count in self.outside)


def _view(points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    """The view box around the points, ASPECT wide for one high, at least MIN_WIDTH degrees, inside the world."""
    xs, ys = [x for x, _ in points], [y for _, y in points]
    width = max(max(xs) - min(xs), (max(ys) - min(ys)) * ASPECT, MIN_WIDTH) / (1 - 2 * MARGIN)
    width = min(width, 360.0)
    height = width / ASPECT
    left = min(max((max(xs) + min(xs)) / 2 - width / 2, 0.0), 360.0 - width)
    top = min(max((max(ys) + min(ys)) / 2 - height / 2, 0.0), 180.0 - height)
    return left, top, width, height


def _far(points: list[tuple[float, float]]) -> list[bool]:
    """Which points lie far from the main group (``FAR_FACTOR``…); none when the map would not shrink by half."""
    count = len(points)
    if count < 5:
        return [False] * count
    middle_x = sorted(x for x, _ in points)[count // 2]
    middle_y = sorted(y for _, y in points)[count // 2]
    distances = [math.hypot(x - middle_x, y - middle_y) for x, y in points]
    threshold = max(sorted(distances)[count * 3 // 4] * FAR_FACTOR, FAR_DEGREES)
    far = [distance > threshold for distance in distances]
    leaving = far.count(True)
    if not leaving or leaving > max(1, int(count * FAR_SHARE)):
        return [False] * count
    kept = [point for point, out in zip(points, far, strict=True) if not out]
    return far if _view(kept)[2] <= _view(points)[2] / 2 else [False] * count


def _place(site) -> str:
    return in_text(site.country, site.state) or "a place not named"


def _marks(points: Iterable[tuple[float, float]], left: float, top: float, unit: float) -> str:
    """One zero-length stroke per grid cell: a round dot, however many sites share the cell."""
    # A city's sites mostly share its coordinates: each point is placed once.
    cells = dict.fromkeys((round((x - left) / unit), round((y - top) / unit)) for x, y in dict.fromkeys(points))
    return "".join(f"M{x} {y}h0" for x, y in cells)


def site_map(sites: Iterable, label_id: str) -> SiteMap | None:
    """The sites (``sites.SiteRow``: ``latitude``, ``longitude``, ``recruiting``, ``state``, ``country``) on the
    world's outlines, cropped to their main group (``_far``). None when no site has coordinates.

    The SVG is labelled by the element ``label_id`` (the figure's caption), which says what it shows.
    """
    placed, points, unplaced = [], [], 0
    for site in sites:
        if site.latitude is None or site.longitude is None:
            unplaced += 1
            continue
        placed.append(site)
        points.append((site.longitude + 180.0, 90.0 - site.latitude))
    if not placed:
        return None
    far = _far(points)
    recruiting, others, outside, recruiting_count = [], [], Counter(), 0
    for site, point, out in zip(placed, points, far, strict=True):
        drawn = recruiting if site.recruiting else others
        recruiting_count += drawn is recruiting
        if out:
            outside[_place(site)] += 1
        else:
            drawn.append(point)
    left, top, width, height = _view(recruiting + others)
    unit = width / GRID
    # The outlines stay on their grid, scaled into the drawing's units; the marks are drawn in those units.
    svg = format_html(
        '<svg class="site-map" viewBox="0 0 {} {}" role="img" aria-labelledby="{}" focusable="false">'
        '<g transform="scale({}) translate({} {})"><path class="land" d="{}"/></g>'
        '<path class="mark" d="{}"/><path class="mark recruiting" d="{}"/></svg>',
        GRID,
        round(height / unit),
        label_id,
        f"{1 / unit / SCALE:.5g}",
        f"{-left * SCALE:.5g}",
        f"{-top * SCALE:.5g}",
        mark_safe(outlines(left, top, width, height)),  # numbers and letters written by build_outlines
        mark_safe(_marks(others, left, top, unit)),  # numbers only
        mark_safe(_marks(recruiting, left, top, unit)),
    )
    return SiteMap(
        svg=svg,
        placed=len(placed),
        unplaced=unplaced,
        recruiting=recruiting_count,
        outside=sorted(outside.items(), key=lambda item: (-item[1], item[0].removeprefix("the "))),
    )
