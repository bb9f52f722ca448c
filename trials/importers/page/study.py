"""Readers of the sections that describe the study: basic information, summaries, conditions, design."""

from __future__ import annotations

import re

from ... import choices
from ...ctgov.records import TrialRecord
from ...values import PartialDate
from .layout import DocumentError
from .shapes import DATED, ENROLLMENT, LABELLED, date_type_of, registry_code, unlabel


def read_basic_information(record: TrialRecord, lines: list[str]) -> None:
    dates: list[tuple[str, PartialDate, str]] = []
    for line in lines:
        label, value = "", line
        match = LABELLED.match(line)
        if match:
            label, value = match.group(1).strip().lower(), match.group(2).strip()
        status = registry_code(value, choices.OverallStatus)
        study_type = registry_code(value, choices.StudyType)
        phases = [registry_code(part, choices.Phase) for part in re.split(r"\s*[,/+|]\s*|\s+and\s+", value)]
        enrollment = ENROLLMENT.match(value)
        dated = DATED.match(value)
        if status and "phase" not in label:
            record.fields["overall_status"] = status
        elif study_type:
            record.fields["study_type"] = study_type
        elif phases and all(phases):
            record.fields["phases"] = phases
        elif enrollment:
            record.fields["enrollment_count"] = int(enrollment.group(1).replace(",", ""))
            record.fields["enrollment_type"] = date_type_of(enrollment.group(2)) if enrollment.group(2) else ""
        elif dated:
            dates.append((label, PartialDate.parse(dated.group(1)), date_type_of(dated.group(2))))
        else:
            raise DocumentError("Basic Information", f"unrecognised line {line!r}")
    if "overall_status" not in record.fields:
        raise DocumentError("Basic Information", "no overall status (e.g. RECRUITING)")
    if "study_type" not in record.fields:
        raise DocumentError("Basic Information", "no study type (INTERVENTIONAL or OBSERVATIONAL)")
    _dates(record, dates)


def _dates(record: TrialRecord, dates: list[tuple[str, PartialDate, str]]) -> None:
    unlabelled = []
    for label, date, date_type in dates:
        if "primary" in label:
            record.set_date("primary_completion", date, date_type)
        elif "completion" in label or "end" in label:
            record.set_date("completion", date, date_type)
        elif "start" in label:
            record.set_date("start", date, date_type)
        else:
            unlabelled.append((date, date_type))
    # Unlabelled dates are the timeline in order: start, then (primary) completion.
    names = {1: ["start"], 2: ["start", "completion"], 3: ["start", "primary_completion", "completion"]}
    if len(unlabelled) > 3:
        raise DocumentError("Basic Information", f"{len(unlabelled)} dates, expected at most 3")
    for name, (date, date_type) in zip(names.get(len(unlabelled), []), unlabelled, strict=True):
        record.set_date(name, date, date_type)


def read_brief_summary(record: TrialRecord, lines: list[str]) -> None:
    record.fields["brief_summary"] = "\n\n".join(lines)


def read_detailed_description(record: TrialRecord, lines: list[str]) -> None:
    record.fields["detailed_description"] = "\n\n".join(lines)


def read_conditions(record: TrialRecord, lines: list[str]) -> None:
    record.conditions = lines


def read_design(record: TrialRecord, lines: list[str]) -> None:
    if record.fields.get("study_type") == choices.StudyType.OBSERVATIONAL:
        slots = [
            ("observational_model", choices.ObservationalModel),
            ("time_perspective", choices.TimePerspective),
        ]
    else:
        slots = [
            ("allocation", choices.Allocation),
            ("intervention_model", choices.InterventionModel),
            ("primary_purpose", choices.PrimaryPurpose),
            ("masking", choices.Masking),
        ]
    by_label = {name.replace("_", " "): index for index, (name, _) in enumerate(slots)}
    next_slot = 0
    for line in lines:
        value = unlabel(line)
        masked = re.match(r"^(\w+)\s*\((.*)\)$", value)
        if masked and registry_code(masked.group(1), choices.Masking):
            value = masked.group(1)
            record.fields["who_masked"] = _who_masked(masked.group(2), line)
        # A labelled line ("Time Perspective: OTHER") fills its own slot: several
        # design enumerations share codes such as OTHER.
        labelled = LABELLED.match(line)
        label = labelled.group(1).strip().lower() if labelled else ""
        if label in by_label:
            name, enum = slots[by_label[label]]
            code = registry_code(value, enum)
            if not code:
                raise DocumentError("Study Design", f"unknown value in {line!r}")
            record.fields[name] = code
            next_slot = max(next_slot, by_label[label] + 1)
            continue
        who = _who_masked(value, line, strict=False)
        for index in range(next_slot, len(slots)):
            name, enum = slots[index]
            code = registry_code(value, enum)
            if code:
                record.fields[name] = code
                next_slot = index + 1
                break
        else:
            if who is None:
                raise DocumentError("Study Design", f"unrecognised line {line!r}")
            record.fields["who_masked"] = who


def _who_masked(text: str, line: str, strict: bool = True) -> list[str] | None:
    codes = [registry_code(part, choices.WhoMasked) for part in re.split(r"\s*[,;]\s*|\s+and\s+", text)]
    if codes and all(codes):
        return codes
    if strict:
        raise DocumentError("Study Design", f"unrecognised masked roles in {line!r}")
    return None
