"""Distance searches on PostgreSQL, from the points the sites stand on.

The registry puts a site at its city's point, so millions of sites share a
few thousand points (tens of thousands stand on New York's alone). The table
``trials_site_point`` (migration 0031, kept by triggers) holds each point
once: a circle measures its points, not its sites, and then reads the sites
of those points from the sites' point index, which holds what the nearest-site
rule needs. No site is measured, and no site outside the circle is read.
SQLite has no such table and measures the sites themselves (``nearest``).

``rings`` cuts the circle's points into rings of growing distance, a dense
point a ring of its own, so that a page reads the nearest rings only:
``ring_sql`` lists a ring's trials in order, and ``first_in_ring_sql`` keeps
those that list there (from the sites' trial index of migration 0033).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import DatabaseError, connection

from .distance import EARTH_RADIUS_KM, Circle

POINTS = "trials_site_point"
RECRUITING = "RECRUITING"


def used() -> bool:
    return connection.vendor == "postgresql"


@contextmanager
def nested_loops() -> Iterator[None]:
    """Within: the planner joins a ring's trials by nested loops, in the ring's order, stopping at the page's end.

    It would otherwise hash a dense point's thousands of trials, asking each
    where it lists (``first_in_ring_sql``), to keep the few a page shows.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('enable_hashjoin'), current_setting('enable_mergejoin'), "
            "set_config('enable_hashjoin', 'off', false), set_config('enable_mergejoin', 'off', false)"
        )
        hashjoin, mergejoin = cursor.fetchone()[:2]
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('enable_hashjoin', %s, false), set_config('enable_mergejoin', %s, false)",
                    [hashjoin, mergejoin],
                )
        except DatabaseError:
            pass  # in a failed transaction, whose rollback undoes the settings


def half_sql(circle: Circle, latitude: str, longitude: str) -> tuple[str, list[float]]:
    """``Circle.half`` of the point in the columns ``latitude`` and ``longitude``, as SQL and its parameters."""
    sql = (
        f"(POWER(SIN(((RADIANS({latitude}) - %s) / 2)), 2) + "
        f"((%s * COS(RADIANS({latitude}))) * POWER(SIN(((RADIANS({longitude}) - %s) / 2)), 2)))"
    )
    return sql, [math.radians(circle.lat), math.cos(math.radians(circle.lat)), math.radians(circle.lon)]


def within(circle: Circle) -> tuple[list[float], list[float], list[float], list[int]]:
    """The points with sites inside ``circle``: (latitudes, longitudes, ``Circle.half`` of each, sites on each).

    Measured once for each circle: a list page orders, counts and counts facets in the same one.
    """
    found = circle.__dict__.get("_points")
    if found is None:
        found = _within(circle)
        object.__setattr__(circle, "_points", found)  # a frozen dataclass, but an instance's own cache
    return found


def _within(circle: Circle) -> tuple[list[float], list[float], list[float], list[int]]:
    half, params = half_sql(circle, "latitude", "longitude")
    boxes = " OR ".join("(latitude BETWEEN %s AND %s AND longitude BETWEEN %s AND %s)" for _ in circle.spans())
    for south, north, west, east in circle.spans():
        params += [south, north, west, east]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT latitude, longitude, half, sites FROM (SELECT latitude, longitude, sites, {half} AS half "
            f"FROM {POINTS} WHERE {boxes}) inside WHERE half <= %s",
            [*params, circle.half_limit],
        )
        rows = cursor.fetchall()
    return [row[0] for row in rows], [row[1] for row in rows], [row[2] for row in rows], [row[3] for row in rows]


def _points_sql(circle: Circle) -> tuple[str, list[float]]:
    """The circle's points, each with its ``Circle.half``, as a relation ``point`` of three columns.

    Written out row by row, so that the planner knows how many there are
    (``estimate`` tells a dense city's tens of thousands of trials from a few).
    """
    latitudes, longitudes, halves, _ = within(circle)
    if not latitudes:  # no point inside: a relation of no rows
        return "(SELECT NULL::float8, NULL::float8, NULL::float8 WHERE false) AS point(latitude, longitude, half)", []
    rows = ", ".join(["(%s::float8, %s::float8, %s::float8)"] * len(latitudes))
    params = [value for row in zip(latitudes, longitudes, halves, strict=True) for value in row]
    return f"(VALUES {rows}) AS point(latitude, longitude, half)", params


_SITES_SQL = "trials_site site ON site.latitude = point.latitude AND site.longitude = point.longitude"


# Up to this many points, a circle's sites are asked for point by point, as constants: the planner
# then reads how many sites each has from the statistics on both columns (migration 0031), and a
# list page tells a dense city's tens of thousands of trials from a few without counting them.
NAMED_POINTS = 300


