"""``/stats/field/values`` and ``/stats/field/sizes``: how the studies on file spread over a field.

Values are offered for the enumerations, yes/no elements, numbers and dates
stored on the trial row (``metadata.LEAVES``): a grouped count per
enumeration or yes/no element, the least, greatest and mean of a number,
the earliest and latest of a date, one query per field. The elements of a
study's lists are counted by the studies holding each value, a study once
per value, as the registry counts them: the enumerations listed on the trial
row (``Phase``), conditions, interventions' names and the names an arm gives
its interventions (``LIST_ELEMENTS``); free text is not summarised, and
asking for it is a 400 that says so. Sizes are offered for the lists a
trial's children make (``ctgov.mapping``): conditions, locations, arms...,
for the enumerations listed on the trial row and for an arm's intervention
names.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat

from .. import choices, models
from ..ctgov.mapping import ARMS, CHILD_LISTS, RECORD_LISTS
from ..models import Trial
from .fields import FIELD_PATHS, UnknownFields, piece_name
from .metadata import LEAVES, Leaf
from .params import STATS_TYPES, BadRequest

# Element kinds with value statistics → the registry's ``FieldStatsType``; an enumeration is ENUM whatever its kind.
_KIND_TYPES = {"bool": "BOOLEAN", "int": "INTEGER", "float": "NUMBER", "date": "DATE"}
OFFERED_TYPES = ("ENUM", "STRING", *_KIND_TYPES.values())
# The one form our dates take, in the registry's notation.
DATE_FORMAT = "yyyy-MM-dd"
# Names can number hundreds of thousands: the most held are listed, ``uniqueValuesCount`` says how many there are.
TOP_VALUES = 100
CHUNK = 5000


def _stats_type(leaf: Leaf) -> str:
    return "ENUM" if leaf.enum is not None else _KIND_TYPES[leaf.kind]


def _code_list(leaf: Leaf) -> bool:
    """An enumeration listed on the trial row (``phases``: ``"PHASE2,PHASE3"``), grouped by its stored text."""
    return leaf.kind == "list" and leaf.enum is not None and bool(leaf.column)


# The elements with value statistics on the trial row: enumerations (one or a list), yes/no elements, numbers, dates.
STATS_LEAVES: dict[str, Leaf] = {
    leaf.path: leaf
    for leaf in LEAVES
    if leaf.column and (_code_list(leaf) or (leaf.kind != "list" and (leaf.enum or leaf.kind in _KIND_TYPES)))
}


@dataclass(frozen=True)
class ListElement:
    """Names held in a child table's rows: the rows, the name as the export writes it, the trial they belong to."""

    path: str
    model: type
    value: Any
    trial: str = "trial"
    type: str = "STRING"


_INTERVENTION_LABELS = dict(choices.InterventionType.choices)
# An arm names an intervention as the export does: "Drug: Aspirin", the bare name when it has no type.
ARM_INTERVENTION_NAME = Case(
    When(intervention__type="", then=F("intervention__name")),
    *(
        When(intervention__type=code, then=Concat(Value(f"{label}: "), F("intervention__name")))
        for code, label in _INTERVENTION_LABELS.items()
    ),
    default=Concat(F("intervention__type"), Value(": "), F("intervention__name")),
    output_field=CharField(),
)
ARM_INTERVENTION_NAMES = f"{ARMS}.armGroups.interventionNames"
LIST_ELEMENTS: dict[str, ListElement] = {
    element.path: element
    for element in (
        ListElement(RECORD_LISTS[0].path, models.TrialCondition, F("condition__name")),
        ListElement(f"{ARMS}.interventions.name", models.Intervention, F("name")),
        # An arm and the interventions it gives belong to one trial: the intervention's, joined already.
        ListElement(ARM_INTERVENTION_NAMES, models.ArmGroupIntervention, ARM_INTERVENTION_NAME, "intervention__trial"),
    )
}
# Everything with value statistics, in the mapping's order.
_OFFERED: dict[str, Leaf | ListElement] = {
    path: STATS_LEAVES.get(path) or LIST_ELEMENTS[path]
    for path in (leaf.path.replace("[]", "") for leaf in LEAVES)
    if path in STATS_LEAVES or path in LIST_ELEMENTS
}


