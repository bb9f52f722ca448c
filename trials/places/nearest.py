"""Trials with a site within a circle, ordered by their nearest site, and which site that is.

A trial's nearest site is its nearest *recruiting* site when it has one
within the circle (that is where a patient can take part), otherwise its
nearest site; trials are ordered by that site's distance. The same rule
picks the site a list row names.

Ordering reads each site in the circle once: the sites in the circle are
grouped by trial with that nearest distance, sorted, and joined to the
filtered trials (a common table expression, ``django_cte``), so a page reads
trials in distance order until it has its 25, whatever the number of trials
in a dense city. On PostgreSQL the circle's points are measured instead of
its sites, and the sites read by point from an index (``points``); SQLite
measures the sites in the circle's bounding box.

On PostgreSQL a page goes further (``page``): it is read ring by ring from
the centre, the trials of a dense point in id order, and the reading stops
once the page is full. Each trial is asked whether the ring is where it
lists (its nearest recruiting site may be further out), so a page of a
city with a hundred thousand sites reads a page's worth of them.
"""

from __future__ import annotations

import math
from contextlib import nullcontext
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    F,
    FloatField,
    IntegerField,
    Min,
    OuterRef,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Greatest, Least
from django.db.models.query import FlatValuesListIterable
from django.db.models.sql.where import WhereNode
from django_cte import CTE, with_cte
from django_cte.raw import raw_cte_sql

from .. import choices
from ..models import Site
from . import points
from .distance import (
    EARTH_RADIUS_KM,
    KM_PER_MILE,
    Circle,
    DistanceError,
    format_km,
    haversine_km,
    in_km,
    parse_distance,
)
from .gazetteer import Place, PlaceError, locate

DEFAULT_WITHIN = "100km"
MIN_WITHIN_KM = 1.0
MAX_WITHIN_KM = 5000.0
NEAREST_KM = "nearest_site_km"
_NEAREST = "nearest_site"
# Pages past this many trials are read by sorting the circle's trials once, not by carrying every id before them.
RINGS_UP_TO = 2_000
_FIELDS = {"trial_id": IntegerField(), "chosen": FloatField(), "rank": FloatField(), "recruiting": BooleanField()}
# Added to a site's ``Circle.half`` (0 to 1) when it does not recruit: a trial's least sum is its
# nearest recruiting site when it has one, else its nearest site; the remainder is that site's.
NOT_RECRUITING = 2.0


def parse_within(text: str) -> tuple[float, str]:
    """``within`` as (km, as the visitor wrote it): 50km, 30mi, a number of km; 1 to 5,000 km."""
    value, unit = parse_distance(text or DEFAULT_WITHIN)
    km = in_km(value, unit)
    if not MIN_WITHIN_KM <= km <= MAX_WITHIN_KM:
        raise DistanceError(
            f"“{text}” is out of range: search within {MIN_WITHIN_KM:g} to {MAX_WITHIN_KM:,.0f} km "
            f"({MIN_WITHIN_KM / KM_PER_MILE:.1f} to {MAX_WITHIN_KM / KM_PER_MILE:,.0f} mi)"
        )
    return km, f"{value:g} {unit}"


MAX_PLACE_LENGTH = 100


def circle_around(near: str, within: str) -> tuple[Place, Circle, str]:
    """The place ``near`` names and the circle ``within`` draws around it, and ``within`` as written.

    ``PlaceError`` or ``DistanceError`` say what is wrong, as the list page's form does.
    """
    if len(near) > MAX_PLACE_LENGTH:
        raise PlaceError(f"A place is at most {MAX_PLACE_LENGTH} characters.")
    if "\x00" in near:
        raise PlaceError("A place may not contain NUL characters.")
    km, written = parse_within(within)
    place = locate(near)
    return place, Circle(place.lat, place.lon, km), written


def near_trials(queryset: QuerySet, circle: Circle) -> QuerySet:
    """The trials of ``queryset`` with a site within ``circle`` (unordered: what counts read)."""
    if points.used():
        return queryset.filter(pk__in=RawSQL(*points.trial_ids(circle)))
    return queryset.filter(Exists(Site.objects.filter(circle.within(), trial=OuterRef("pk"))))