def trial_ids(circle: Circle) -> tuple[str, list]:
    """SQL for the ids of the trials with a site inside ``circle`` (with repeats), and its parameters."""
    latitudes, longitudes, _, _ = within(circle)
    if 0 < len(latitudes) <= NAMED_POINTS:
        named = " OR ".join(["(site.latitude = %s AND site.longitude = %s)"] * len(latitudes))
        params = [value for point in zip(latitudes, longitudes, strict=True) for value in point]
        return f"SELECT site.trial_id FROM trials_site site WHERE {named}", params
    points, params = _points_sql(circle)
    return f"SELECT site.trial_id FROM {points} JOIN {_SITES_SQL}", params


def _rank_sql(offset_km: float, flat_beyond_km: float | None) -> tuple[str, list[float]]:
    """What orders by ``chosen`` (a ``Circle.half``), bent by ``offset_km`` and ``flat_beyond_km``."""
    rank, params = "chosen", []
    if offset_km or flat_beyond_km is not None:
        rank = f"({2 * EARTH_RADIUS_KM!r} * ASIN(LEAST(SQRT(chosen), 1.0)))"
    if offset_km:
        rank, params = f"GREATEST({rank} - %s, 0.0)", [offset_km]
    if flat_beyond_km is not None:
        rank, params = f"LEAST({rank}, %s)", [*params, flat_beyond_km]
    return rank, params


def _grouped_sql(points: str, recruiting_first: bool) -> str:
    """Each trial of ``points``' sites: (trial_id, chosen, recruiting), its nearest (recruiting) site's half."""
    if not recruiting_first:
        return (
            f"SELECT site.trial_id, MIN(point.half) AS chosen, true AS recruiting "
            f"FROM {points} JOIN {_SITES_SQL} GROUP BY 1"
        )
    recruiting = f"MIN(point.half) FILTER (WHERE site.status = '{RECRUITING}')"
    return (
        f"SELECT site.trial_id, COALESCE({recruiting}, MIN(point.half)) AS chosen, "
        f"{recruiting} IS NOT NULL AS recruiting FROM {points} JOIN {_SITES_SQL} GROUP BY 1"
    )


def nearest(circle: Circle, recruiting_first: bool, offset_km: float, flat_beyond_km: float | None) -> tuple[str, list]:
    """SQL for each trial in ``circle``: (trial_id, chosen, rank, recruiting), sorted by rank and trial.

    ``chosen`` is the ``Circle.half`` of the trial's nearest site (its nearest
    recruiting site when it has one, with ``recruiting_first``), and ``rank``
    what orders by it, bent by ``offset_km`` and ``flat_beyond_km``.
    """
    points, points_params = _points_sql(circle)
    return _sorted_sql(points, points_params, recruiting_first, offset_km, flat_beyond_km)


def _sorted_sql(
    points: str, points_params: list, recruiting_first: bool, offset_km: float, flat_beyond_km: float | None
) -> tuple[str, list]:
    rank, params = _rank_sql(offset_km, flat_beyond_km)
    sql = (
        f"SELECT trial_id, chosen, {rank} AS rank, recruiting FROM ({_grouped_sql(points, recruiting_first)}) grouped "
        "ORDER BY rank, trial_id"
    )
    return sql, [*params, *points_params]


# A page is read ring by ring, nearest first (``Ring``): the first ring holds about this many sites,
# or this many for each trial wanted, each next one four times as many, and past MAX_RINGS the rest
# of the circle is one ring.
FIRST_RING_SITES = 2_000
RING_SITES_PER_TRIAL = 40
RING_GROWTH = 4
MAX_RINGS = 5
# A point with this many sites is a ring of its own, read in trial order from the points' index.
DENSE_POINT_SITES = 1_000


@dataclass(frozen=True)
class Ring:
    """Points of a circle at successive distances.

    ``lowest``: the least ``Circle.half`` of them, the points of the rings
    before being all nearer (None: the first ring).
    """

    latitudes: tuple[float, ...]
    longitudes: tuple[float, ...]
    halves: tuple[float, ...]
    lowest: float | None
    sites: int

    @property
    def one_point(self) -> bool:
        return len(self.latitudes) == 1


