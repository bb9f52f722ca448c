"""Distance searches on PostgreSQL, from the points the sites stand on.

The registry puts a site at its city's point, so millions of sites share a
few thousand points (tens of thousands stand on New York's alone). The table
``trials_site_point`` (migration 0031, kept by triggers) holds each point
once: a circle measures its points, not its sites, and then reads the sites
of those points from the sites' point index, which holds what the nearest-site
rule needs. No site is measured, and no site outside the circle is read.
SQLite has no such table and measures the sites themselves (``nearest``).
"""

from __future__ import annotations

import math

from django.db import connection

from .distance import EARTH_RADIUS_KM, Circle

POINTS = "trials_site_point"
RECRUITING = "RECRUITING"


def used() -> bool:
    return connection.vendor == "postgresql"


def half_sql(circle: Circle, latitude: str, longitude: str) -> tuple[str, list[float]]:
    """``Circle.half`` of the point in the columns ``latitude`` and ``longitude``, as SQL and its parameters."""
    sql = (
        f"(POWER(SIN(((RADIANS({latitude}) - %s) / 2)), 2) + "
        f"((%s * COS(RADIANS({latitude}))) * POWER(SIN(((RADIANS({longitude}) - %s) / 2)), 2)))"
    )
    return sql, [math.radians(circle.lat), math.cos(math.radians(circle.lat)), math.radians(circle.lon)]


def within(circle: Circle) -> tuple[list[float], list[float], list[float]]:
    """The points with sites inside ``circle``: (latitudes, longitudes, ``Circle.half`` of each).

    Measured once for each circle: a list page orders, counts and counts facets in the same one.
    """
    found = circle.__dict__.get("_points")
    if found is None:
        found = _within(circle)
        object.__setattr__(circle, "_points", found)  # a frozen dataclass, but an instance's own cache
    return found


def _within(circle: Circle) -> tuple[list[float], list[float], list[float]]:
    half, params = half_sql(circle, "latitude", "longitude")
    boxes = " OR ".join("(latitude BETWEEN %s AND %s AND longitude BETWEEN %s AND %s)" for _ in circle.spans())
    for south, north, west, east in circle.spans():
        params += [south, north, west, east]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT latitude, longitude, half FROM (SELECT latitude, longitude, {half} AS half FROM {POINTS} "
            f"WHERE {boxes}) inside WHERE half <= %s",
            [*params, circle.half_limit],
        )
        rows = cursor.fetchall()
    return [row[0] for row in rows], [row[1] for row in rows], [row[2] for row in rows]


def _points_sql(circle: Circle) -> tuple[str, list[float]]:
    """The circle's points, each with its ``Circle.half``, as a relation ``point`` of three columns.

    Written out row by row, so that the planner knows how many there are
    (``estimate`` tells a dense city's tens of thousands of trials from a few).
    """
    latitudes, longitudes, halves = within(circle)
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
    latitudes, longitudes, _ = within(circle)
    if 0 < len(latitudes) <= NAMED_POINTS:
        named = " OR ".join(["(site.latitude = %s AND site.longitude = %s)"] * len(latitudes))
        params = [value for point in zip(latitudes, longitudes, strict=True) for value in point]
        return f"SELECT site.trial_id FROM trials_site site WHERE {named}", params
    points, params = _points_sql(circle)
    return f"SELECT site.trial_id FROM {points} JOIN {_SITES_SQL}", params


def nearest(
    circle: Circle, recruiting_first: bool, not_recruiting: float, offset_km: float, flat_beyond_km: float | None
) -> tuple[str, list]:
    """SQL for each trial in ``circle``: (trial_id, chosen, rank), sorted by rank and trial (``order_by_distance``).

    ``chosen`` is the ``Circle.half`` of the trial's nearest site (recruiting
    first: ``not_recruiting`` is added to the others' while choosing), and
    ``rank`` what orders by it, bent by ``offset_km`` and ``flat_beyond_km``.
    """
    points, points_params = _points_sql(circle)
    least = "MIN(point.half)"
    if recruiting_first:
        least = f"MIN(point.half + CASE WHEN site.status = '{RECRUITING}' THEN 0.0 ELSE {not_recruiting!r} END)"
    chosen = f"CASE WHEN least >= {not_recruiting!r} THEN least - {not_recruiting!r} ELSE least - 0.0 END"
    rank, params = "chosen", []
    if offset_km or flat_beyond_km is not None:
        rank = f"({2 * EARTH_RADIUS_KM!r} * ASIN(LEAST(SQRT(chosen), 1.0)))"
    if offset_km:
        rank, params = f"GREATEST({rank} - %s, 0.0)", [offset_km]
    if flat_beyond_km is not None:
        rank, params = f"LEAST({rank}, %s)", [*params, flat_beyond_km]
    sql = (
        f"SELECT trial_id, chosen, {rank} AS rank FROM ("
        f"SELECT trial_id, {chosen} AS chosen FROM ("
        f"SELECT site.trial_id, {least} AS least FROM {points} JOIN {_SITES_SQL} GROUP BY site.trial_id"
        ") grouped) measured ORDER BY rank, trial_id"
    )
    return sql, [*params, *points_params]
