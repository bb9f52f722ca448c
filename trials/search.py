"""Text queries over trials: the query syntax and where each area looks.

A query is terms and "quoted phrases", all of which must match (``AND`` is
implied), with ``OR`` between alternatives and ``-term`` or ``NOT term`` to
exclude. Each search area (conditions, interventions, locations, or every
text of a record) names the fields it looks in; matching is
case-insensitive and returns a QuerySet, so filters, ordering and
pagination compose with it.
"""

from __future__ import annotations

import re
import shlex

from django.db.models import Exists, OuterRef, Q, QuerySet

from .models import Identifier, Intervention, Site, Sponsor, TrialCondition

NCT_TOKEN = re.compile(r"^[Nn][Cc][Tt]0*([1-9]\d{0,7})$")


class QuerySyntaxError(ValueError):
    pass


def _exists(model, **lookup) -> Exists:
    return Exists(model.objects.filter(trial=OuterRef("pk"), **lookup))


def _condition_area(term: str) -> Q:
    return Q(_exists(TrialCondition, condition__name__icontains=term)) | Q(keywords__icontains=term)


def _intervention_area(term: str) -> Q:
    return (
        Q(_exists(Intervention, name__icontains=term))
        | Q(_exists(Intervention, other_names__icontains=term))
        | Q(_exists(Intervention, description__icontains=term))
    )


def _location_area(term: str) -> Q:
    return (
        Q(_exists(Site, city__icontains=term))
        | Q(_exists(Site, state__icontains=term))
        | Q(_exists(Site, country__icontains=term))
        | Q(_exists(Site, facility__icontains=term))
        | Q(_exists(Site, zip__iexact=term))
    )


def _sponsor_area(term: str) -> Q:
    return Q(_exists(Sponsor, name__icontains=term))


def _basic_area(term: str) -> Q:
    canonical = nct_id_from_token(term)
    if canonical:
        return Q(nct_id=canonical)
    return (
        Q(brief_title__icontains=term)
        | Q(official_title__icontains=term)
        | Q(acronym__icontains=term)
        | Q(brief_summary__icontains=term)
        | Q(detailed_description__icontains=term)
        | _condition_area(term)
        | _intervention_area(term)
        | _sponsor_area(term)
        | Q(_exists(Identifier, identifier__iexact=term))
    )


AREAS = {
    "term": _basic_area,
    "cond": _condition_area,
    "intr": _intervention_area,
    "locn": _location_area,
    "spons": _sponsor_area,
}


def nct_id_from_token(token: str) -> str | None:
    """``nct4133233`` → ``NCT04133233``; None when the token is not an NCT ID."""
    match = NCT_TOKEN.match(token.strip())
    return f"NCT{int(match.group(1)):08d}" if match else None


def only_nct_ids(text: str) -> list[str] | None:
    """The NCT IDs when ``text`` holds nothing else (comma- or space-separated)."""
    tokens = [token for token in re.split(r"[\s,]+", text.strip()) if token]
    ids = [nct_id_from_token(token) for token in tokens]
    return ids if tokens and all(ids) else None


def parse_query(text: str) -> list[list[tuple[str, bool]]]:
    """Alternatives (split on OR), each a list of (term, negated)."""
    try:
        tokens = shlex.split(text, posix=True)
    except ValueError as error:
        raise QuerySyntaxError(f"unbalanced quotes ({error})") from None
    alternatives: list[list[tuple[str, bool]]] = [[]]
    negate = False
    for token in tokens:
        if token == "OR":
            alternatives.append([])
        elif token == "AND":
            continue
        elif token == "NOT":
            negate = True
        else:
            if token.startswith("-") and len(token) > 1:
                token, negate = token[1:], True
            token = token.strip("()")
            if token:
                alternatives[-1].append((token, negate))
            negate = False
    alternatives = [terms for terms in alternatives if terms]
    if len(text.strip()) and not alternatives:
        raise QuerySyntaxError("the query has no terms")
    return alternatives


def match(queryset: QuerySet, text: str, area: str = "term") -> QuerySet:
    """Trials of ``queryset`` matching ``text`` in ``area`` (see ``AREAS``)."""
    alternatives = parse_query(text)
    if not alternatives:
        return queryset
    builder = AREAS[area]
    combined = Q()
    for terms in alternatives:
        group = Q()
        for term, negated in terms:
            group &= ~builder(term) if negated else builder(term)
        combined |= group
    return queryset.filter(combined)
