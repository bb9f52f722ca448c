"""Readers of interventions, their other names, and the study groups (arms) that name them."""

from __future__ import annotations

from ... import choices
from ...ctgov.records import ArmGroupRecord, InterventionRecord, TrialRecord
from .shapes import LABELLED, registry_code


def read_interventions(record: TrialRecord, lines: list[str]) -> None:
    # Each intervention is its name ("Drug: X" or "X") then, if it has one,
    # its description. A typed name always starts an intervention, so one
    # without a description does not take the next one's name for it.
    current: InterventionRecord | None = None
    for line in lines:
        match = LABELLED.match(line)
        intervention_type = registry_code(match.group(1), choices.InterventionType) if match else None
        if intervention_type or current is None or current.description:
            name = match.group(2).strip() if intervention_type else line
            current = InterventionRecord(name=name, type=intervention_type or "", description="")
            record.interventions.append(current)
        else:
            current.description = line


def read_other_names(record: TrialRecord, lines: list[str]) -> list[str]:
    """Attributes other names to interventions; returns the warnings for names it cannot."""
    by_name = {intervention.name.casefold(): intervention for intervention in record.interventions}
    current = record.interventions[0] if len(record.interventions) == 1 else None
    unattributed: list[str] = []
    for line in lines:
        match = LABELLED.match(line)
        if match and match.group(1).strip().casefold() in by_name:
            target = by_name[match.group(1).strip().casefold()]
            target.other_names += [name.strip() for name in match.group(2).split(",") if name.strip()]
        elif line.casefold() in by_name:
            current = by_name[line.casefold()]
        elif current is not None:
            current.other_names.append(line)
        else:
            unattributed.append(line)
    if unattributed:
        # A flat list beside several interventions says nothing of which
        # name is whose: the names stay with the trial rather than the
        # trial being refused over a guess it would have to make.
        record.fields["other_intervention_names"] = unattributed
        return [
            f"section 'Other Intervention Names': {len(unattributed)} name"
            f"{'s' if len(unattributed) > 1 else ''} the page does not attribute to one intervention, "
            f"kept with the trial: {', '.join(unattributed)}"
        ]
    return []


def read_study_groups(record: TrialRecord, lines: list[str]) -> None:
    known = {}
    for intervention in record.interventions:
        known[intervention.name.casefold()] = intervention
        if intervention.type:
            label = choices.InterventionType(intervention.type).label
            known[f"{label}: {intervention.name}".casefold()] = intervention
    arm: ArmGroupRecord | None = None
    last_intervention: InterventionRecord | None = None
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else None
        reference = known.get(line.casefold()) or _typed_reference(line, known)
        # An arm described by its intervention's name ("Deep Brain Stimulation V3",
        # then "Device: Deep Brain Stimulation V3"): the typed line is the reference.
        if (
            reference is not None
            and following is not None
            and line.casefold() in known
            and _typed_reference(following, known) is reference
        ):
            reference = None
        # After an arm's interventions, an intervention's bare name may start
        # the next arm ("Placebo" arm, "Placebo" drug): it names an
        # intervention only if what follows is its description, another
        # intervention, a typed arm or the end. A typed name ("Drug: X") is
        # always a reference.
        if (
            reference is not None
            and arm is not None
            and arm.intervention_names
            and line.casefold() in known
            and not (
                following is None
                or following == reference.description
                or not reference.description
                or following.casefold() in known
                or _typed_reference(following, known) is not None
                or _is_typed_arm(following)
            )
        ):
            reference = None
        if arm is not None and reference is not None:
            arm.intervention_names.append(reference.name)
            last_intervention = reference
        elif last_intervention is not None and line == last_intervention.description:
            continue  # the intervention's description, repeated under the arm
        elif arm is None or arm.intervention_names or _is_typed_arm(line):
            # A typed label ("No Intervention: control") starts an arm even
            # after one without interventions.
            arm = _arm(line)
            record.arm_groups.append(arm)
            last_intervention = None
        else:
            arm.description = f"{arm.description}\n{line}" if arm.description else line


def _typed_reference(line: str, known: dict[str, InterventionRecord]) -> InterventionRecord | None:
    match = LABELLED.match(line)
    if match and registry_code(match.group(1), choices.InterventionType):
        return known.get(match.group(2).strip().casefold())
    return None


def _is_typed_arm(line: str) -> bool:
    match = LABELLED.match(line)
    return bool(match and registry_code(match.group(1), choices.ArmGroupType))


def _arm(line: str) -> ArmGroupRecord:
    match = LABELLED.match(line)
    if match and registry_code(match.group(1), choices.ArmGroupType):
        return ArmGroupRecord(label=match.group(2).strip(), type=registry_code(match.group(1), choices.ArmGroupType))
    return ArmGroupRecord(label=line)
