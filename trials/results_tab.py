"""What the Results tab shows: tables with one column per group.

Groups keep the registry's order; outcome measures come primary first (the
registry lists them as the sponsor entered them), each keeping its number in
the registry's list as its anchor.
"""

from __future__ import annotations

import re

from . import choices

_DECIMAL = re.compile(r"(-?)(\d+)(\.\d+)?")


def _number(value) -> str:
    """``1062`` → ``1,062``, ``-1234.50`` → ``-1,234.50``: the registry's decimals kept; other text as is."""
    text = "" if value is None else str(value)
    match = _DECIMAL.fullmatch(text.strip())
    if not match:
        return text
    sign, whole, fraction = match.groups()
    return f"{sign}{int(whole):,}{fraction or ''}"


# The registry's own milestones, which it stores in capitals and its site shows as words.
_MILESTONES = {"STARTED": "Started", "COMPLETED": "Completed", "NOT COMPLETED": "Not Completed"}


def _milestone(label: str) -> str:
    """The registry's milestones as its site shows them ("Not Completed"); a sponsor's own as written."""
    return _MILESTONES.get(label, label)


# A statistical analysis's numbers (its p-value is left as written: "<0.001").
_ANALYSIS_NUMBERS = ("paramValue", "dispersionValue", "ciLowerLimit", "ciUpperLimit")


def _labels(*enums) -> dict[str, str]:
    return {code: label for enum in enums for code, label in enum.choices}


def _cell(measurement: dict | None) -> str:
    """A measurement as the registry's pages write it: ``12.5 (3.1)``, ``40 (18 to 65)``."""
    if not measurement:
        return ""
    text = _number(measurement.get("value", ""))
    if measurement.get("spread"):
        text += f" ({_number(measurement['spread'])})"
    elif measurement.get("lowerLimit") or measurement.get("upperLimit"):
        lower, upper = _number(measurement.get("lowerLimit", "")), _number(measurement.get("upperLimit", ""))
        text += f" ({lower} to {upper})"
    if measurement.get("comment"):
        text += f" [{measurement['comment']}]"
    return text


def _affected(affected, at_risk) -> str:
    """``3/40 (7.5%)``: affected of at risk, and the share when there is one."""
    if affected in (None, ""):
        return ""
    text = f"{_number(affected)}/{_number(at_risk)}" if at_risk not in (None, "") else _number(affected)
    try:
        share = 100 * int(affected) / int(at_risk)
    except (TypeError, ValueError, ZeroDivisionError):
        return text
    return f"{text} ({share:.1f}%)"


def _row_label(class_title: str, category_title: str, unit: str) -> str:
    """A row's name: its class and category ("Day 3: Female"), or the unit when the registry gives neither."""
    return ": ".join(part for part in (class_title, category_title) if part) or unit


def _by_group(items: list[dict], groups: list[dict], value) -> list:
    found = {item.get("groupId"): item for item in items}
    return [value(found.get(group["id"])) for group in groups]


def _denom_rows(denoms: list[dict], groups: list[dict]) -> list[dict]:
    return [
        {
            "units": denom.get("units", ""),
            "cells": _by_group(denom.get("counts", []), groups, lambda c: _number((c or {}).get("value", ""))),
        }
        for denom in denoms
    ]


def _measure_table(measure: dict, groups: list[dict]) -> dict:

    labels = _labels(choices.MeasureParam, choices.DispersionType)
    unit = measure.get("unitOfMeasure", "")
    rows = [
        {
            "label": _row_label(measure_class.get("title", ""), category.get("title", ""), unit),
            "cells": _by_group(category.get("measurements", []), groups, _cell),
        }
        for measure_class in measure.get("classes", [])
        for category in measure_class.get("categories", [])
    ]
    param = labels.get(measure.get("paramType", ""), measure.get("paramType", ""))
    dispersion = labels.get(measure.get("dispersionType", ""), measure.get("dispersionType", ""))
    if dispersion in ("NA", "Not applicable"):
        dispersion = ""
    return {
        **measure,
        "param": param,
        "unit": unit,
        "dispersion": dispersion,
        # What the numbers are, each part named, so a unit never runs into a label.
        "units_line": " · ".join(
            part
            for part in (
                f"Shown as: {param}{f' ({dispersion})' if dispersion else ''}" if param else "",
                f"Unit: {unit}" if unit else "",
            )
            if part
        ),
        "groups": groups,
        "denom_rows": _denom_rows(measure.get("denoms", []), groups),
        "rows": rows,
    }