def order_by_distance(
    queryset: QuerySet,
    circle: Circle,
    recruiting_first: bool = True,
    offset_km: float = 0.0,
    flat_beyond_km: float | None = None,
) -> QuerySet:
    """The trials of ``queryset`` with a site within ``circle``, nearest first, then in the order filed.

    ``NEAREST_KM`` holds each trial's nearest site's distance.
    ``recruiting_first``: a trial's nearest recruiting site counts before its
    other sites. Distances up to ``offset_km`` tie, and so do those past
    ``offset_km + flat_beyond_km`` (the API's ``geoDecay``). Ties go by id,
    which the sites carry, rather than NCT ID, which only the trials do: a
    dense city's thousands of trials at its centre need not all be read.
    """
    if points.used():
        sql, params = points.nearest(circle, recruiting_first, offset_km, flat_beyond_km)
        nearest = CTE(raw_cte_sql(sql, params, _FIELDS), name=_NEAREST)
        trials = _joined(queryset, circle, nearest)
        # How ``page`` reads a page of them ring by ring, rather than all the circle's trials sorted.
        # With the filters it holds: a filter added later, which the rings would not see, turns them off.
        rings = _Rings(queryset, circle, recruiting_first, offset_km, flat_beyond_km, trials.query.where.clone())
        trials.query.nearest_rings = rings
        return trials
    half = circle.half()
    if recruiting_first:
        penalty = Case(
            When(status=choices.RecruitmentStatus.RECRUITING, then=Value(0.0)),
            default=Value(NOT_RECRUITING),
            output_field=FloatField(),
        )
        least = Min(half + penalty)
        chosen = F("least") - Case(
            When(least__gte=NOT_RECRUITING, then=Value(NOT_RECRUITING)), default=Value(0.0), output_field=FloatField()
        )
    else:
        least = Min(half)
        chosen = F("least")
    # The haversine orders as the distance does: the distance itself only where geoDecay bends it.
    key = F("chosen")
    if offset_km or flat_beyond_km is not None:
        key = circle.km_from_half(key)
    if offset_km:
        key = Greatest(key - Value(offset_km), Value(0.0))
    if flat_beyond_km is not None:
        key = Least(key, Value(flat_beyond_km))
    nearest = CTE(
        Site.objects.filter(circle.within())
        .order_by()
        .values("trial_id")
        .annotate(least=least)
        .annotate(chosen=chosen)
        .annotate(rank=key)
        # Sorted here, the join reads trials in this order and stops when a page is full.
        .order_by("rank", "trial_id"),
        name=_NEAREST,
    )
    return _joined(queryset, circle, nearest)


def _joined(queryset: QuerySet, circle: Circle, nearest: CTE) -> QuerySet:
    """The trials of ``queryset`` in ``nearest``'s order, with their nearest site's distance."""
    trials = with_cte(nearest, select=nearest.join(queryset, pk=nearest.col.trial_id))
    # Measured for the rows read only, not for every trial in the circle.
    return trials.annotate(**{NEAREST_KM: circle.km_from_half(nearest.col.chosen)}).order_by(
        nearest.col.rank.asc(), nearest.col.trial_id.asc()
    )


