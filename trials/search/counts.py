"""Exact counts of the trials a condition query selects, read from the link tables' indexes alone (PostgreSQL).

The API's ``query.cond`` widens a phrase naming a descriptor to the trials
filed under it and every term beneath it (``expand.read``): for "diabetes",
the facet tokens of a hundred conditions and of the Diabetes Mellitus
descriptor, which a third of the trials carry. Counted through the trials'
GIN index, each match's row is visited (0.6 s for 183,000 of 600,000
trials). The same tokens are rows of two narrow tables, indexed by
(condition, trial) and (descriptor, trial): ``count_linked`` counts the
distinct trials of those rows from the indexes, without the trials.

It reads the ``Q`` the search itself built, so it counts exactly what paging
returns; a ``Q`` asking for anything else (another kind of token, an
exclusion, a join) is not counted here (None).
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Q

from .. import facets

# Rows a leaf's tokens stand for: the trials linked to these conditions, and those filed under these descriptors.
_BY_CONDITION = "SELECT trial_id FROM trials_trialcondition WHERE condition_id = ANY(%s::bigint[])"
_BY_DESCRIPTOR = "SELECT trial_id FROM trials_meshterm WHERE mesh_id = ANY(%s::text[])"
_CONDITION_PREFIX = f"{facets.CONDITION}:".upper()
_MESH_PREFIX = f"{facets.MESH}:".upper()


class _NotLinked(Exception):
    """The ``Q`` asks for something other than condition and descriptor tokens."""


Rows = tuple[str, list]  # SQL giving trial ids (some more than once), and its parameters


def _leaf(lookup: str, value: object) -> Rows | None:
    """The rows of one ``facet_tokens__any`` leaf (or an empty ``pk__in``); None when it selects nothing."""
    if lookup == "pk__in" and not value:
        return None
    if lookup != "facet_tokens__any" or not isinstance(value, list | tuple):
        raise _NotLinked
    conditions: set[int] = set()
    descriptors: set[str] = set()
    for token in value:
        # Matched in upper case (``fields.AnyToken``), as the tokens are stored.
        token = str(token).upper()
        if token.startswith(_CONDITION_PREFIX) and token[len(_CONDITION_PREFIX) :].isdigit():
            conditions.add(int(token[len(_CONDITION_PREFIX) :]))
        elif token.startswith(_MESH_PREFIX):
            descriptors.add(token[len(_MESH_PREFIX) :])
        else:
            raise _NotLinked
    parts = []
    if conditions:
        parts.append((_BY_CONDITION, [sorted(conditions)]))
    if descriptors:
        parts.append((_BY_DESCRIPTOR, [sorted(descriptors)]))
    return _joined(" UNION ALL ", parts) if parts else None


def _joined(operator: str, parts: list[Rows], wrap: bool = False) -> Rows:
    sql = operator.join(f"({part})" if wrap else part for part, _ in parts)
    return sql, [param for _, params in parts for param in params]


def _rows(q: Q) -> Rows | None:
    """The rows of the trials ``q`` selects; None when it selects none.

    Alternatives are a ``UNION ALL``, conditions that must all hold an ``INTERSECT``, and
    excluded ones (``-term``) an ``EXCEPT`` from what the others select.
    """
    if q.negated or not q.children:
        # An exclusion alone needs every trial; an empty Q selects them all.
        raise _NotLinked
    parts: list[Rows] = []
    excluded: list[Rows] = []
    for child in q.children:
        if isinstance(child, Q) and child.negated and q.connector == Q.AND:
            part = _rows(Q(*child.children, _connector=child.connector))
            if part is not None:
                excluded.append(part)
            continue
        if isinstance(child, Q):
            part = _rows(child)
        elif isinstance(child, tuple) and len(child) == 2:
            part = _leaf(*child)
        else:
            raise _NotLinked
        if part is None and q.connector == Q.AND:
            return None
        if part is not None:
            parts.append(part)
    if not parts:
        if excluded:
            raise _NotLinked
        return None
    if q.connector == Q.OR:
        return _joined(" UNION ALL ", parts)
    # Parenthesised whole: EXCEPT binds no tighter than the UNION ALL of an alternative around it.
    sql, params = _joined(" EXCEPT ", [_joined(" INTERSECT ", parts, wrap=True), *excluded], wrap=True)
    return f"({sql})", params


def count_linked(q: Q) -> int | None:
    """How many trials ``q`` selects, when it asks only for condition and descriptor tokens; None otherwise.

    Distinct trials are counted by sorting their ids (``count(DISTINCT)``):
    cheaper than hashing them into a ``UNION``.
    """
    if connection.vendor != "postgresql":
        return None
    try:
        rows = _rows(q)
    except _NotLinked:
        return None
    if rows is None:
        return 0
    sql, params = rows
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(DISTINCT trial_id) FROM ({sql}) AS linked", params)
        return cursor.fetchone()[0]
