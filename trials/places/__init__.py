"""Places: where a typed place is (offline), how far sites are from it, and countries by every name.

``gazetteer`` locates "Lyon", "Springfield, Illinois", a postal code or
``lat,lon``; ``distance`` draws a circle around it that querysets filter and
order by; ``countries`` maps every name of a country to all its spellings.
``nearest`` joins them for the trial list and the API.
"""

from __future__ import annotations

from .countries import country_code, country_label, country_names, in_text, named_in_text, spellings
from .distance import (
    HALF_CIRCUMFERENCE_KM,
    KM_PER_MILE,
    Circle,
    DistanceError,
    format_km,
    haversine_km,
    in_km,
    parse_distance,
)
from .gazetteer import Place, PlaceError, countries_on_file, load, locate
from .nearest import (
    DEFAULT_WITHIN,
    MAX_WITHIN_KM,
    MIN_WITHIN_KM,
    NearestSite,
    circle_around,
    near_trials,
    nearest_sites,
    order_by_distance,
    page,
    parse_within,
)

__all__ = [
    "DEFAULT_WITHIN",
    "HALF_CIRCUMFERENCE_KM",
    "KM_PER_MILE",
    "MAX_WITHIN_KM",
    "MIN_WITHIN_KM",
    "Circle",
    "DistanceError",
    "NearestSite",
    "Place",
    "PlaceError",
    "circle_around",
    "countries_on_file",
    "country_code",
    "country_label",
    "country_names",
    "in_text",
    "format_km",
    "haversine_km",
    "in_km",
    "load",
    "locate",
    "named_in_text",
    "near_trials",
    "nearest_sites",
    "order_by_distance",
    "page",
    "parse_distance",
    "parse_within",
    "spellings",
]