def _type_of(item: Leaf | ListElement) -> str:
    return item.type if isinstance(item, ListElement) else _stats_type(item)


def selected_leaves(names: list[str], types: list[str]) -> list[Leaf | ListElement]:
    """The elements these ``fields`` and ``types`` ask for, in the mapping's order."""
    unknown_types = [name for name in types if name not in STATS_TYPES]
    if unknown_types:
        raise BadRequest("types", f"unknown type {', '.join(unknown_types)}; types: {', '.join(STATS_TYPES)}")
    not_offered = [name for name in types if name not in OFFERED_TYPES]
    if not_offered:
        raise BadRequest(
            "types", f"no value statistics here for {', '.join(not_offered)}; offered: {', '.join(OFFERED_TYPES)}"
        )
    items = list(_OFFERED.values())
    if names:
        unknown = [name for name in names if name.strip().lower() not in FIELD_PATHS]
        if unknown:
            raise BadRequest("fields", str(UnknownFields(unknown)))
        paths = {FIELD_PATHS[name.strip().lower()] for name in names}
        without = [name for name in names if FIELD_PATHS[name.strip().lower()] not in _OFFERED]
        if without:
            raise BadRequest("fields", f"no value statistics here for {', '.join(without)}")
        items = [item for item in items if item.path.replace("[]", "") in paths]
    return [item for item in items if not types or _type_of(item) in types]


def _values(item: dict[str, Any], counts: list[tuple[str, int]], unique: int, missing: int) -> dict[str, Any]:
    item.update(
        missingStudiesCount=missing,
        uniqueValuesCount=unique,
        topValues=[{"value": value, "studiesCount": n} for value, n in counts],
    )
    return item


def _code_list_stats(item: dict[str, Any], grouped: list[tuple[Any, int]]) -> dict[str, Any]:
    """The studies grouped by the list as stored (a few combinations), each code's studies summed."""
    counts: dict[str, int] = {}
    missing = 0
    for codes, n in grouped:
        if not codes:
            missing += n
        for code in set(codes):
            counts[code] = counts.get(code, 0) + n
    ranked = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    return _values(item, ranked, len(ranked), missing)


def _grouped_counts(leaves: list[Leaf]) -> dict[str, list[tuple[Any, int]]]:
    """Each column's studies counted by stored value, for all the columns in one statement.

    On PostgreSQL a ``GROUPING SETS`` query: the trials are read once, however
    many columns are counted (one grouped count each read them once per
    column: seconds each at 600,000 trials). SQLite has no grouping sets; its
    counts are one statement of a grouped count per column.
    """
    if not leaves:
        return {}
    quote = connection.ops.quote_name
    table = quote(Trial._meta.db_table)
    fields = [Trial._meta.get_field(leaf.column) for leaf in leaves]
    columns = [quote(field.column) for field in fields]
    width = len(columns)
    if connection.vendor == "postgresql":
        flags = ", ".join(f"GROUPING({column})" for column in columns)
        sets = ", ".join(f"({column})" for column in columns)
        sql = f"SELECT {', '.join(columns)}, {flags}, COUNT(*) FROM {table} GROUP BY GROUPING SETS ({sets})"
    else:
        sql = " UNION ALL ".join(
            f"SELECT {index}, {column}, COUNT(*) FROM {table} GROUP BY {column}" for index, column in enumerate(columns)
        )
    found: dict[str, list[tuple[Any, int]]] = {leaf.path: [] for leaf in leaves}
    with connection.cursor() as cursor:
        cursor.execute(sql)
        for row in cursor.fetchall():
            if connection.vendor == "postgresql":
                # The one column this row is grouped by is the one its GROUPING() is 0 for.
                index = row[width : 2 * width].index(0)
                value = row[index]
            else:
                index, value = row[0], row[1]
            found[leaves[index].path].append((fields[index].to_python(value), row[-1]))
    return found


