"""A trial's sites for reading: filtered, ordered, grouped country → region → city, with counts.

A trial with a thousand sites cannot be read as one list, nor loaded as a
thousand model instances on every view of its page. The page reads every
site as a light row (``site_rows``: the columns the groups, the filter and
the map need) and every contact (``with_contacts`` keeps those of the sites
it lists), packed as JSON in the trial's own query. Up to ``SHOW_ALL`` sites (after the filter), every one is on
the page, grouped in ``<details>``, the first screen's worth open. Past that,
the first groups are shown and the rest are counts, each a link to the same
page filtered to that group (``?site_country=…&site_region=…``): every site
is one link away, without JavaScript.

The filter is GET parameters of the trial's page (``SiteFilter.PARAMETERS``):
a country, a region within it, a site's recruitment status and a text.

Reached from a search near a place (``?near=…&within=…``), the page lists
first the sites within that distance, nearest first, each with how far it
is (``sites_near``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from itertools import groupby
from operator import attrgetter
from typing import Any, NamedTuple
from urllib.parse import quote_plus, urlencode

from django.http import QueryDict

from . import choices, places
from .db import GroupedLightRows, LightRows
from .models import Contact, Site, Trial
from .places import in_text

# Up to this many sites (after the filter), the page shows them all.
SHOW_ALL = 60
# Groups open by default while the page stays about a screen of sites long.
OPEN_SITES = 20
# At most this many countries open by default; the rest show their counts only.
OPEN_COUNTRIES = 3
# A site text filter longer than this is not a place or a facility's name.
MAX_TEXT = 200


class SiteRow(NamedTuple):
    """A site as the page reads it: no model instance, as a big trial has a thousand."""

    id: int
    facility: str
    city: str
    state: str
    zip: str
    country: str
    status: str
    latitude: float | None
    longitude: float | None
    # The trial's status lapsed into "Unknown status" (``trials.status``): the site's is only what was last reported.
    lapsed: bool = False

    @property
    def place(self) -> str:
        return ", ".join(part for part in (self.city, self.state, self.zip, self.country) if part)

    @property
    def status_label(self) -> str:
        if self.status not in STATUS_CODES:
            return ""
        label = choices.RecruitmentStatus(self.status).label
        return f"{label} (last reported; not verified since)" if self.lapsed else label

    @property
    def recruiting(self) -> bool:
        return self.status == RECRUITING and not self.lapsed


class ContactRow(NamedTuple):
    """A contact as the page reads it: a central contact, or a listed site's."""

    id: int
    site_id: int | None
    name: str
    role: str
    phone: str
    phone_ext: str
    email: str

    def get_role_display(self) -> str:
        """As ``Contact.get_role_display``, which the contact card calls."""
        return ROLE_LABELS.get(self.role, self.role)


ROLE_LABELS = dict(choices.ContactRole.choices)
STATUS_CODES = frozenset(choices.RecruitmentStatus.values)
RECRUITING = choices.RecruitmentStatus.RECRUITING.value


# A page's sites and contacts, read as plain rows in the trial's own query
# (``Trial.objects.one_with_rows(..., light=...)``): the columns of ``SiteRow`` and ``ContactRow``.
_SITES = LightRows(Site, "trial", SiteRow._fields[:-1])
# Contacts by site, each site's as JSON text: a big trial's page parses those of the sites it lists only.
_CONTACTS = GroupedLightRows(Contact, "trial", ContactRow._fields, "site")
SITES = (("page_site_rows", _SITES),)
SITES_AND_CONTACTS = (*SITES, ("page_contact_rows", _CONTACTS))


def site_rows(trial: Trial) -> list[SiteRow]:
    """Every site of the trial, in the registry's order, from the trial's query (read with ``SITES``)."""
    # A lapsed trial's sites are not counted or drawn as recruiting, as the trial is not shown so.
    lapsed = trial.status_lapsed
    # tuple.__new__: a namedtuple's own constructor, with a keyword, costs a third of the rows' reading.
    return [_new_row(SiteRow, (*values, lapsed)) for values in _SITES.rows(trial.__dict__["page_site_rows"])]


_new_row = tuple.__new__


# How sites are ordered by default: by place, so that groups come alphabetically (no country last).
def by_place(row: SiteRow) -> tuple:
    return (not row.country, row.country, row.state, row.city, row.facility)


_PLACE = attrgetter("country", "state", "city", "facility")


def ordered(rows: Iterable[SiteRow], ordering: Callable[[SiteRow], Any] | None = None) -> list[SiteRow]:
    """The sites in the page's order: ``ordering`` is a sort key (nearest first, say), by place without one.

    Groups come in the order of their first site, so the first country holds the first site.
    """
    if ordering is not None:
        return sorted(rows, key=ordering)
    # As ``by_place``, with a key that costs no Python call per site.
    placed = sorted(rows, key=_PLACE)
    return [row for row in placed if row.country] + [row for row in placed if not row.country]


