"""``filter.advanced`` / ``postFilter.advanced``: an Essie expression as a ``Q`` on trials.

The pieces ``AREA[...]`` names are the registry's piece names of the
elements we hold, derived from the one mapping (``ctgov.mapping``) with the
names ``fields`` takes (``fields.piece_name``), plus the search areas
(``search.areas``: ``ConditionSearch``, ``BasicSearch``...). A list's
piece also answers to its singular, as the registry names them (``Phase``,
``Condition``, ``Keyword``).

How a term matches depends on the piece's kind: text contains the words
(``COVERAGE[...]`` makes that whole, start or end), an enumeration or code
list is the code (``RECRUITING``, ``not yet recruiting``), a date is the day,
month or year it names, a number or yes/no is that value, an age compares in
years. ``RANGE[from, to]`` takes dates (``2025-06-01``, ``2025-06``,
``2025``, ``06/01/2025``), numbers, ages (``16 years``) and ``MIN``/``MAX``.
A piece of a trial's list (``LocationCity``) matches when one of its rows
does; ``SEARCH[Location](...)`` asks the whole expression of one site row.
A bare term is a full-text search (the list page's); ``EXPANSION[Concept]``
widens it by the MeSH descriptor its words name, ``Relaxation`` and ``Lossy``
loosen a phrase into all or any of its words.
"""

from __future__ import annotations

import datetime
import functools
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models as django_models
from django.db.models import Exists, OuterRef, Q

from .. import models, search
from ..ctgov.mapping import CHILD_LISTS, PARTIAL_DATES, RECORD_LISTS, TRIAL_ELEMENTS
from ..fields import CodeListField
from ..models import Site, Trial
from ..search.areas import SEARCH_AREAS
from ..search.expand import natural_name
from ..search.words import lookup_q
from ..values import parse_age
from .essie import AllOf, AnyOf, EssieError, Missing, Node, Not, Range, Scoped, Text, parse
from .fields import piece_name


class AdvancedError(ValueError):
    pass


@dataclass(frozen=True)
class Piece:
    """A piece we can filter on: its column (``lookup``) on ``model``, and how a term matches it.

    Kinds: ``text``, ``json`` (a JSON list of strings), ``enum``, ``codes``
    (``CodeListField``), ``date``, ``int``, ``float``, ``bool``, ``age`` (text
    with its value in years beside it), ``area`` (a search area, ``build``).
    ``where`` picks the rows of a child table that hold the piece.
    """

    name: str
    kind: str
    model: type[django_models.Model] = Trial
    lookup: str = ""
    where: dict[str, Any] = field(default_factory=dict)
    build: Callable[[str, bool], Q] | None = None

    def rows(self, row_q: Q) -> Q:
        """A trial has a row matching ``row_q`` (the trial itself, for its own columns)."""
        if self.model is Trial:
            return row_q
        return Q(Exists(self.model.objects.filter(trial=OuterRef("pk"), **self.where).filter(row_q)))


def _kind(model: type[django_models.Model], name: str, kind: str) -> str | None:
    try:
        column = model._meta.get_field(name)
    except FieldDoesNotExist:  # a record attribute the export writes, not a column
        return None
    if isinstance(column, CodeListField):
        return "codes"
    if kind == "list":
        return "json"
    if kind == "text" and column.choices:
        return "enum"
    if kind == "text" and any(other.name == f"{name}_years" for other in model._meta.get_fields()):
        return "age"
    return kind


def _candidates() -> list[tuple[str, Piece]]:
    """(JSON path, piece) for every element held in a column."""
    found: list[tuple[str, Piece]] = []
    for element in TRIAL_ELEMENTS:
        kind = _kind(Trial, element.field, element.kind)
        if kind:
            found.append((element.path, Piece("", kind, Trial, element.field)))
    for date in PARTIAL_DATES:
        found.append((f"{date.path}.date", Piece("", "date", Trial, f"{date.name}_date")))
        found.append((f"{date.path}.type", Piece("", "enum", Trial, f"{date.name}_date_type")))
    for element in RECORD_LISTS:  # the conditions, through their names' table
        found.append((element.path, Piece("", "text", models.TrialCondition, "condition__name")))
    for child in CHILD_LISTS:
        model = getattr(models, child.record.__name__.removesuffix("Record"))
        where = dict(child.fixed)
        prefix = child.path
        if child.within:
            outer = next(other for other in CHILD_LISTS if other.attribute == child.within)
            prefix = f"{outer.path}.{child.path}"
            where[f"{child.within.removesuffix('s')}__isnull"] = False
        for element in child.elements:
            kind = _kind(model, element.field, element.kind)
            if kind:
                found.append((f"{prefix}.{element.path}", Piece("", kind, model, element.field, where)))
    return found