def present(trial, section: dict) -> dict:
    """The Results tab's tables from a trial's ``resultsSection`` (``results_json``)."""

    flow = section.get("participantFlowModule", {})
    flow_groups = flow.get("groups", [])
    periods = [
        {
            "title": period.get("title", ""),
            "milestones": [
                {
                    "type": _milestone(step.get("type", "")),
                    "cells": _by_group(
                        step.get("achievements", []), flow_groups, lambda c: _number((c or {}).get("numSubjects", ""))
                    ),
                }
                for step in period.get("milestones", [])
            ],
            "reasons": [
                {
                    "type": reason.get("type", ""),
                    "cells": _by_group(
                        reason.get("reasons", []), flow_groups, lambda c: _number((c or {}).get("numSubjects", ""))
                    ),
                }
                for reason in period.get("dropWithdraws", [])
            ],
        }
        for period in flow.get("periods", [])
    ]

    baseline = section.get("baselineCharacteristicsModule", {})
    baseline_groups = baseline.get("groups", [])

    types = _labels(choices.OutcomeMeasureType)
    sides = _labels(choices.CiNumSides, choices.NonInferiorityType, choices.AnalysisDispersionType)
    outcomes = []
    for number, measure in enumerate(section.get("outcomeMeasuresModule", {}).get("outcomeMeasures", []), start=1):
        groups = measure.get("groups", [])
        titles = {group["id"]: group.get("title", group["id"]) for group in groups}
        table = _measure_table(measure, groups)
        table["number"] = number
        table["type_label"] = types.get(measure.get("type", ""), measure.get("type", ""))
        table["analysis_rows"] = [
            {
                **analysis,
                # The estimate and its interval with separators, like the measure's own numbers.
                **{key: _number(analysis[key]) for key in _ANALYSIS_NUMBERS if key in analysis},
                "group_titles": [titles.get(group_id, group_id) for group_id in analysis.get("groupIds", [])],
                "sides": sides.get(analysis.get("ciNumSides", ""), ""),
                "non_inferiority": sides.get(analysis.get("nonInferiorityType", ""), ""),
                "dispersion": sides.get(analysis.get("dispersionType", ""), analysis.get("dispersionType", "")),
            }
            for analysis in measure.get("analyses", [])
        ]
        outcomes.append(table)
    # Primary first, then secondary, other pre-specified and post hoc; the registry's order within each.
    rank = {code: index for index, code in enumerate(choices.OutcomeMeasureType.values)}
    outcomes.sort(key=lambda table: rank.get(table.get("type", ""), len(rank)))

    events = section.get("adverseEventsModule", {})
    event_groups = events.get("eventGroups", [])

    def event_rows(items: list[dict]) -> list[dict]:
        def cell(stats: dict | None) -> str:
            return _affected(stats.get("numAffected"), stats.get("numAtRisk")) if stats else ""

        return [
            {**event, "cells": _by_group(event.get("stats", []), event_groups, cell)}
            for event in sorted(items, key=lambda event: event.get("organSystem", ""))
        ]

    def totals(kind: str) -> list[str]:
        return [_affected(group.get(f"{kind}NumAffected"), group.get(f"{kind}NumAtRisk")) for group in event_groups]

    return {
        "flow": {"groups": flow_groups, "periods": periods} if flow_groups or periods else None,
        "baseline": (
            {
                "groups": baseline_groups,
                "denom_rows": _denom_rows(baseline.get("denoms", []), baseline_groups),
                "measures": [_measure_table(measure, baseline_groups) for measure in baseline.get("measures", [])],
            }
            if baseline
            else None
        ),
        "outcomes": outcomes,
        "events": (
            {
                "groups": event_groups,
                "totals": [
                    ("All-cause mortality", totals("deaths")),
                    ("Serious adverse events", totals("serious")),
                    ("Other adverse events", totals("other")),
                ],
                "tables": [
                    {"kind": kind, "caption": caption, "rows": event_rows(events.get(key, []))}
                    for kind, key, caption in (
                        ("serious", "seriousEvents", "Serious adverse events"),
                        ("other", "otherEvents", "Other (not including serious) adverse events"),
                    )
                    if events.get(key)
                ],
            }
            if events
            else None
        ),
    }
