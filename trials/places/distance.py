"""Distances on the Earth: a circle around a point, its bounding box, and the great-circle distance.

Both databases answer the same way: sites are first narrowed to the
circle's bounding box on their indexed latitude (migration 0019), then the
exact haversine distance is computed in SQL with the math functions
PostgreSQL has and Django registers on SQLite. Python's own ``haversine_km``
is the same formula, for tests and for what the database did not compute.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from django.db.models import F, FloatField, Q, Value
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


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(half)))


@dataclass(frozen=True)
class Circle:
    """Every point within ``km`` of (``lat``, ``lon``)."""

    lat: float
    lon: float
    km: float

    def box(self, prefix: str = "") -> Q:
        """The circle's bounding box on the ``latitude`` and ``longitude`` fields (under ``prefix``)."""
        lat_delta = math.degrees(self.km / EARTH_RADIUS_KM)
        south, north = self.lat - lat_delta, self.lat + lat_delta
        wanted = Q(**{f"{prefix}latitude__gte": max(south, -90.0), f"{prefix}latitude__lte": min(north, 90.0)})
        if south <= -90 or north >= 90:
            return wanted  # a pole inside: every longitude
        # The widest longitude span is at the latitude farthest from the equator.
        widest = math.cos(math.radians(max(abs(south), abs(north))))
        ratio = math.sin(self.km / EARTH_RADIUS_KM) / widest
        if ratio >= 1:
            return wanted
        lon_delta = math.degrees(math.asin(ratio))
        west, east = self.lon - lon_delta, self.lon + lon_delta
        if west < -180:  # across the antimeridian: two spans
            span = Q(**{f"{prefix}longitude__gte": west + 360}) | Q(**{f"{prefix}longitude__lte": east})
        elif east > 180:
            span = Q(**{f"{prefix}longitude__gte": west}) | Q(**{f"{prefix}longitude__lte": east - 360})
        else:
            span = Q(**{f"{prefix}longitude__gte": west, f"{prefix}longitude__lte": east})
        return wanted & span

    def distance(self, prefix: str = "") -> Func:
        """The great-circle distance in km from the centre to the point in ``latitude``/``longitude``."""
        lat, lon = F(f"{prefix}latitude"), F(f"{prefix}longitude")
        centre_lat = Value(math.radians(self.lat), output_field=FloatField())
        half = Power(Sin((Radians(lat) - centre_lat) / 2), 2) + Value(
            math.cos(math.radians(self.lat)), output_field=FloatField()
        ) * Cos(Radians(lat)) * Power(Sin((Radians(lon) - Value(math.radians(self.lon))) / 2), 2)
        # Rounding may take the root a hair past 1, outside ASIN's domain.
        return Value(2 * EARTH_RADIUS_KM) * ASin(Least(Sqrt(half), Value(1.0)), output_field=FloatField())

    def within(self, prefix: str = "") -> Q:
        """Points inside the circle: the bounding box (an index range), then the exact distance."""
        return self.box(prefix) & Q(LessThanOrEqual(self.distance(prefix), self.km))

    def contains(self, lat: float, lon: float) -> bool:
        return haversine_km(self.lat, self.lon, lat, lon) <= self.km
