"""``/stats/field/values`` and ``/stats/field/sizes``: how the studies on file spread over a field.

Values are offered for the enumerations, yes/no elements, numbers and dates
stored on the trial row (``metadata.LEAVES``): a grouped count per
enumeration or yes/no element, the least, greatest and mean of a number,
the earliest and latest of a date, one query per field. Free text and the
elements of a trial's lists are not summarised, and asking for them is a 400
that says so. Sizes are offered for the lists a
trial's children make (``ctgov.mapping``): conditions, locations, arms...
"""

from __future__ import annotations

from typing import Any

from django.db.models import Avg, Count, IntegerField, Max, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from .. import models
from ..ctgov.mapping import CHILD_LISTS, RECORD_LISTS
from ..models import Trial
from .fields import FIELD_PATHS, UnknownFields, piece_name
from .metadata import LEAVES, Leaf
from .params import STATS_TYPES, BadRequest

# Element kinds with value statistics → the registry's ``FieldStatsType``; an enumeration is ENUM whatever its kind.
_KIND_TYPES = {"bool": "BOOLEAN", "int": "INTEGER", "float": "NUMBER", "date": "DATE"}
OFFERED_TYPES = ("ENUM", *_KIND_TYPES.values())
# The one form our dates take, in the registry's notation.
DATE_FORMAT = "yyyy-MM-dd"


def _stats_type(leaf: Leaf) -> str:
    return "ENUM" if leaf.enum is not None else _KIND_TYPES[leaf.kind]


# The elements with value statistics: scalar enumerations, yes/no elements, numbers and dates of the trial row.
STATS_LEAVES: dict[str, Leaf] = {
    leaf.path: leaf
    for leaf in LEAVES
    if leaf.column and leaf.kind != "list" and (leaf.enum or leaf.kind in _KIND_TYPES)
}


def selected_leaves(names: list[str], types: list[str]) -> list[Leaf]:
    """The elements these ``fields`` and ``types`` ask for, in the mapping's order."""
    unknown_types = [name for name in types if name not in STATS_TYPES]
    if unknown_types:
        raise BadRequest("types", f"unknown type {', '.join(unknown_types)}; types: {', '.join(STATS_TYPES)}")
    not_offered = [name for name in types if name not in OFFERED_TYPES]
    if not_offered:
        raise BadRequest(
            "types", f"no value statistics here for {', '.join(not_offered)}; offered: {', '.join(OFFERED_TYPES)}"
        )
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
    """Each element's ``EnumStats``, ``BooleanStats``, ``IntegerStats``, ``NumberStats`` or ``DateStats``."""
    answer = []
    for leaf in leaves:
        kind = _stats_type(leaf)
        item: dict[str, Any] = {"type": kind, "piece": piece_name(leaf.path.split(".")), "field": leaf.path}
        if kind in ("INTEGER", "NUMBER", "DATE"):
            column = leaf.column
            aggregates = {
                "low": Min(column),
                "high": Max(column),
                "missing": Count("id", filter=Q(**{f"{column}__isnull": True})),
            }
            if kind != "DATE":
                aggregates["mean"] = Avg(column)
            found = Trial.objects.aggregate(**aggregates)
            item["missingStudiesCount"] = found["missing"]
            if kind == "DATE":
                item["formats"] = [DATE_FORMAT] if found["low"] is not None else []
                if found["low"] is not None:
                    item.update(min=found["low"].isoformat(), max=found["high"].isoformat())
            elif found["low"] is not None:
                item.update(min=found["low"], max=found["high"], avg=float(found["mean"]))
            answer.append(item)
            continue
        counts = dict(
            Trial.objects.order_by().values_list(leaf.column).annotate(n=Count("id")).values_list(leaf.column, "n")
        )
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


def _list_sources() -> dict[str, tuple[type, dict[str, Any]]]:
    """Each top-level list's path → the child model and the filter that selects its rows."""
    sources: dict[str, tuple[type, dict[str, Any]]] = {RECORD_LISTS[0].path: (models.TrialCondition, {})}
    for child in CHILD_LISTS:
        if not child.single and not child.within:
            sources[child.path] = (getattr(models, child.record.__name__.removesuffix("Record")), dict(child.fixed))
    return sources


LIST_SOURCES = _list_sources()


def selected_lists(names: list[str]) -> list[str]:
    """The list paths these ``fields`` name, in the mapping's order; all of them when none is named."""
    if not names:
        return list(LIST_SOURCES)
    unknown = [name for name in names if name.strip().lower() not in FIELD_PATHS]
    if unknown:
        raise BadRequest("fields", str(UnknownFields(unknown)))
    without = [name for name in names if FIELD_PATHS[name.strip().lower()] not in LIST_SOURCES]
    if without:
        raise BadRequest("fields", f"no list sizes here for {', '.join(without)}")
    paths = {FIELD_PATHS[name.strip().lower()] for name in names}
    return [path for path in LIST_SOURCES if path in paths]


def list_sizes(paths: list[str]) -> list[dict[str, Any]]:
    """The registry's ``ListSizes`` of each list: how many studies hold it with each length (empty lists left out).

    One query per list: each trial's count as a subquery, grouped by that count.
    """
    answer = []
    for path in paths:
        model, fixed = LIST_SOURCES[path]
        per_trial = (
            model.objects.filter(trial=OuterRef("pk"), **fixed)
            .order_by()
            .values("trial")
            .annotate(n=Count("pk"))
            .values("n")
        )
        sizes = dict(
            Trial.objects.order_by()
            .annotate(size=Coalesce(Subquery(per_trial, output_field=IntegerField()), 0))
            .filter(size__gt=0)
            .values_list("size")
            .annotate(studies=Count("pk"))
            .values_list("size", "studies")
        )
        item: dict[str, Any] = {
            "field": path,
            "piece": piece_name(path.split(".")),
            "uniqueSizesCount": len(sizes),
            "topSizes": [
                {"size": size, "studiesCount": n} for size, n in sorted(sizes.items(), key=lambda p: (-p[1], p[0]))
            ],
        }
        if sizes:
            item.update(minSize=min(sizes), maxSize=max(sizes))
        answer.append(item)
    return answer