def _pieces() -> dict[str, Piece]:
    """Lower-cased piece name → piece; a name that would mean two places is left out, as ``fields`` does."""
    named: dict[str, list[Piece]] = {}
    lists: set[str] = set()
    # A list's own key (Conditions, NCTIdAliases), which ``fields`` takes too.
    plurals: dict[str, Piece] = {}
    for path, piece in _candidates():
        parts = path.split(".")
        name = piece_name(parts)
        named.setdefault(name, []).append(Piece(name, piece.kind, piece.model, piece.lookup, piece.where))
        if piece.kind in ("json", "codes") or piece.model is models.TrialCondition:
            lists.add(name)
        if (plural := piece_name(parts, plural=True)) != name:
            plurals[plural.lower()] = Piece(plural, piece.kind, piece.model, piece.lookup, piece.where)
    pieces = {name.lower(): found[0] for name, found in named.items() if len(found) == 1}
    for key, piece in plurals.items():
        pieces.setdefault(key, piece)
    # The registry names a list by its singular: Phase, Condition, Keyword, StdAge.
    for name, found in named.items():
        singular = name.removesuffix("s")
        if name in lists and len(found) == 1 and singular != name and singular.lower() not in pieces:
            pieces[singular.lower()] = Piece(singular, found[0].kind, found[0].model, found[0].lookup, found[0].where)
    for area in SEARCH_AREAS:
        pieces.setdefault(area.name.lower(), Piece(area.name, "area", build=area.q))
    return pieces


PIECES: dict[str, Piece] = _pieces()
# The areas whose bare terms are widened as their query.* parameter is (conditions, interventions, locations).
_WIDENED_AREAS = {area.name: area.key for area in SEARCH_AREAS if area.key in ("cond", "intr", "locn")}
# What a bare term inside ``SEARCH[Location](...)`` searches on the site row.
_LOCATION_TEXT = ("LocationFacility", "LocationCity", "LocationState", "LocationZip", "LocationCountry")
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_TRUE, _FALSE = {"true", "yes", "y"}, {"false", "no", "n"}
MAX_NUMBER = 2**31 - 1


@dataclass(frozen=True)
class _Scope:
    piece: Piece | None = None
    expansion: str = ""
    coverage: str = "Contains"
    # Inside SEARCH[Location]: the site row every piece must be on.
    row_model: type[django_models.Model] | None = None


def _period(text: str, position: int, piece: Piece) -> tuple[datetime.date, datetime.date]:
    """The first and last day of the year, month or day ``text`` names."""
    text = text.strip()
    match = _DATE.match(text)
    us = _US_DATE.match(text)
    try:
        if us:
            day = datetime.date(int(us.group(3)), int(us.group(1)), int(us.group(2)))
            return day, day
        if match:
            year, month, day = (int(part) if part else None for part in match.groups())
            if day is not None:
                exact = datetime.date(year, month, day)
                return exact, exact
            if month is not None:
                first = datetime.date(year, month, 1)
                following = datetime.date(year + (month == 12), month % 12 + 1, 1)
                return first, following - datetime.timedelta(days=1)
            return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    except ValueError:
        pass
    raise AdvancedError(
        f"{text!r} at position {position} is not a date for {piece.name} (e.g. 2025-06-01, 2025-06, 2025)"
    )


def _number(text: str, position: int, piece: Piece) -> float:
    if piece.kind == "age":
        try:
            _, years = parse_age(text)
        except ValueError:
            years = None
        if years is None:
            raise AdvancedError(f"{text!r} at position {position} is not an age for {piece.name} (e.g. 16 years)")
        return years
    try:
        number = float(text.strip())
    except ValueError:
        number = float("nan")
    if number != number or number in (float("inf"), float("-inf")):
        raise AdvancedError(f"{text!r} at position {position} is not a number for {piece.name}")
    if piece.kind == "int" and not number.is_integer():
        raise AdvancedError(f"{text!r} at position {position} is not a whole number for {piece.name}")
    if abs(number) > MAX_NUMBER:  # past what the columns hold (PostgreSQL's integer)
        raise AdvancedError(f"{text!r} at position {position} is out of range for {piece.name}")
    return int(number) if piece.kind == "int" else number


def _code(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip()).upper()


