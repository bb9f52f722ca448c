"""A trial's sites grouped for reading: country → region → city, with counts.

A trial with a thousand sites cannot be read as one list. Up to ``SHOW_ALL``
sites, every site is on the page, grouped in ``<details>``, the first screen's
worth open. Past that, the page lists the countries and regions with their
counts, each a link (``?country=…&region=…``) to the same page showing that
group's sites: the page stays a few screens long and quick to render, and
every site is one link away, without JavaScript.

Reached from a search near a place (``?near=…&within=…``), the page lists
first the sites within that distance, nearest first, each with how far it
is (``sites_near``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby
from urllib.parse import urlencode

from . import choices, places
from .models import Contact, Site

# A trial with up to this many sites shows them all on its page.
SHOW_ALL = 60
# Groups open by default while the page stays about a screen of sites long.
OPEN_SITES = 20
# At most this many countries open by default; the rest show their counts only.
OPEN_COUNTRIES = 3
# Near a place, at most this many of the nearest sites are listed before the groups.
NEAREST_SHOWN = 20


@dataclass
class SiteEntry:
    site: Site
    contacts: list[Contact]
    # Near a place: how far the site is ("3.2 km").
    distance: str = ""


@dataclass
class City:
    name: str
    sites: list[SiteEntry]


@dataclass
class Group:
    """A country or a region: its name, counts, and its cities when its sites are on the page."""

    name: str
    count: int = 0
    recruiting: int = 0
    open: bool = False
    shown: bool = False
    query: str = ""
    cities: list[City] = field(default_factory=list)
    regions: list[Group] = field(default_factory=list)


@dataclass
class SiteGroups:
    countries: list[Group]
    count: int
    recruiting: int
    all_shown: bool
    # The group asked for with ?country=…&region=…, and whether the trial has it.
    selected: str = ""
    found: bool = True


def _counted(name: str, entries: list[SiteEntry]) -> Group:
    recruiting = sum(entry.site.status == choices.RecruitmentStatus.RECRUITING for entry in entries)
    return Group(name=name, count=len(entries), recruiting=recruiting)


def grouped_sites(
    sites: list[Site],
    contacts: dict[int, list[Contact]],
    country: str | None = None,
    region: str | None = None,
    show_all: bool = False,
) -> SiteGroups:
    """Countries in alphabetical order (sites without a country last), each site once with its contacts.

    ``country`` and ``region`` (as the registry spells them, case aside) pick the group whose sites
    a big trial's page shows.
    """
    entries = sorted(
        (SiteEntry(site, contacts.get(site.pk, [])) for site in sites),
        key=lambda entry: (not entry.site.country, entry.site.country, entry.site.state, entry.site.city),
    )
    all_shown = show_all or len(entries) <= SHOW_ALL
    wanted_country = (country or "").strip().casefold()
    wanted_region = (region or "").strip().casefold() if region is not None else None
    groups = SiteGroups([], len(entries), 0, all_shown)
    for index, (name, in_country_group) in enumerate(groupby(entries, key=lambda entry: entry.site.country)):
        in_country = list(in_country_group)
        group = _counted(name, in_country)
        group.query = urlencode({"country": name})
        selected = bool(wanted_country) and name.casefold() == wanted_country
        for region_name, in_region_group in groupby(in_country, key=lambda entry: entry.site.state):
            in_region = list(in_region_group)
            part = _counted(region_name, in_region)
            part.query = urlencode({"country": name, "region": region_name})
            part.shown = (
                all_shown
                or (selected and wanted_region is None and group.count <= SHOW_ALL)
                or (selected and wanted_region == region_name.casefold())
            )
            if part.shown:
                part.cities = [
                    City(city, list(at)) for city, at in groupby(in_region, key=lambda entry: entry.site.city)
                ]
            part.open = part.shown and (group.count <= OPEN_SITES or selected)
            group.regions.append(part)
        if all_shown:
            has_regions = any(part.name for part in group.regions)
            small = group.count <= OPEN_SITES or has_regions
            group.open = len(entries) <= OPEN_SITES or (index < OPEN_COUNTRIES and small)
        else:
            # Closed, a big trial's country holds only links and counts: short enough to open.
            group.open = selected or index < OPEN_COUNTRIES
        groups.countries.append(group)
        groups.recruiting += group.recruiting
    if wanted_country:
        groups.selected = ", ".join(part for part in (region, country) if part)
        groups.found = any(part.shown for group in groups.countries for part in group.regions)
    return groups


@dataclass
class SitesNear:
    """The sites within ``within`` of ``place``, nearest first, for a visitor who searched near it."""

    place: str
    within: str
    entries: list[SiteEntry]
    # Within the distance, past the ones listed.
    more: int = 0
    # The sites whose record gives no coordinates, which cannot be measured.
    unplaced: int = 0


def sites_near(
    sites: list[Site], contacts: dict[int, list[Contact]], place: places.Place, circle: places.Circle, within: str
) -> SitesNear:
    """The trial's sites inside ``circle``, nearest first (the record's order among equals), with their distances.

    Measured here, on the sites the page has read: a trial's own sites need no query.
    """
    measured = [
        (places.haversine_km(circle.lat, circle.lon, site.latitude, site.longitude), site.position, site)
        for site in sites
        if site.latitude is not None and site.longitude is not None
    ]
    inside = sorted((entry for entry in measured if entry[0] <= circle.km), key=lambda entry: entry[:2])
    entries = [
        SiteEntry(site, contacts.get(site.pk, []), places.format_km(km)) for km, _, site in inside[:NEAREST_SHOWN]
    ]
    return SitesNear(place.label, within, entries, len(inside) - len(entries), len(sites) - len(measured))