def _range_stats(leaves: list[Leaf]) -> dict[str, dict[str, Any]]:
    """The least, greatest (and mean of a number) of each column and its studies without one: one query."""
    aggregates: dict[str, Any] = {}
    for index, leaf in enumerate(leaves):
        column = leaf.column
        aggregates[f"low_{index}"] = Min(column)
        aggregates[f"high_{index}"] = Max(column)
        aggregates[f"missing_{index}"] = Count("id", filter=Q(**{f"{column}__isnull": True}))
        if _stats_type(leaf) != "DATE":
            aggregates[f"mean_{index}"] = Avg(column)
    found = Trial.objects.aggregate(**aggregates) if aggregates else {}
    return {
        leaf.path: {
            name: found[f"{name}_{index}"] for name in ("low", "high", "missing", "mean") if f"{name}_{index}" in found
        }
        for index, leaf in enumerate(leaves)
    }


def _list_element_stats(item: dict[str, Any], element: ListElement) -> dict[str, Any]:
    """Two queries: the studies holding each value (a study once per value), and the studies holding none.

    The (value, study) pairs are made distinct first and then counted per
    value: both steps hash, where ``COUNT(DISTINCT ...)`` sorts every row by
    value. The counts are read as a stream, keeping only the most held, so
    memory stays bounded however many names there are; ties are broken by
    the name in Python, the same on every database.
    """
    pairs = (
        element.model.objects.order_by()
        .annotate(found=element.value)
        .exclude(found="")
        .values_list("found", element.trial)
        .distinct()
    )
    inner, params = pairs.query.sql_with_params()
    unique = 0

    def counted():
        nonlocal unique
        # A server-side cursor on PostgreSQL, as ``iterator()`` reads: the pairs are never all in memory.
        with connection.chunked_cursor() as cursor:
            cursor.execute(f"SELECT held.found, COUNT(*) FROM ({inner}) held GROUP BY held.found", params)
            while rows := cursor.fetchmany(CHUNK):
                for pair in rows:
                    unique += 1
                    yield pair

    top = heapq.nsmallest(TOP_VALUES, counted(), key=lambda pair: (-pair[1], pair[0]))
    holding = element.model.objects.filter(**{element.trial: OuterRef("pk")})
    missing = Trial.objects.filter(~Exists(holding)).count()
    return _values(item, top, unique, missing)


def value_stats(leaves: list[Leaf | ListElement]) -> list[dict[str, Any]]:
    """Each element's registry stats: ``EnumStats``, ``StringStats``, ``BooleanStats``, ``IntegerStats``...

    The trial row's elements cost two queries whatever their number (their
    counts, their ranges); each list's elements two of their own.
    """
    on_row = [leaf for leaf in leaves if isinstance(leaf, Leaf)]
    ranged = [leaf for leaf in on_row if _type_of(leaf) in ("INTEGER", "NUMBER", "DATE")]
    grouped = _grouped_counts([leaf for leaf in on_row if leaf not in ranged])
    ranges = _range_stats(ranged)
    answer = []
    for leaf in leaves:
        kind = _type_of(leaf)
        path = leaf.path.replace("[]", "")
        item: dict[str, Any] = {"type": kind, "piece": piece_name(path.split(".")), "field": path}
        if isinstance(leaf, ListElement):
            answer.append(_list_element_stats(item, leaf))
            continue
        if _code_list(leaf):
            answer.append(_code_list_stats(item, grouped[leaf.path]))
            continue
        if kind in ("INTEGER", "NUMBER", "DATE"):
            found = ranges[leaf.path]
            item["missingStudiesCount"] = found["missing"]
            if kind == "DATE":
                item["formats"] = [DATE_FORMAT] if found["low"] is not None else []
                if found["low"] is not None:
                    item.update(min=found["low"].isoformat(), max=found["high"].isoformat())
            elif found["low"] is not None:
                item.update(min=found["low"], max=found["high"], avg=float(found["mean"]))
            answer.append(item)
            continue
        counts = dict(grouped[leaf.path])
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
# Lists of values with sizes: the enumerations listed on the trial row, and the names an arm gives its interventions.
CODE_LISTS = {leaf.path: leaf.column for leaf in STATS_LEAVES.values() if _code_list(leaf)}