def _codes_q(lookup: str, code: str) -> Q:
    # Codes stored "A,B": one of them, never a code inside another (PHASE1 in EARLY_PHASE1).
    return (
        Q(**{lookup: code})
        | Q(**{f"{lookup}__startswith": f"{code},"})
        | Q(**{f"{lookup}__endswith": f",{code}"})
        | Q(**{f"{lookup}__contains": f",{code},"})
    )


_COVERAGE_LOOKUPS = {
    "Contains": "icontains",
    "FullMatch": "iexact",
    "StartsWith": "istartswith",
    "EndsWith": "iendswith",
}


def _row_term_q(piece: Piece, text: str, scope: _Scope, position: int) -> Q:
    """``text`` matched on a row of ``piece.model``."""
    lookup = piece.lookup
    if piece.kind in ("text", "age"):
        # Contains (the default) finds the text as words, not inside other words (``words.lookup_q``).
        return lookup_q(f"{lookup}__{_COVERAGE_LOOKUPS[scope.coverage]}", text)
    if piece.kind == "json":
        return Q(**{f"{lookup}__icontains": text})
    if piece.kind == "enum":
        return Q(**{f"{lookup}__iexact": _code(text)})
    if piece.kind == "codes":
        return _codes_q(lookup, _code(text))
    if piece.kind == "date":
        first, last = _period(text, position, piece)
        return Q(**{f"{lookup}__gte": first, f"{lookup}__lte": last})
    if piece.kind in ("int", "float"):
        return Q(**{lookup: _number(text, position, piece)})
    if piece.kind == "bool":
        value = text.strip().lower()
        if value not in _TRUE | _FALSE:
            raise AdvancedError(f"{text!r} at position {position} is not true or false for {piece.name}")
        return Q(**{lookup: value in _TRUE})
    raise AdvancedError(f"{piece.name} at position {position} cannot be matched here")


def _words(text: str, scope: _Scope, phrase: bool) -> list[list[str]]:
    """Alternatives of words that must all match: the expansion's reading of a term."""
    if phrase and scope.expansion == "Relaxation":
        return [text.split()]
    if phrase and scope.expansion == "Lossy":
        return [[word] for word in text.split()]
    return [[text]]


def _concept(text: str, scope: _Scope) -> list[str]:
    """The term, and with ``EXPANSION[Concept]`` the natural name of the MeSH descriptor it names."""
    if scope.expansion != "Concept":
        return [text]
    descriptor = search.vocabulary.lookup(text)
    if descriptor is None:
        return [text]
    return [text, natural_name(descriptor.name)]


def _any(qs: list[Q]) -> Q:
    return functools.reduce(operator.or_, qs)


def _all(qs: list[Q]) -> Q:
    return functools.reduce(operator.and_, qs)


