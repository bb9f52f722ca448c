"""Term matching by area: the API's ``query.term``, ``query.cond``, ``query.intr``, ...

Each area turns one term into a ``Q`` over the trial and its children
(``AREAS``); ``match`` combines a query's terms and alternatives with them.
The simple backend's search is the ``term`` area; on PostgreSQL the API's
``term`` goes to full-text search instead (``search.match_area``).

``tokens`` says whether the trials carry facet tokens (PostgreSQL): a
condition is then matched on its tokens rather than through a join.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from .. import facets
from ..models import Condition, Identifier, Intervention, Site, Sponsor, TrialCondition
from .index import MAX_TOKENS
from .query import nct_id_from_token, parse_query


def _exists(model, **lookup) -> Exists:
    return Exists(model.objects.filter(trial=OuterRef("pk"), **lookup))


def condition_area(term: str, tokens: bool = False) -> Q:
    # Through the small table of condition names (and its trigram index),
    # then the trials' facet tokens where there are some.
    matching = Condition.objects.filter(name__icontains=term)
    if tokens:
        ids = list(matching.values_list("id", flat=True)[: MAX_TOKENS + 1])
        if len(ids) <= MAX_TOKENS:
            return Q(facet_tokens__any=facets.tokens(facets.CONDITION, ids)) if ids else Q(pk__in=[])
    return Q(_exists(TrialCondition, condition__in=matching))


def intervention_area(term: str, tokens: bool = False) -> Q:
    return (
        Q(_exists(Intervention, name__icontains=term))
        | Q(_exists(Intervention, other_names__icontains=term))
        | Q(_exists(Intervention, description__icontains=term))
    )


def location_area(term: str, tokens: bool = False) -> Q:
    return (
        Q(_exists(Site, city__icontains=term))
        | Q(_exists(Site, state__icontains=term))
        | Q(_exists(Site, country__icontains=term))
        | Q(_exists(Site, facility__icontains=term))
        | Q(_exists(Site, zip__iexact=term))
    )


def sponsor_area(term: str, tokens: bool = False) -> Q:
    return Q(_exists(Sponsor, name__icontains=term))


def basic_area(term: str, tokens: bool = False) -> Q:
    canonical = nct_id_from_token(term)
    if canonical:
        return Q(nct_id=canonical)
    return (
        Q(brief_title__icontains=term)
        | Q(official_title__icontains=term)
        | Q(acronym__icontains=term)
        | Q(brief_summary__icontains=term)
        | Q(detailed_description__icontains=term)
        | condition_area(term, tokens)
        | intervention_area(term)
        | sponsor_area(term)
        | Q(_exists(Identifier, identifier__iexact=term))
    )


AREAS: dict[str, Callable[[str, bool], Q]] = {
    "term": basic_area,
    "cond": condition_area,
    "intr": intervention_area,
    "locn": location_area,
    "spons": sponsor_area,
}


def match(queryset: QuerySet, text: str, area: str = "term", strict: bool = True, *, tokens: bool = False) -> QuerySet:
    """Trials of ``queryset`` matching ``text`` in ``area`` (see ``AREAS``)."""
    return queryset.filter(match_q(text, area, strict, tokens=tokens))


def match_q(text: str, area: str = "term", strict: bool = True, *, tokens: bool = False) -> Q:
    """What ``match`` asks of a trial, as a ``Q`` (everything for a text without terms)."""
    alternatives = parse_query(text, strict)
    if not alternatives:
        return Q()
    builder = AREAS[area]
    combined = Q()
    for terms in alternatives:
        group = Q()
        for term, negated in terms:
            group &= ~builder(term, tokens) if negated else builder(term, tokens)
        combined |= group
    return combined


def count_condition_area(text: str) -> int | None:
    """How many trials ``match(..., text, "cond")`` finds, counted from the conditions' index.

    Only for one plain term (None otherwise): the trials of the conditions
    named like it, read from the (condition, trial) index without the trials.
    """
    alternatives = parse_query(text)
    if len(alternatives) != 1 or len(alternatives[0]) != 1 or alternatives[0][0][1]:
        return None
    term = alternatives[0][0][0]
    matching = Condition.objects.filter(name__icontains=term)
    # count(DISTINCT ...) sorts the trial ids it reads; a DISTINCT subquery hashed them, three times slower.
    return TrialCondition.objects.filter(condition__in=matching).aggregate(trials=Count("trial", distinct=True))[
        "trials"
    ]