@dataclass(frozen=True)
class SiteFilter:
    """Which of a trial's sites the page lists, from its GET parameters."""

    country: str = ""
    # None: any region; "": the sites of the country that give none.
    region: str | None = None
    status: str = ""
    text: str = ""

    PARAMETERS = ("site_country", "site_region", "site_status", "site_q")

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> SiteFilter:
        """The filter asked for; ValueError, saying what to change, when it cannot be read."""
        status = query.get("site_status", "").strip().upper()
        if status and status not in STATUS_CODES:
            raise ValueError(
                f"“{query['site_status'][:40]}” is not a site status: use one of "
                + ", ".join(code for code in choices.RecruitmentStatus.values)
                + "."
            )
        text = " ".join(query.get("site_q", "").split())
        if len(text) > MAX_TEXT:
            raise ValueError(f"The site search takes at most {MAX_TEXT} characters.")
        region = query.get("site_region")
        country = query.get("site_country", "").strip()
        return cls(
            country=country,
            region=region.strip() if region is not None and country else None,
            status=status,
            text=text,
        )

    @property
    def active(self) -> bool:
        return bool(self.country or self.status or self.text)

    def matches(self, row: SiteRow) -> bool:
        if self.country and row.country.casefold() != self.country.casefold():
            return False
        if self.region is not None and row.state.casefold() != self.region.casefold():
            return False
        if self.status and row.status != self.status:
            return False
        if self.text:
            words = " ".join((row.facility, row.city, row.state, row.zip, row.country)).casefold()
            return all(word in words for word in self.text.casefold().split())
        return True

    def query(self, **changes: str | None) -> str:
        """The query string of this filter with ``changes`` (``country``, ``region``…), empty values left out."""
        chosen = replace(self, **changes)
        pairs = [("site_country", chosen.country)]
        if chosen.region is not None and chosen.country:
            pairs.append(("site_region", chosen.region))
        pairs += [("site_status", chosen.status), ("site_q", chosen.text)]
        return urlencode([(name, value) for name, value in pairs if value or name == "site_region"])

    def describe(self) -> str:
        """What the filter keeps, in words: "in the United States; recruiting; matching “Mayo”"."""
        parts = []
        if self.country:
            parts.append(f"in {in_text(self.country, self.region or '')}")
        if self.status:
            parts.append(choices.RecruitmentStatus(self.status).label.lower())
        if self.text:
            parts.append(f"matching “{self.text}”")
        return "; ".join(parts)


# The site filter's former parameters, and what they are called now.
FORMER_PARAMETERS = {"country": "site_country", "region": "site_region"}


def renamed_filter(query: QueryDict) -> str:
    """The query string with the site filter's former names renamed (the other parameters kept, in their order);
    "" when it uses none. A current name given too wins over its former one."""
    if not any(name in query for name in FORMER_PARAMETERS):
        return ""
    pairs = []
    for name, values in query.lists():
        new = FORMER_PARAMETERS.get(name)
        if new is None:
            pairs.extend((name, value) for value in values)
        elif new not in query:
            pairs.extend((new, value) for value in values)
    return urlencode(pairs)


# Near a place, at most this many of the nearest sites are listed before the groups.
NEAREST_SHOWN = 20


@dataclass
class SiteEntry:
    site: SiteRow
    contacts: list[ContactRow] = field(default_factory=list)
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
    rows: list[SiteRow] = field(default_factory=list)
    cities: list[City] = field(default_factory=list)
    regions: list[Group] = field(default_factory=list)


@dataclass
class SiteGroups:
    countries: list[Group]
    # The sites the filter keeps, and of them those recruiting; ``total``: the trial's.
    count: int
    recruiting: int
    total: int
    all_shown: bool
    filter: SiteFilter
    matching: list[SiteRow]
    # The filter form's choices, over all the trial's sites: (value, label, count).
    country_choices: list[tuple[str, str, int]] = field(default_factory=list)
    status_choices: list[tuple[str, str, int]] = field(default_factory=list)
    shown: int = 0
    recruiting_total: int = 0


_COUNTRY = attrgetter("country")
_STATUS = attrgetter("status")
_STATE = attrgetter("state")


def _grouped(rows: list[SiteRow], key: Callable[[SiteRow], str]) -> list[tuple[str, list[SiteRow]]]:
    """Rows by ``key`` in the order of each group's first row (the page's order)."""
    groups: dict[str, list[SiteRow]] = {}
    # By runs: in the page's order by place a group is one run, which ``groupby`` cuts without a Python call per row.
    for name, run in groupby(rows, key):
        if name in groups:
            groups[name].extend(run)
        else:
            groups[name] = list(run)
    return list(groups.items())


def _recruiting(rows: list[SiteRow]) -> int:
    if rows and rows[0].lapsed:
        return 0
    return list(map(_STATUS, rows)).count(RECRUITING)