class _Builder:
    def __init__(self, tokens: bool):
        self.backend = search.backend()
        self.tokens = tokens

    def piece(self, name: str, position: int, scope: _Scope) -> Piece:
        piece = PIECES.get(name.lower())
        if piece is None:
            raise AdvancedError(f"unknown area {name!r} at position {position}")
        if scope.row_model is not None and piece.model is not scope.row_model:
            raise AdvancedError(f"area {piece.name!r} at position {position} is not a piece of a location")
        return piece

    def q(self, node: Node, scope: _Scope) -> Q:
        if isinstance(node, AllOf):
            return _all([self.q(child, scope) for child in node.children])
        if isinstance(node, AnyOf):
            return _any([self.q(child, scope) for child in node.children])
        if isinstance(node, Not):
            return ~self.q(node.child, scope)
        if isinstance(node, Scoped):
            return self.scoped(node, scope)
        if isinstance(node, Missing):
            return self.missing(self.piece(node.area, node.position, scope), node.position, scope)
        if isinstance(node, Range):
            return self.range(self.piece(node.area, node.area_position, scope), node, scope)
        return self.text(node, scope)

    def scoped(self, node: Scoped, scope: _Scope) -> Q:
        if node.kind == "area":
            return self.q(node.child, _Scope(self.piece(node.value, node.position, scope), **self._keep(scope)))
        if node.kind == "expansion":
            return self.q(node.child, _Scope(scope.piece, node.value, scope.coverage, scope.row_model))
        if node.kind == "coverage":
            return self.q(node.child, _Scope(scope.piece, scope.expansion, node.value, scope.row_model))
        if scope.row_model is not None:
            raise AdvancedError(f"SEARCH at position {node.position} inside another SEARCH")
        # SEARCH[Location]: every piece on one site row.
        row_q = self.q(node.child, _Scope(None, scope.expansion, scope.coverage, Site))
        return Q(Exists(Site.objects.filter(trial=OuterRef("pk")).filter(row_q)))

    @staticmethod
    def _keep(scope: _Scope) -> dict[str, Any]:
        return {"expansion": scope.expansion, "coverage": scope.coverage, "row_model": scope.row_model}

    def text(self, node: Text, scope: _Scope) -> Q:
        if not node.text:
            raise AdvancedError(f"empty phrase at position {node.position}")
        piece = scope.piece
        if piece is None and scope.row_model is not None:
            text_pieces = [PIECES[name.lower()] for name in _LOCATION_TEXT]
            return _any(
                [
                    _all([self.text_on(p, word, scope, node.position) for word in words])
                    for words in _words(node.text, scope, node.phrase)
                    for p in text_pieces
                ]
            )
        if piece is None:
            # Full text, as the list page searches; Concept adds the descriptor the words name.
            quoted = f'"{node.text}"' if node.phrase and scope.expansion not in ("Relaxation", "Lossy") else node.text
            if scope.expansion == "Lossy" and node.phrase:
                quoted = " OR ".join(node.text.split())
            if scope.expansion == "Concept":
                return search.read(quoted, self.backend).q
            return self.backend.text_q(quoted)
        if piece.kind == "area" and scope.expansion != "Term" and piece.name in _WIDENED_AREAS:
            # Synonyms are in every expansion but Term: the area widened as its query.* parameter is.
            text = f'"{node.text}"' if node.phrase else node.text
            return search.widened_area_q(text, _WIDENED_AREAS[piece.name])
        if piece.kind == "area":
            return _any([piece.build(text, self.tokens) for text in _concept(node.text, scope)])
        return _any(
            [
                _all([self.text_on(piece, word, scope, node.position) for word in words])
                for text in _concept(node.text, scope)
                for words in _words(text, scope, node.phrase)
            ]
        )

    def text_on(self, piece: Piece, text: str, scope: _Scope, position: int) -> Q:
        row_q = _row_term_q(piece, text, scope, position)
        return row_q if scope.row_model is not None else piece.rows(row_q)

    def missing(self, piece: Piece, position: int, scope: _Scope) -> Q:
        if piece.kind == "area":
            raise AdvancedError(f"MISSING does not apply to the search area {piece.name} at position {position}")
        lookup = piece.lookup
        empty = Q(**{f"{lookup}__isnull": True})
        if piece.kind in ("text", "age", "enum", "codes"):
            empty |= Q(**{lookup: ""})
        elif piece.kind == "json":
            empty |= Q(**{lookup: []})
        if scope.row_model is not None or piece.model is Trial:
            return empty
        # A list's piece is missing when no row of the list holds it.
        return ~piece.rows(~empty)

    def range(self, piece: Piece, node: Range, scope: _Scope) -> Q:
        if piece.kind in ("date",):
            low = _period(node.low, node.position, piece)[0] if node.low is not None else None
            high = _period(node.high, node.position, piece)[1] if node.high is not None else None
        elif piece.kind in ("int", "float", "age"):
            low = _number(node.low, node.position, piece) if node.low is not None else None
            high = _number(node.high, node.position, piece) if node.high is not None else None
        elif piece.kind in ("text", "enum"):
            low, high = node.low, node.high  # compared as text: statusVerifiedDate "2024-05"
        else:
            raise AdvancedError(f"RANGE does not apply to {piece.name} at position {node.position}")
        lookup = f"{piece.lookup}_years" if piece.kind == "age" else piece.lookup
        row_q = Q(**{f"{lookup}__isnull": False})
        if low is not None:
            row_q &= Q(**{f"{lookup}__gte": low})
        if high is not None:
            row_q &= Q(**{f"{lookup}__lte": high})
        return row_q if scope.row_model is not None else piece.rows(row_q)


# What makes a ``query.*`` text an Essie expression rather than words for the area's search.
_OPERATORS = re.compile(r"\b(AREA|SEARCH|EXPANSION|COVERAGE)\[")


def is_expression(text: str) -> bool:
    """Whether a query names pieces or operators (``AREA[Phase]PHASE3``), which only the expression reader takes."""
    return bool(_OPERATORS.search(text))


def advanced_q(text: str, tokens: bool = False) -> Q:
    """The trials an Essie expression selects; ``AdvancedError`` names what is wrong and where."""
    try:
        tree = parse(text)
    except EssieError as error:
        raise AdvancedError(str(error)) from None
    return _Builder(tokens).q(tree, _Scope())