def rings(circle: Circle, wanted: int, rank_of) -> Iterator[Ring]:
    """The circle's points in rings of growing distance, as many sites in each as ``wanted`` trials may need.

    Points whose ``rank_of(half)`` ties stay in one ring: a ring's trials then
    all come after the trials of the rings before it.
    """
    latitudes, longitudes, halves, sites = within(circle)
    order = sorted(range(len(halves)), key=halves.__getitem__)
    groups: list[list[int]] = []
    for index in order:
        if groups and rank_of(halves[index]) <= rank_of(halves[groups[-1][-1]]):
            groups[-1].append(index)
        else:
            groups.append([index])
    budget = max(FIRST_RING_SITES, RING_SITES_PER_TRIAL * wanted)
    made, lowest, pending, held = 0, None, [], 0

    def ring(indexes: list[int]) -> Ring:
        return Ring(
            tuple(latitudes[i] for i in indexes),
            tuple(longitudes[i] for i in indexes),
            tuple(halves[i] for i in indexes),
            lowest,
            sum(sites[i] for i in indexes),
        )

    for position, group in enumerate(groups):
        if made >= MAX_RINGS - 1:  # the rest of the circle, as one ring
            yield ring(pending + [index for rest in groups[position:] for index in rest])
            return
        count = sum(sites[index] for index in group)
        if count >= DENSE_POINT_SITES and pending:
            yield ring(pending)
            made, lowest, pending, held = made + 1, halves[group[0]], [], 0
        pending += group
        held += count
        if held >= budget or count >= DENSE_POINT_SITES:
            yield ring(pending)
            following = groups[position + 1][0] if position + 1 < len(groups) else None
            made, pending, held = made + 1, [], 0
            lowest = None if following is None else halves[following]
            budget *= RING_GROWTH
    if pending:
        yield ring(pending)


def ring_sql(ring: Ring, recruiting_first: bool, offset_km: float, flat_beyond_km: float | None) -> tuple[str, list]:
    """SQL for the trials with a site in ``ring``: (trial_id, chosen, rank, recruiting), in the order they list.

    A ring of one point is read from the points' index in trial order, so that
    a page of a dense city's trials stops reading once it is full.
    """
    if ring.one_point:
        sql = (
            "SELECT site.trial_id, %s::float8 AS chosen, 0.0::float8 AS rank, "
            f"bool_or(site.status = '{RECRUITING}') AS recruiting FROM trials_site site "
            "WHERE site.latitude = %s AND site.longitude = %s GROUP BY site.trial_id ORDER BY site.trial_id"
        )
        return sql, [ring.halves[0], ring.latitudes[0], ring.longitudes[0]]
    rows = ", ".join(["(%s::float8, %s::float8, %s::float8)"] * len(ring.latitudes))
    params = [value for row in zip(ring.latitudes, ring.longitudes, ring.halves, strict=True) for value in row]
    points = f"(VALUES {rows}) AS point(latitude, longitude, half)"
    return _sorted_sql(points, params, recruiting_first, offset_km, flat_beyond_km)


def first_in_ring_sql(circle: Circle, ring: Ring, recruiting_first: bool, trial: str, nearest: str) -> tuple[str, list]:
    """SQL true when the row of ``nearest`` (a ``ring_sql`` relation) is its trial's place in the circle's order.

    A trial has sites in several rings; it lists in the ring of its nearest
    recruiting site, or with none in the circle, of its nearest site. Asked
    of the rows a page reads only: ``trial`` is the trial's id column.
    """
    half, half_params = half_sql(circle, "other.latitude", "other.longitude")
    south, north = circle.spans()[0][:2]
    # The circle's band of latitudes first: most of a large trial's sites are far away, and cheaply told so.
    other = f"SELECT 1 FROM trials_site other WHERE other.trial_id = {trial} AND other.latitude BETWEEN %s AND %s AND "
    band = [south, north]
    recruits = f"other.status = '{RECRUITING}'"
    if not recruiting_first:
        if ring.lowest is None:
            return "true", []
        return f"NOT EXISTS ({other}{half} < %s)", [*band, *half_params, ring.lowest]
    # Without a recruiting site here, the trial lists further out when it has one in the circle.
    elsewhere = f"NOT EXISTS ({other}{recruits} AND {half} <= %s)"
    params = [*band, *half_params, circle.half_limit]
    if ring.lowest is None:
        return f"CASE WHEN {nearest}.recruiting THEN true ELSE {elsewhere} END", params
    # Past the first ring, the trial listed already if a ring before had its site.
    nearer = f"NOT EXISTS ({other}{recruits} AND {half} < %s)"
    anywhere = f"NOT EXISTS ({other}CASE WHEN {recruits} THEN {half} <= %s ELSE {half} < %s END)"
    return (
        f"CASE WHEN {nearest}.recruiting THEN {nearer} ELSE {anywhere} END",
        [*band, *half_params, ring.lowest, *band, *half_params, circle.half_limit, *half_params, ring.lowest],
    )