def _counted(name: str, rows: list[SiteRow]) -> Group:
    return Group(name=name, count=len(rows), recruiting=_recruiting(rows), rows=rows)


def grouped_sites(
    rows: list[SiteRow],
    site_filter: SiteFilter | None = None,
    ordering: Callable[[SiteRow], Any] | None = None,
    show_all: bool = False,
) -> SiteGroups:
    """The sites the filter keeps, each once, grouped; which groups are shown (their sites listed) and open.

    Contacts are not read here: ``with_contacts`` adds them to the shown sites.
    """
    site_filter = site_filter or SiteFilter()
    matching = ordered(rows, ordering)
    if site_filter.active:
        matching = [row for row in matching if site_filter.matches(row)]
    all_shown = show_all or len(matching) <= SHOW_ALL or site_filter.region is not None
    countries = Counter(map(_COUNTRY, rows))
    statuses = Counter(map(_STATUS, rows))
    del countries[""], statuses[""]
    groups = SiteGroups(
        countries=[],
        count=len(matching),
        recruiting=_recruiting(matching),
        total=len(rows),
        recruiting_total=_recruiting(rows),
        all_shown=all_shown,
        filter=site_filter,
        matching=matching,
        country_choices=[(name, name, countries[name]) for name in sorted(countries)],
        status_choices=[
            (code, label, statuses[code]) for code, label in choices.RecruitmentStatus.choices if statuses[code]
        ],
    )
    budget = 0  # sites listed so far, when not all are
    for index, (name, in_country) in enumerate(_grouped(matching, _COUNTRY)):
        country = _counted(name, in_country)
        country.query = site_filter.query(country=name, region=None)
        # Past the first screen, a big trial's country is its counts and a link to its sites.
        country.shown = all_shown or site_filter.active or index < OPEN_COUNTRIES or budget < OPEN_SITES or not name
        if not country.shown:
            groups.countries.append(country)
            continue
        for region_name, in_region in _grouped(in_country, _STATE):
            region = _counted(region_name, in_region)
            # Without a filter, as ``SiteFilter.query`` writes it, without its cost per region.
            region.query = (
                site_filter.query(country=name, region=region_name)
                if site_filter.active or not name
                else f"{country.query}&site_region={quote_plus(region_name)}"
            )
            if all_shown:
                region.shown = True
            elif budget < OPEN_SITES and budget + region.count <= SHOW_ALL:
                # A big trial's first groups are listed, a screen's worth; the rest are links.
                region.shown, budget = True, budget + region.count
            if region.shown:
                region.cities = [City(city, [SiteEntry(row) for row in at]) for city, at in _grouped(in_region, _city)]
                region.open = country.count <= OPEN_SITES or site_filter.active or not all_shown
            country.regions.append(region)
        if all_shown:
            has_regions = any(region.name for region in country.regions)
            small = country.count <= OPEN_SITES or has_regions
            country.open = len(matching) <= OPEN_SITES or site_filter.active or (index < OPEN_COUNTRIES and small)
        else:
            # A big trial's country holds mostly links and counts: short enough to open.
            country.open = index < OPEN_COUNTRIES or site_filter.active
        groups.countries.append(country)
    groups.shown = sum(len(city.sites) for group in groups.countries for part in group.regions for city in part.cities)
    return groups


def _city(row: SiteRow) -> str:
    return row.city


def with_contacts(groups: SiteGroups, trial: Trial) -> list[ContactRow]:
    """The trial's central contacts, and each listed site's contacts put with it, from the trial's query
    (read with ``SITES_AND_CONTACTS``): the contacts of sites not listed are not even parsed."""
    entries = {
        entry.site.id: entry
        for country in groups.countries
        for region in country.regions
        for city in region.cities
        for entry in city.sites
    }
    by_site = _CONTACTS.groups(trial.__dict__["page_contact_rows"])
    for site_id, entry in entries.items():
        if text := by_site.get(str(site_id)):
            entry.contacts = [_new_row(ContactRow, values) for values in _CONTACTS.rows(text)]
    # The central contacts are those of no site.
    return [_new_row(ContactRow, values) for values in _CONTACTS.rows(by_site.get("0"))]


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


def sites_near(rows: list[SiteRow], place: places.Place, circle: places.Circle, within: str) -> SitesNear:
    """The trial's sites inside ``circle``, nearest first (the record's order among equals), with their distances.

    Measured here, on the sites the page has read: a trial's own sites need no query.
    """
    measured = [
        (places.haversine_km(circle.lat, circle.lon, row.latitude, row.longitude), position, row)
        for position, row in enumerate(rows)
        if row.latitude is not None and row.longitude is not None
    ]
    inside = sorted((entry for entry in measured if entry[0] <= circle.km), key=lambda entry: entry[:2])
    entries = [SiteEntry(row, distance=places.format_km(km)) for km, _, row in inside[:NEAREST_SHOWN]]
    return SitesNear(place.label, within, entries, len(inside) - len(entries), len(rows) - len(measured))
