"""Posted results (``resultsSection``) ↔ the result tables, declared as a tree of rows.

The registry nests results up to five levels deep (an outcome measure's
classes, their categories, their measurements). Each ``Node`` names the model
its items become, where they sit in the enclosing object, their elements and
the nodes nested in them. ``read_results`` turns a study into rows per model,
each pointing at its parent row by index; the writer gives ids to parents;
``results_json`` builds the registry's shape back from rows (the export, the
round-trip test and the Results tab all read that shape). The modules' own
single elements (``frequencyThreshold``, ``moreInfoModule``...) are trial
fields, in ``ctgov.TRIAL_ELEMENTS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .elements import Element, ObjectReader, ObjectWriter, StudyError, get_path, set_path

RESULTS = "resultsSection"
FLOW = f"{RESULTS}.participantFlowModule"
BASELINE = f"{RESULTS}.baselineCharacteristicsModule"
OUTCOMES = f"{RESULTS}.outcomeMeasuresModule"
EVENTS = f"{RESULTS}.adverseEventsModule"
MORE_INFO = f"{RESULTS}.moreInfoModule"
MODULES = (FLOW, BASELINE, OUTCOMES, EVENTS, MORE_INFO)


@dataclass(frozen=True)
class Node:
    """Items of a JSON list that become rows of ``model``.

    ``parent`` is the foreign key to the enclosing node's row ("" at the top,
    where rows belong to the trial alone); ``fixed`` values tell apart lists
    that share a model (baseline and outcome groups).
    """

    model: str
    path: str
    elements: tuple[Element, ...]
    children: tuple[Node, ...] = ()
    parent: str = ""
    fixed: dict[str, Any] = field(default_factory=dict)


TITLE = Element("title", "title")
GROUP = (Element("group_id", "id"), TITLE, Element("description", "description"))
EVENT_GROUP = (
    *GROUP,
    *(
        Element(f"{kind}_{name}", f"{kind}{key}", "int")
        for kind in ("deaths", "serious", "other")
        for name, key in (("num_affected", "NumAffected"), ("num_at_risk", "NumAtRisk"))
    ),
)
FLOW_COUNT = (
    Element("group_id", "groupId"),
    Element("comment", "comment"),
    Element("num_subjects", "numSubjects"),
    Element("num_units", "numUnits"),
)
MEASUREMENT = (
    Element("group_id", "groupId"),
    Element("value", "value"),
    Element("spread", "spread"),
    Element("lower_limit", "lowerLimit"),
    Element("upper_limit", "upperLimit"),
    Element("comment", "comment"),
)
MEASURE = (
    TITLE,
    Element("description", "description"),
    Element("population_description", "populationDescription"),
    Element("param_type", "paramType"),
    Element("dispersion_type", "dispersionType"),
    Element("unit_of_measure", "unitOfMeasure"),
    Element("calculate_pct", "calculatePct", "bool"),
    Element("denom_units_selected", "denomUnitsSelected"),
)
OUTCOME_MEASURE = (
    Element("type", "type"),
    *MEASURE,
    Element("reporting_status", "reportingStatus"),
    Element("anticipated_posting_date", "anticipatedPostingDate"),
    Element("time_frame", "timeFrame"),
    Element("type_units_analyzed", "typeUnitsAnalyzed"),
)
ANALYSIS = (
    Element("param_type", "paramType"),
    Element("param_value", "paramValue"),
    Element("dispersion_type", "dispersionType"),
    Element("dispersion_value", "dispersionValue"),
    Element("statistical_method", "statisticalMethod"),
    Element("statistical_comment", "statisticalComment"),
    Element("p_value", "pValue"),
    Element("p_value_comment", "pValueComment"),
    Element("ci_num_sides", "ciNumSides"),
    Element("ci_pct_value", "ciPctValue"),
    Element("ci_lower_limit", "ciLowerLimit"),
    Element("ci_upper_limit", "ciUpperLimit"),
    Element("ci_lower_limit_comment", "ciLowerLimitComment"),
    Element("ci_upper_limit_comment", "ciUpperLimitComment"),
    Element("estimate_comment", "estimateComment"),
    Element("tested_non_inferiority", "testedNonInferiority", "bool"),
    Element("non_inferiority_type", "nonInferiorityType"),
    Element("non_inferiority_comment", "nonInferiorityComment"),
    Element("other_analysis_description", "otherAnalysisDescription"),
    Element("group_description", "groupDescription"),
    Element("group_ids", "groupIds", "list"),
)
EVENT = (
    Element("term", "term"),
    Element("organ_system", "organSystem"),
    Element("source_vocabulary", "sourceVocabulary"),
    Element("assessment_type", "assessmentType"),
    Element("notes", "notes"),
)
EVENT_COUNT = (
    Element("group_id", "groupId"),
    Element("num_events", "numEvents", "int"),
    Element("num_affected", "numAffected", "int"),
    Element("num_at_risk", "numAtRisk", "int"),
)


def _denoms(path: str, parent: str, section: str) -> Node:
    counts = Node("DenomCount", "counts", (Element("group_id", "groupId"), Element("value", "value")), parent="denom")
    return Node("ResultDenom", path, (Element("units", "units"),), (counts,), parent, {"section": section})


def _classes(section: str) -> Node:
    measurements = Node("Measurement", "measurements", MEASUREMENT, parent="category")
    categories = Node("MeasureCategory", "categories", (TITLE,), (measurements,), parent="measure_class")
    return Node(
        "MeasureClass", "classes", (TITLE,), (_denoms("denoms", "measure_class", section), categories), "measure"
    )


def _flow_steps(path: str, counts: str, kind: str) -> Node:
    elements = (Element("type", "type"), Element("comment", "comment"))
    return Node(
        "FlowStep", path, elements, (Node("FlowCount", counts, FLOW_COUNT, parent="step"),), "period", {"kind": kind}
    )


def _events(path: str, seriousness: str) -> Node:
    counts = Node("AdverseEventCount", "stats", EVENT_COUNT, parent="event")
    return Node("AdverseEvent", path, EVENT, (counts,), fixed={"seriousness": seriousness})


RESULT_NODES: tuple[Node, ...] = (
    Node("ResultGroup", f"{FLOW}.groups", GROUP, fixed={"section": "FLOW"}),
    Node(
        "FlowPeriod",
        f"{FLOW}.periods",
        (TITLE,),
        (
            _flow_steps("milestones", "achievements", "MILESTONE"),
            _flow_steps("dropWithdraws", "reasons", "DROP_WITHDRAW"),
        ),
    ),
    Node("ResultGroup", f"{BASELINE}.groups", GROUP, fixed={"section": "BASELINE"}),
    _denoms(f"{BASELINE}.denoms", "", "BASELINE"),
    Node(
        "ResultMeasure",
        f"{BASELINE}.measures",
        MEASURE,
        (_denoms("denoms", "measure", "BASELINE"), _classes("BASELINE")),
        fixed={"section": "BASELINE"},
    ),
    Node(
        "ResultMeasure",
        f"{OUTCOMES}.outcomeMeasures",
        OUTCOME_MEASURE,
        (
            Node("ResultGroup", "groups", GROUP, parent="measure", fixed={"section": "OUTCOME"}),
            _denoms("denoms", "measure", "OUTCOME"),
            _classes("OUTCOME"),
            Node("OutcomeAnalysis", "analyses", ANALYSIS, parent="measure"),
        ),
        fixed={"section": "OUTCOME"},
    ),
    Node("ResultGroup", f"{EVENTS}.eventGroups", EVENT_GROUP, fixed={"section": "ADVERSE_EVENTS"}),
    _events(f"{EVENTS}.seriousEvents", "SERIOUS"),
    _events(f"{EVENTS}.otherEvents", "OTHER"),
)


def _walk(nodes: tuple[Node, ...], prefix: str = "", parent_model: str = ""):
    """(node, its full JSON path, the model its parent key points at), parents first."""
    for node in nodes:
        path = f"{prefix}{node.path}"
        yield node, path, parent_model
        yield from _walk(node.children, f"{path}[].", node.model)


# Model → {foreign key: the model it points at}.
PARENT_KEYS: dict[str, dict[str, str]] = {}
for _node, _path, _parent_model in _walk(RESULT_NODES):
    if _node.parent:
        PARENT_KEYS.setdefault(_node.model, {})[_node.parent] = _parent_model


def _parents_first() -> tuple[str, ...]:
    pending = list(dict.fromkeys(node.model for node, _, _ in _walk(RESULT_NODES)))
    ordered: list[str] = []
    while pending:
        ready = next(m for m in pending if set(PARENT_KEYS.get(m, {}).values()) <= {*ordered, m})
        ordered.append(ready)
        pending.remove(ready)
    return tuple(ordered)


# Models in an order where parents come before the rows that point at them.
RESULT_MODELS: tuple[str, ...] = _parents_first()
# Models whose rows others point at: the writer gives them ids up front.
PARENT_MODELS: frozenset[str] = frozenset(model for keys in PARENT_KEYS.values() for model in keys.values())

COVERED_RESULT_PATHS: tuple[str, ...] = tuple(
    f"{path}[].{element.path}" for node, path, _ in _walk(RESULT_NODES) for element in node.elements
)


_READERS = {id(node): ObjectReader(node.elements) for node, _, _ in _walk(RESULT_NODES)}
_WRITERS = {id(node): ObjectWriter(node.elements) for node, _, _ in _walk(RESULT_NODES)}


def read_results(study: dict) -> dict[str, list[dict]]:
    """Rows per model for a study's results; a parent is referred to by its index in its model's rows."""
    for module in (RESULTS, *MODULES):
        value = get_path(study, module)
        if value is not None and not isinstance(value, dict):
            raise StudyError(f"{module}: expected an object, got {type(value).__name__}")
    rows: dict[str, list[dict]] = {}

    def visit(nodes: tuple[Node, ...], data: dict, parent_index: int | None, prefix: str) -> None:
        for node in nodes:
            items = get_path(data, node.path)
            if items is None:
                continue
            path = f"{prefix}{node.path}"
            if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
                raise StudyError(f"{path}: expected a list of objects")
            table = rows.setdefault(node.model, [])
            reader, where = _READERS[id(node)], f"{path}[]."
            for position, item in enumerate(items):
                row = reader.read(item, where)
                row.update(node.fixed)
                row["position"] = position
                if node.parent:
                    row[node.parent] = parent_index
                table.append(row)
                if node.children:
                    visit(node.children, item, len(table) - 1, f"{path}[].")

    visit(RESULT_NODES, study, None, "")
    return rows


def record_rows(results: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """A record's rows keyed for ``results_json``: each row's key is its index."""
    return {model: [{**row, "_key": index} for index, row in enumerate(rows)] for model, rows in results.items()}


def _columns(model: str) -> tuple[str, ...]:
    names = [element.field for node, _, _ in _walk(RESULT_NODES) if node.model == model for element in node.elements]
    names += [name for node, _, _ in _walk(RESULT_NODES) if node.model == model for name in node.fixed]
    return tuple(dict.fromkeys(names))


# Model → the columns ``results_json`` reads from a stored row.
RESULT_COLUMNS: dict[str, tuple[str, ...]] = {model: _columns(model) for model in RESULT_MODELS}


def results_json(rows: dict[str, list[dict]]) -> dict:
    """The ``resultsSection`` of a study (``{}`` when it has none) from keyed rows."""
    if not any(rows.values()):
        return {}  # most trials: no walk through the tree of nodes
    by_parent: dict[tuple, list[dict]] = {}
    for model, items in rows.items():
        keys = PARENT_KEYS.get(model, {})
        for row in items:
            parent = next(((key, row[key]) for key in keys if row.get(key) is not None), (None, None))
            by_parent.setdefault((model, *parent), []).append(row)

    study: dict = {}

    def build(nodes: tuple[Node, ...], target: dict, parent_key: Any) -> None:
        for node in nodes:
            candidates = by_parent.get((node.model, node.parent or None, parent_key if node.parent else None), [])
            entries = []
            for row in candidates:
                if any(row[name] != value for name, value in node.fixed.items()):
                    continue
                entry = _WRITERS[id(node)].write(row, {})
                build(node.children, entry, row["_key"])
                entries.append(entry)
            if entries:
                set_path(target, node.path, entries)

    build(RESULT_NODES, study, None)
    return study.get("resultsSection", {})


# (JSON path, model, element) of every results element: what ``/studies/metadata`` describes.
RESULT_ELEMENTS: tuple[tuple[str, str, Element], ...] = tuple(
    (f"{path}[].{element.path}", node.model, element)
    for node, path, _ in _walk(RESULT_NODES)
    for element in node.elements
)
