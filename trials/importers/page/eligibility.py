"""Reader of the eligibility criteria and the facts after them (ages, sex, healthy volunteers)."""

from __future__ import annotations

import re

from ... import choices
from ...criteria import join_criteria
from ...ctgov.records import TrialRecord
from ...values import is_age, parse_age
from .layout import DocumentError
from .shapes import LABELLED, registry_code

_HEALTHY = {"yes": True, "no": False}


def read_eligibility(record: TrialRecord, lines: list[str]) -> None:
    facts = list(lines)
    ages: list[str] = []
    labelled_ages: dict[str, str] = {}
    # The facts follow the criteria: ages, sex, healthy volunteers.
    while facts:
        line = facts[-1]
        match = LABELLED.match(line)
        label = match.group(1).strip().lower() if match else ""
        value = match.group(2).strip() if match else line
        if "healthy" in label or (not label and value.lower() in _HEALTHY):
            if value.lower() not in _HEALTHY:
                raise DocumentError("Eligibility Criteria", f"healthy volunteers must be Yes or No: {line!r}")
            record.fields["healthy_volunteers"] = _HEALTHY[value.lower()]
        elif label in {"sex", "gender"} or (not label and registry_code(value, choices.Sex)):
            code = registry_code(value, choices.Sex)
            if not code:
                raise DocumentError("Eligibility Criteria", f"unknown sex {line!r}")
            record.fields["sex"] = code
        elif label in {"minimum age", "maximum age"}:
            labelled_ages[label] = value
        elif not label and is_age(value) and len(ages) < 2:
            # Two ages at most (minimum, maximum): a third is the criteria's last line ("None").
            ages.insert(0, value)
        else:
            break
        facts.pop()
    minimum = labelled_ages.get("minimum age", ages[0] if ages else "")
    maximum = labelled_ages.get("maximum age", ages[1] if len(ages) > 1 else "")
    for field, value in (("minimum_age", minimum), ("maximum_age", maximum)):
        record.fields[field] = parse_age(value)[0]
    record.fields["eligibility_criteria"] = _criteria_text(facts)


def _criteria_text(lines: list[str]) -> str:
    inclusion: list[str] = []
    exclusion: list[str] = []
    preamble: list[str] = []
    current = preamble
    for line in lines:
        heading = re.match(r"^(inclusion|exclusion)\s+criteria\s*:?$", line, re.IGNORECASE)
        if heading:
            current = inclusion if heading.group(1).lower() == "inclusion" else exclusion
        else:
            current.append(re.sub(r"^[*\-•]\s*", "", line))
    text = join_criteria(inclusion, exclusion)
    return "\n\n".join(part for part in ("\n".join(preamble), text) if part)