def _first_leaf(path: str) -> int:
    return next(index for index, leaf in enumerate(LEAVES) if f"{leaf.path.replace('[]', '')}.".startswith(f"{path}."))


# Every list with sizes, in the mapping's order.
SIZED_LISTS = sorted([*CODE_LISTS, *LIST_SOURCES, ARM_INTERVENTION_NAMES], key=_first_leaf)


def selected_lists(names: list[str]) -> list[str]:
    """The list paths these ``fields`` name, in the mapping's order; all of them when none is named."""
    if not names:
        return list(SIZED_LISTS)
    unknown = [name for name in names if name.strip().lower() not in FIELD_PATHS]
    if unknown:
        raise BadRequest("fields", str(UnknownFields(unknown)))
    without = [name for name in names if FIELD_PATHS[name.strip().lower()] not in SIZED_LISTS]
    if without:
        raise BadRequest("fields", f"no list sizes here for {', '.join(without)}")
    paths = {FIELD_PATHS[name.strip().lower()] for name in names}
    return [path for path in SIZED_LISTS if path in paths]


def _sizes(path: str) -> dict[int, int]:
    """List length → the studies holding a list that long; one query."""
    if path in CODE_LISTS:
        column, sizes = CODE_LISTS[path], {}
        for codes, n in Trial.objects.order_by().values_list(column).annotate(n=Count("id")).values_list(column, "n"):
            if codes:
                sizes[len(codes)] = sizes.get(len(codes), 0) + n
        return sizes
    if path == ARM_INTERVENTION_NAMES:
        # Each arm's names as the export writes them (one name twice is named once), read in trial order: a study
        # counts once for each length its arms' lists have, and only one study's lengths are held at a time.
        per_arm = (
            models.ArmGroupIntervention.objects.order_by()
            .values_list("intervention__trial", "arm_group")
            .annotate(n=Count(ARM_INTERVENTION_NAME, distinct=True))
            .order_by("intervention__trial")
            .values_list("intervention__trial", "n")
        )
        sizes, current, held = {}, None, set()
        for trial, n in itertools.chain(per_arm.iterator(chunk_size=CHUNK), [(None, None)]):
            if trial != current:
                for size in held:
                    sizes[size] = sizes.get(size, 0) + 1
                current, held = trial, set()
            held.add(n)
        return sizes
    model, fixed = LIST_SOURCES[path]
    per_trial = (
        model.objects.filter(trial=OuterRef("pk"), **fixed)
        .order_by()
        .values("trial")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return dict(
        Trial.objects.order_by()
        .annotate(size=Coalesce(Subquery(per_trial, output_field=IntegerField()), 0))
        .filter(size__gt=0)
        .values_list("size")
        .annotate(studies=Count("pk"))
        .values_list("size", "studies")
    )


def list_sizes(paths: list[str]) -> list[dict[str, Any]]:
    """The registry's ``ListSizes`` of each list: how many studies hold it with each length (empty lists left out).

    One query per list: each trial's count as a subquery, grouped by that count; an arm's names counted per arm.
    """
    answer = []
    for path in paths:
        sizes = _sizes(path)
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