@dataclass(frozen=True)
class _Rings:
    """A distance ordering's page, read ring by ring from the centre (PostgreSQL, ``points.rings``).

    Each ring's trials come after those of the rings before it, so a page's
    trials are found in the first rings, nearest first, and the rest of the
    circle is not read: a dense city's page reads a page's worth of its trials,
    not all of them grouped and sorted.
    """

    trials: QuerySet
    circle: Circle
    recruiting_first: bool
    offset_km: float
    flat_beyond_km: float | None
    # The ordered queryset's filters, as ``order_by_distance`` made them.
    where: WhereNode

    def rank(self, half: float) -> float:
        if not self.offset_km and self.flat_beyond_km is None:
            return half
        km = 2 * EARTH_RADIUS_KM * math.asin(min(math.sqrt(half), 1.0))
        km = max(km - self.offset_km, 0.0)
        return km if self.flat_beyond_km is None else min(km, self.flat_beyond_km)

    def rows(self, stop: int) -> list[tuple[int, float]]:
        """The first ``stop`` trials in the order: (trial id, ``chosen``)."""
        found: list[tuple[int, float]] = []
        for ring in points.rings(self.circle, stop, self.rank):
            # A few sites are read whatever the join; a dense ring's, only as far as the page.
            with points.nested_loops() if ring.sites >= points.DENSE_POINT_SITES else nullcontext():
                found += self._ring_rows(ring, stop - len(found))
            if len(found) >= stop:
                break
        return found

    def _ring_rows(self, ring: points.Ring, wanted: int) -> list[tuple[int, float]]:
        sql, params = points.ring_sql(ring, self.recruiting_first, self.offset_km, self.flat_beyond_km)
        nearest = CTE(raw_cte_sql(sql, params, _FIELDS), name=_NEAREST)
        trials = with_cte(nearest, select=nearest.join(self.trials, pk=nearest.col.trial_id))
        first, first_params = points.first_in_ring_sql(
            self.circle, ring, self.recruiting_first, f'"{self.trials.model._meta.db_table}"."id"', _NEAREST
        )
        if first != "true":
            trials = trials.filter(RawSQL(first, first_params, output_field=BooleanField()))
        order = [nearest.col.trial_id] if ring.one_point else [nearest.col.rank, nearest.col.trial_id]
        trials = trials.annotate(nearest_chosen=nearest.col.chosen).order_by(*order)
        return list(trials.values_list("pk", "nearest_chosen")[:wanted])


def page(trials: QuerySet, start: int, stop: int) -> list:
    """``trials[start:stop]`` as a list, for ``trials`` ordered by ``order_by_distance`` or any other queryset.

    Ordered by distance on PostgreSQL, the page's trials are found ring by
    ring (``_Rings``), then read as ``trials`` reads them, by the page's ids.
    """
    rings = trials.query.__dict__.get("nearest_rings")
    # Filtered after its ordering (the clone of a query keeps its attributes), ``trials`` is read whole.
    if rings is None or stop <= start or stop > RINGS_UP_TO or trials.query.where != rings.where:
        return list(trials[start:stop])
    rows = rings.rows(stop)[start:stop]
    if not rows:
        return []
    if trials._iterable_class is FlatValuesListIterable and trials._fields in (("pk",), ("id",)):
        return [pk for pk, _ in rows]  # the ids alone: known already
    # The page's rows alone, in their order (their position is their rank), as the ordering's relation.
    values = ", ".join(["(%s::integer, %s::float8, %s::float8, true)"] * len(rows))
    params = [value for position, (pk, chosen) in enumerate(rows) for value in (pk, chosen, float(position))]
    listed = CTE(
        raw_cte_sql(f"SELECT * FROM (VALUES {values}) AS listed(trial_id, chosen, rank, recruiting)", params, _FIELDS),
        name=_NEAREST,
    )
    chosen = trials._chain()
    chosen.query._with_ctes = tuple(listed if cte.name == _NEAREST else cte for cte in chosen.query._with_ctes)
    del chosen.query.nearest_rings
    return list(chosen)


@dataclass(frozen=True)
class NearestSite:
    facility: str
    city: str
    km: float

    @property
    def label(self) -> str:
        where = ", ".join(part for part in (self.facility, self.city) if part)
        return f"{where} — {self.distance}"

    @property
    def distance(self) -> str:
        return format_km(self.km)


def nearest_sites(circle: Circle, trial_ids: list[int]) -> dict[int, NearestSite]:
    """Trial id → its nearest site within ``circle`` (recruiting first): one query for a page of trials.

    The page's trials' sites are read by trial and measured here: a page has
    a few hundred, where the circle of a dense city has millions.
    """
    rows = (
        Site.objects.filter(trial_id__in=trial_ids, latitude__isnull=False, longitude__isnull=False)
        .order_by()
        .values_list("trial_id", "id", "facility", "city", "status", "latitude", "longitude")
    )
    best: dict[int, tuple] = {}
    for trial_id, site_id, facility, city, status, lat, lon in rows:
        km = haversine_km(circle.lat, circle.lon, lat, lon)
        if km > circle.km:
            continue
        key = (status != choices.RecruitmentStatus.RECRUITING, km, site_id)
        if trial_id not in best or key < best[trial_id][0]:
            best[trial_id] = (key, NearestSite(facility, city, km))
    return {trial_id: site for trial_id, (_, site) in best.items()}
