"""Distances on the Earth: a circle around a point, its bounding box, and the great-circle distance.

Both databases answer the same way: sites are first narrowed to the
circle's bounding box, then the exact haversine distance is computed in SQL
with the math functions PostgreSQL has and Django registers on SQLite.
PostgreSQL reads the box from a two-dimensional index on the sites' points
(migration 0025), which holds what the distance needs, so the sites of a
dense city are read from the index alone; SQLite ranges over the latitude
index. Python's own ``haversine_km`` is the same formula, for tests and for
what the database did not compute.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, F, FloatField, Q, Value
from django.db.models.expressions import Func
from django.db.models.functions import ASin, Cos, Least, Power, Radians, Sin, Sqrt
from django.db.models.lookups import LessThanOrEqual

# The mean Earth radius (IUGG), as geodesy's haversine uses it.
EARTH_RADIUS_KM = 6371.0088
KM_PER_MILE = 1.609344
UNITS = {"km": 1.0, "mi": KM_PER_MILE}
# Half the Earth's circumference: every point lies within it.
HALF_CIRCUMFERENCE_KM = math.pi * EARTH_RADIUS_KM
_DISTANCE = re.compile(r"^(\d{1,9}(?:\.\d{1,6})?)\s*(km|mi)?$")


class DistanceError(ValueError):
    pass


def parse_distance(text: str, default_unit: str = "km") -> tuple[float, str]:
    """("50km" → (50.0, "km")); a number without a unit is in ``default_unit``."""
    match = _DISTANCE.match(text.strip().lower())
    if not match:
        raise DistanceError(f"“{text[:40]}” is not a distance: write a number and km or mi, as in 50km or 30mi")
    return float(match.group(1)), match.group(2) or default_unit


def in_km(value: float, unit: str) -> float:
    return value * UNITS[unit]


def format_km(km: float) -> str:
    """A distance as a list row or a site shows it: 0.1 km, 9.4 km, 12 km, 1,204 km."""
    return f"{km:.1f} km" if km < 10 else f"{km:,.0f} km"


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(half)))


class _InBox(Func):
    """``point(longitude, latitude) <@ box(...)``, the expression of the sites' point index (migration 0025)."""

    template = "point(%(expressions)s) <@ box(point(%%s, %%s), point(%%s, %%s))"
    output_field = BooleanField()

    def __init__(self, prefix: str, west: float, south: float, east: float, north: float):
        super().__init__(F(f"{prefix}longitude"), F(f"{prefix}latitude"))
        self.corners = (west, south, east, north)

    def as_sql(self, compiler, connection, **extra):
        sql, params = super().as_sql(compiler, connection, **extra)
        return sql, (*params, *self.corners)


def _span(prefix: str, south: float, north: float, west: float, east: float) -> Q:
    """Points with a latitude from ``south`` to ``north`` and a longitude from ``west`` to ``east``."""
    if connection.vendor == "postgresql":
        return Q(_InBox(prefix, west, south, east, north))
    return Q(
        **{
            f"{prefix}latitude__gte": south,
            f"{prefix}latitude__lte": north,
            f"{prefix}longitude__gte": west,
            f"{prefix}longitude__lte": east,
        }
    )


@dataclass(frozen=True)
class Circle:
    """Every point within ``km`` of (``lat``, ``lon``)."""

    lat: float
    lon: float
    km: float

    def spans(self) -> list[tuple[float, float, float, float]]:
        """The circle's bounding box as (south, north, west, east) spans: two across the antimeridian."""
        lat_delta = math.degrees(self.km / EARTH_RADIUS_KM)
        south, north = max(self.lat - lat_delta, -90.0), min(self.lat + lat_delta, 90.0)
        if south <= -90 or north >= 90:
            return [(south, north, -180.0, 180.0)]  # a pole inside: every longitude
        # The widest longitude span is at the latitude farthest from the equator.
        widest = math.cos(math.radians(max(abs(south), abs(north))))
        ratio = math.sin(self.km / EARTH_RADIUS_KM) / widest
        if ratio >= 1:
            return [(south, north, -180.0, 180.0)]
        lon_delta = math.degrees(math.asin(ratio))
        west, east = self.lon - lon_delta, self.lon + lon_delta
        if west < -180:  # across the antimeridian: two boxes
            return [(south, north, west + 360, 180.0), (south, north, -180.0, east)]
        if east > 180:
            return [(south, north, west, 180.0), (south, north, -180.0, east - 360)]
        return [(south, north, west, east)]

    def box(self, prefix: str = "") -> Q:
        """The circle's bounding box on the ``latitude`` and ``longitude`` fields (under ``prefix``)."""
        found = Q()
        for south, north, west, east in self.spans():
            found |= _span(prefix, south, north, west, east)
        return found

    def half(self, prefix: str = "") -> Func:
        """The haversine of the central angle to the point: 0 at the centre, 1 at the antipode.

        It grows with the distance, so it filters and orders as the distance
        does, for less arithmetic on each of a dense city's sites.
        """
        lat, lon = F(f"{prefix}latitude"), F(f"{prefix}longitude")
        centre_lat = Value(math.radians(self.lat), output_field=FloatField())
        return Power(Sin((Radians(lat) - centre_lat) / 2), 2) + Value(
            math.cos(math.radians(self.lat)), output_field=FloatField()
        ) * Cos(Radians(lat)) * Power(Sin((Radians(lon) - Value(math.radians(self.lon))) / 2), 2)

    @staticmethod
    def km_from_half(half) -> Func:
        # Rounding may take the root a hair past 1, outside ASIN's domain.
        return Value(2 * EARTH_RADIUS_KM) * ASin(Least(Sqrt(half), Value(1.0)), output_field=FloatField())

    def distance(self, prefix: str = "") -> Func:
        """The great-circle distance in km from the centre to the point in ``latitude``/``longitude``."""
        return self.km_from_half(self.half(prefix))

    @property
    def half_limit(self) -> float:
        """``half()`` at the circle's edge."""
        return math.sin(min(self.km / (2 * EARTH_RADIUS_KM), math.pi / 2)) ** 2

    def within(self, prefix: str = "") -> Q:
        """Points inside the circle: the bounding box (an index range), then the exact distance."""
        return self.box(prefix) & Q(LessThanOrEqual(self.half(prefix), self.half_limit))

    def contains(self, lat: float, lon: float) -> bool:
        return haversine_km(self.lat, self.lon, lat, lon) <= self.km
