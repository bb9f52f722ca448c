"""``/stats/field/values``: how the studies on file spread over the values of a field.

Offered for the enumerations and yes/no elements stored on the trial row
(``metadata.LEAVES``), one grouped count per field; free text, dates,
numbers and the elements of a trial's lists are not summarised here, and
asking for them is a 400 that says so.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from ..models import Trial
from .fields import FIELD_PATHS, UnknownFields, piece_name
from .metadata import LEAVES, Leaf
from .params import STATS_TYPES, BadRequest

OFFERED_TYPES = ("ENUM", "BOOLEAN")


def _stats_type(leaf: Leaf) -> str:
    return "ENUM" if leaf.enum is not None else "BOOLEAN"


# The elements with value statistics: scalar enumerations and yes/no elements of the trial row.
STATS_LEAVES: dict[str, Leaf] = {
    leaf.path: leaf for leaf in LEAVES if leaf.column and leaf.kind != "list" and (leaf.enum or leaf.kind == "bool")
}


def selected_leaves(names: list[str], types: list[str]) -> list[Leaf]:
    """The elements these ``fields`` and ``types`` ask for, in the mapping's order."""
    unknown_types = [name for name in types if name not in STATS_TYPES]
    if unknown_types:
        raise BadRequest("types", f"unknown type {', '.join(unknown_types)}; types: {', '.join(STATS_TYPES)}")
    not_offered = [name for name in types if name not in OFFERED_TYPES]
    if not_offered:
        raise BadRequest("types", f"no value statistics here for {', '.join(not_offered)}; offered: ENUM, BOOLEAN")
    leaves = list(STATS_LEAVES.values())
    if names:
        unknown = [name for name in names if name.strip().lower() not in FIELD_PATHS]
        if unknown:
            raise BadRequest("fields", str(UnknownFields(unknown)))
        paths = {FIELD_PATHS[name.strip().lower()] for name in names}
        without = [name for name in names if FIELD_PATHS[name.strip().lower()] not in STATS_LEAVES]
        if without:
            raise BadRequest("fields", f"no value statistics here for {', '.join(without)}")
        leaves = [leaf for leaf in leaves if leaf.path in paths]
    return [leaf for leaf in leaves if not types or _stats_type(leaf) in types]


def value_stats(leaves: list[Leaf]) -> list[dict[str, Any]]:
    """The registry's ``EnumStats`` / ``BooleanStats`` of each element: one grouped count per element."""
    answer = []
    for leaf in leaves:
        counts = dict(
            Trial.objects.order_by().values_list(leaf.column).annotate(n=Count("id")).values_list(leaf.column, "n")
        )
        item: dict[str, Any] = {
            "type": _stats_type(leaf),
            "piece": piece_name(leaf.path.split(".")),
            "field": leaf.path,
        }
        if leaf.enum is None:
            item.update(
                missingStudiesCount=counts.get(None, 0), trueCount=counts.get(True, 0), falseCount=counts.get(False, 0)
            )
        else:
            present = sorted(((n, value) for value, n in counts.items() if value), key=lambda pair: (-pair[0], pair[1]))
            item.update(
                missingStudiesCount=counts.get(None, 0) + counts.get("", 0),
                uniqueValuesCount=len(present),
                topValues=[{"value": value, "studiesCount": n} for n, value in present],
            )
        answer.append(item)
    return answer
