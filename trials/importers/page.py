"""Reader for trial pages saved as plain text (the seed document's format).

A page starts with the title, ``NCT ID: ...`` and ``Last Updated: ...``
lines, then sections: a known heading, a one-line explanation of the section,
and the section's content, one fact or list item a line. Sections may be
empty or missing and lists may have any length; what a line means is read
from its shape (a registry code, a date, ``Role: ...``), not from its place
in one particular page.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .. import choices
from ..criteria import join_criteria
from ..ctgov.records import (
    ArmGroupRecord,
    IdentifierRecord,
    InterventionRecord,
    OfficialRecord,
    ReferenceRecord,
    RelatedTrialRecord,
    SiteRecord,
    SponsorRecord,
    TrialRecord,
)
from ..values import PartialDate, is_age, parse_age


class DocumentError(Exception):
    """A page that cannot be read, naming the section and what is wrong."""

    def __init__(self, section: str, message: str):
        self.section = section
        self.message = message
        super().__init__(f"{section}: {message}")


HEADINGS = (
    "Study Results",
    "Basic Information",
    "Brief Summary",
    "Related Clinical Trials",
    "Detailed Description",
    "Conditions",
    "Study Design",
    "Study Groups",
    "Interventions",
    "Other Intervention Names",
    "Eligibility Criteria",
    "Sponsors",
    "Responsible Party",
    "Principal Investigators",
    "Locations",
    "Countries",
    "References",
    "Other Identifiers",
    "More Related Trials",
)
HEADER = "Header"
# The page's own words when no results are posted.
NO_RESULTS_MARKERS = ("not published", "no results", "not yet")

NCT_ID = re.compile(r"^NCT\d{8}$", re.IGNORECASE)
_ENROLLMENT = re.compile(r"^(\d[\d,]*)\s+participants?(?:\s*\((actual|estimated|anticipated)\))?$", re.IGNORECASE)
_DATED = re.compile(r"^(\d{4}(?:-\d{2}){0,2})(?:\s*\((actual|estimated|anticipated)\))?$", re.IGNORECASE)
_LABELLED = re.compile(r"^([A-Za-z][A-Za-z /-]{1,40}):\s*(.*)$")
_DOI = re.compile(r"\bdoi:\s*(10\.\S+?)\.?(?=\s|$)", re.IGNORECASE)
_PMID = re.compile(r"\bPMID:?\s*(\d{1,9})\b")
_HEALTHY = {"yes": True, "no": False}
# A place line with a postal code ("Ann Arbor, Michigan, 48109, United States"): a site's
# address, never its facility's name, so a site listed without a facility is read as one.
_ZIPPED_PLACE = re.compile(r"^[^,]+(?:,[^,]+)*,[^,]*\d[^,]*,\s*[^,\d]+$")


def looks_like_page(text: str) -> bool:
    lines = [line.strip() for line in text.splitlines()[:5]]
    return any(line.upper().startswith("NCT ID:") for line in lines)


def _code(value: str, enum: type[choices.models.TextChoices]) -> str | None:
    """The registry code for a code or its label ("PHASE2", "Phase 2"); None if neither."""
    value = value.strip()
    normalized = value.upper().replace(" ", "_").replace("-", "_")
    for code, label in enum.choices:
        if code.upper() == normalized or label.casefold() == value.casefold():
            return code
    return None


def _date_type(word: str | None) -> str:
    if not word:
        return ""
    return choices.DateType.ACTUAL if word.lower() == "actual" else choices.DateType.ESTIMATED


def _unlabel(line: str) -> str:
    """``"Allocation: RANDOMIZED"`` → ``"RANDOMIZED"``; other lines unchanged."""
    match = _LABELLED.match(line)
    return match.group(2).strip() if match else line


class PageParser:
    def __init__(self, text: str):
        self.text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
        # What the page says that was kept but is worth a look; the import reports them.
        self.warnings: list[str] = []

    def parse(self) -> TrialRecord:
        header, sections = self._split()
        record = self._header(header)
        record.fields["has_results"] = self._has_results(sections.get("Study Results", []))
        for heading, read in self._readers().items():
            lines = sections.get(heading, [])
            try:
                read(record, lines)
            except DocumentError:
                raise
            except ValueError as error:
                raise DocumentError(heading, str(error)) from None
        return record

    def _readers(self) -> dict[str, Callable[[TrialRecord, list[str]], None]]:
        # Interventions come before the study groups that name them.
        return {
            "Basic Information": self._basic_information,
            "Brief Summary": self._brief_summary,
            "Detailed Description": self._detailed_description,
            "Conditions": self._conditions,
            "Study Design": self._design,
            "Interventions": self._interventions,
            "Other Intervention Names": self._other_names,
            "Study Groups": self._study_groups,
            "Eligibility Criteria": self._eligibility,
            "Sponsors": self._sponsors,
            "Responsible Party": self._responsible_party,
            "Principal Investigators": self._investigators,
            "Locations": self._locations,
            "References": self._references,
            "Other Identifiers": self._identifiers,
            "Related Clinical Trials": self._related(choices.RelatedTrialKind.LISTED),
            "More Related Trials": self._related(choices.RelatedTrialKind.SIMILAR),
        }

    # Structure

    def _split(self) -> tuple[list[str], dict[str, list[str]]]:
        lines = [line.strip() for line in self.text.split("\n")]
        header: list[str] = []
        sections: dict[str, list[str]] = {}
        current = header
        index = 0
        while index < len(lines):
            line = lines[index]
            if line in HEADINGS:
                if line in sections:
                    raise DocumentError(line, "the section appears twice")
                current = sections[line] = []
                # The line after a heading explains the section; Study Results
                # has no explanation, only its message.
                while index + 1 < len(lines) and not lines[index + 1]:
                    index += 1
                following = lines[index + 1] if index + 1 < len(lines) else ""
                if line != "Study Results" and following not in HEADINGS:
                    index += 1
            elif line:
                current.append(line)
            index += 1
        if not sections:
            raise DocumentError(HEADER, "no known section headings (is this a trial page?)")
        return header, sections

    def _header(self, lines: list[str]) -> TrialRecord:
        title = ""
        values: dict[str, str] = {}
        for line in lines:
            match = _LABELLED.match(line)
            if match and match.group(1).strip().lower() in {
                "nct id",
                "last updated",
                "official title",
                "acronym",
                "first posted",
            }:
                values[match.group(1).strip().lower()] = match.group(2).strip()
            elif not title:
                title = line
            else:
                raise DocumentError(HEADER, f"unexpected line {line!r}")
        if not title:
            raise DocumentError(HEADER, "the page has no title")
        nct_id = values.get("nct id", "").upper()
        if not NCT_ID.match(nct_id):
            raise DocumentError(HEADER, f"missing or malformed NCT ID {values.get('nct id', '')!r}")
        record = TrialRecord(nct_id=nct_id)
        record.fields.update(
            brief_title=title,
            official_title=values.get("official title", ""),
            acronym=values.get("acronym", ""),
        )
        for label, field in (("last updated", "last_update_posted_date"), ("first posted", "first_posted_date")):
            if label in values:
                try:
                    record.fields[field] = PartialDate.parse(values[label]).date
                except ValueError as error:
                    raise DocumentError(HEADER, f"{label.capitalize()}: {error}") from None
        return record

    @staticmethod
    def _has_results(lines: list[str]) -> bool:
        text = " ".join(lines).lower()
        return bool(text) and not any(marker in text for marker in NO_RESULTS_MARKERS)

    # Sections

    def _basic_information(self, record: TrialRecord, lines: list[str]) -> None:
        dates: list[tuple[str, PartialDate, str]] = []
        for line in lines:
            label, value = "", line
            match = _LABELLED.match(line)
            if match:
                label, value = match.group(1).strip().lower(), match.group(2).strip()
            status = _code(value, choices.OverallStatus)
            study_type = _code(value, choices.StudyType)
            phases = [_code(part, choices.Phase) for part in re.split(r"\s*[,/+|]\s*|\s+and\s+", value)]
            enrollment = _ENROLLMENT.match(value)
            dated = _DATED.match(value)
            if status and "phase" not in label:
                record.fields["overall_status"] = status
            elif study_type:
                record.fields["study_type"] = study_type
            elif phases and all(phases):
                record.fields["phases"] = phases
            elif enrollment:
                record.fields["enrollment_count"] = int(enrollment.group(1).replace(",", ""))
                record.fields["enrollment_type"] = _date_type(enrollment.group(2)) if enrollment.group(2) else ""
            elif dated:
                dates.append((label, PartialDate.parse(dated.group(1)), _date_type(dated.group(2))))
            else:
                raise DocumentError("Basic Information", f"unrecognised line {line!r}")
        if "overall_status" not in record.fields:
            raise DocumentError("Basic Information", "no overall status (e.g. RECRUITING)")
        if "study_type" not in record.fields:
            raise DocumentError("Basic Information", "no study type (INTERVENTIONAL or OBSERVATIONAL)")
        self._dates(record, dates)

    @staticmethod
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

    @staticmethod
    def _brief_summary(record: TrialRecord, lines: list[str]) -> None:
        record.fields["brief_summary"] = "\n\n".join(lines)

    @staticmethod
    def _detailed_description(record: TrialRecord, lines: list[str]) -> None:
        record.fields["detailed_description"] = "\n\n".join(lines)

    @staticmethod
    def _conditions(record: TrialRecord, lines: list[str]) -> None:
        record.conditions = lines

    def _design(self, record: TrialRecord, lines: list[str]) -> None:
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
            value = _unlabel(line)
            masked = re.match(r"^(\w+)\s*\((.*)\)$", value)
            if masked and _code(masked.group(1), choices.Masking):
                value = masked.group(1)
                record.fields["who_masked"] = self._who_masked(masked.group(2), line)
            # A labelled line ("Time Perspective: OTHER") fills its own slot: several
            # design enumerations share codes such as OTHER.
            labelled = _LABELLED.match(line)
            label = labelled.group(1).strip().lower() if labelled else ""
            if label in by_label:
                name, enum = slots[by_label[label]]
                code = _code(value, enum)
                if not code:
                    raise DocumentError("Study Design", f"unknown value in {line!r}")
                record.fields[name] = code
                next_slot = max(next_slot, by_label[label] + 1)
                continue
            who = self._who_masked(value, line, strict=False)
            for index in range(next_slot, len(slots)):
                name, enum = slots[index]
                code = _code(value, enum)
                if code:
                    record.fields[name] = code
                    next_slot = index + 1
                    break
            else:
                if who is None:
                    raise DocumentError("Study Design", f"unrecognised line {line!r}")
                record.fields["who_masked"] = who

    @staticmethod
    def _who_masked(text: str, line: str, strict: bool = True) -> list[str] | None:
        codes = [_code(part, choices.WhoMasked) for part in re.split(r"\s*[,;]\s*|\s+and\s+", text)]
        if codes and all(codes):
            return codes
        if strict:
            raise DocumentError("Study Design", f"unrecognised masked roles in {line!r}")
        return None

    @staticmethod
    def _interventions(record: TrialRecord, lines: list[str]) -> None:
        # Each intervention is its name ("Drug: X" or "X") then, if it has one,
        # its description. A typed name always starts an intervention, so one
        # without a description does not take the next one's name for it.
        current: InterventionRecord | None = None
        for line in lines:
            match = _LABELLED.match(line)
            intervention_type = _code(match.group(1), choices.InterventionType) if match else None
            if intervention_type or current is None or current.description:
                name = match.group(2).strip() if intervention_type else line
                current = InterventionRecord(name=name, type=intervention_type or "", description="")
                record.interventions.append(current)
            else:
                current.description = line

    def _other_names(self, record: TrialRecord, lines: list[str]) -> None:
        by_name = {intervention.name.casefold(): intervention for intervention in record.interventions}
        current = record.interventions[0] if len(record.interventions) == 1 else None
        unattributed: list[str] = []
        for line in lines:
            match = _LABELLED.match(line)
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
            self.warnings.append(
                f"section 'Other Intervention Names': {len(unattributed)} name"
                f"{'s' if len(unattributed) > 1 else ''} the page does not attribute to one intervention, "
                f"kept with the trial: {', '.join(unattributed)}"
            )

    def _study_groups(self, record: TrialRecord, lines: list[str]) -> None:
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
            reference = known.get(line.casefold()) or self._typed_reference(line, known)
            # An arm described by its intervention's name ("Deep Brain Stimulation V3",
            # then "Device: Deep Brain Stimulation V3"): the typed line is the reference.
            if (
                reference is not None
                and following is not None
                and line.casefold() in known
                and self._typed_reference(following, known) is reference
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
                    or self._typed_reference(following, known) is not None
                    or self._is_typed_arm(following)
                )
            ):
                reference = None
            if arm is not None and reference is not None:
                arm.intervention_names.append(reference.name)
                last_intervention = reference
            elif last_intervention is not None and line == last_intervention.description:
                continue  # the intervention's description, repeated under the arm
            elif arm is None or arm.intervention_names or self._is_typed_arm(line):
                # A typed label ("No Intervention: control") starts an arm even
                # after one without interventions.
                arm = self._arm(line)
                record.arm_groups.append(arm)
                last_intervention = None
            else:
                arm.description = f"{arm.description}\n{line}" if arm.description else line

    @staticmethod
    def _typed_reference(line: str, known: dict[str, InterventionRecord]) -> InterventionRecord | None:
        match = _LABELLED.match(line)
        if match and _code(match.group(1), choices.InterventionType):
            return known.get(match.group(2).strip().casefold())
        return None

    @staticmethod
    def _is_typed_arm(line: str) -> bool:
        match = _LABELLED.match(line)
        return bool(match and _code(match.group(1), choices.ArmGroupType))

    @staticmethod
    def _arm(line: str) -> ArmGroupRecord:
        match = _LABELLED.match(line)
        if match and _code(match.group(1), choices.ArmGroupType):
            return ArmGroupRecord(label=match.group(2).strip(), type=_code(match.group(1), choices.ArmGroupType))
        return ArmGroupRecord(label=line)

    def _eligibility(self, record: TrialRecord, lines: list[str]) -> None:
        facts = list(lines)
        ages: list[str] = []
        labelled_ages: dict[str, str] = {}
        # The facts follow the criteria: ages, sex, healthy volunteers.
        while facts:
            line = facts[-1]
            match = _LABELLED.match(line)
            label = match.group(1).strip().lower() if match else ""
            value = match.group(2).strip() if match else line
            if "healthy" in label or (not label and value.lower() in _HEALTHY):
                if value.lower() not in _HEALTHY:
                    raise DocumentError("Eligibility Criteria", f"healthy volunteers must be Yes or No: {line!r}")
                record.fields["healthy_volunteers"] = _HEALTHY[value.lower()]
            elif label in {"sex", "gender"} or (not label and _code(value, choices.Sex)):
                code = _code(value, choices.Sex)
                if not code:
                    raise DocumentError("Eligibility Criteria", f"unknown sex {line!r}")
                record.fields["sex"] = code
            elif label in {"minimum age", "maximum age"}:
                labelled_ages[label] = value
            elif not label and is_age(value):
                ages.insert(0, value)
            else:
                break
            facts.pop()
        if len(ages) > 2:
            raise DocumentError("Eligibility Criteria", f"{len(ages)} ages, expected a minimum and a maximum")
        minimum = labelled_ages.get("minimum age", ages[0] if ages else "")
        maximum = labelled_ages.get("maximum age", ages[1] if len(ages) > 1 else "")
        for field, value in (("minimum_age", minimum), ("maximum_age", maximum)):
            record.fields[field] = parse_age(value)[0]
        record.fields["eligibility_criteria"] = self._criteria_text(facts)

    @staticmethod
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

    @staticmethod
    def _sponsors(record: TrialRecord, lines: list[str]) -> None:
        for line in lines:
            agency_class = _code(line, choices.AgencyClass)
            if agency_class and record.sponsors and not record.sponsors[-1].agency_class:
                record.sponsors[-1].agency_class = agency_class
            else:
                # The first sponsor listed is the lead sponsor.
                record.sponsors.append(SponsorRecord(name=line, is_lead=not record.sponsors))

    @staticmethod
    def _responsible_party(record: TrialRecord, lines: list[str]) -> None:
        rest = []
        for line in lines:
            code = _code(_unlabel(line), choices.ResponsiblePartyType)
            if code and "responsible_party_type" not in record.fields:
                record.fields["responsible_party_type"] = code
            else:
                rest.append(line)
        if len(rest) > 3:
            raise DocumentError("Responsible Party", "expected at most a name, a title and an affiliation")
        if len(rest) == 2:
            rest.insert(1, "")
        fields = ("responsible_party_name", "responsible_party_title", "responsible_party_affiliation")
        record.fields.update(zip(fields, rest, strict=False))

    @staticmethod
    def _investigators(record: TrialRecord, lines: list[str]) -> None:
        for index, line in enumerate(lines):
            following = lines[index + 1] if index + 1 < len(lines) else ""
            if line.lower().startswith("role:"):
                if not record.officials or record.officials[-1].role:
                    raise DocumentError("Principal Investigators", f"{line!r} does not follow a name")
                role = _code(line.split(":", 1)[1], choices.OfficialRole)
                if not role:
                    raise DocumentError("Principal Investigators", f"unknown role in {line!r}")
                record.officials[-1].role = role
            elif (
                record.officials
                and record.officials[-1].role
                and not record.officials[-1].affiliation
                and not following.lower().startswith("role:")
            ):
                record.officials[-1].affiliation = line
            else:
                record.officials.append(OfficialRecord(name=line))

    @staticmethod
    def _locations(record: TrialRecord, lines: list[str]) -> None:
        pending: list[str] = []
        for line in lines:
            status = _code(line, choices.RecruitmentStatus)
            if status and record.sites and not pending:
                record.sites[-1].status = status
                continue
            if not pending and _ZIPPED_PLACE.match(line):
                # "City, State, ZIP, Country" with no facility before it.
                record.sites.append(SiteRecord(**_place(line)))
                continue
            pending.append(line)
            if len(pending) == 2:
                record.sites.append(SiteRecord(facility=pending[0], **_place(pending[1])))
                pending = []
        if pending:
            record.sites.append(SiteRecord(**_place(pending[0])))

    @staticmethod
    def _references(record: TrialRecord, lines: list[str]) -> None:
        for line in lines:
            doi = _DOI.search(line)
            pmid = _PMID.search(line)
            record.references.append(
                ReferenceRecord(citation=line, doi=doi.group(1) if doi else "", pmid=pmid.group(1) if pmid else "")
            )

    @staticmethod
    def _identifiers(record: TrialRecord, lines: list[str]) -> None:
        for line in lines:
            match = _LABELLED.match(line)
            label = match.group(1).strip().lower() if match else ""
            value = match.group(2).strip() if match else ""
            if label in {"identifier type", "identifier source"}:
                if not record.identifiers:
                    raise DocumentError("Other Identifiers", f"{line!r} does not follow an identifier")
                identifier = record.identifiers[-1]
                if label == "identifier type":
                    if value not in {"", "-"}:
                        code = _code(value, choices.SecondaryIdType)
                        if not code:
                            raise DocumentError("Other Identifiers", f"unknown identifier type in {line!r}")
                        identifier.type = code
                else:
                    source = _code(value, choices.IdentifierSource)
                    if not source:
                        raise DocumentError("Other Identifiers", f"unknown identifier source in {line!r}")
                    identifier.source = source
            else:
                record.identifiers.append(IdentifierRecord(identifier=line))

    @staticmethod
    def _related(kind: str) -> Callable[[TrialRecord, list[str]], None]:
        section = choices.RelatedTrialKind(kind).label

        def read(record: TrialRecord, lines: list[str]) -> None:
            title: list[str] = []
            for line in lines:
                if NCT_ID.match(line):
                    record.related_trials.append(
                        RelatedTrialRecord(nct_id=line.upper(), title=" ".join(title), kind=kind)
                    )
                    title = []
                else:
                    title.append(line)
            if title:
                raise DocumentError(section, f"{' '.join(title)!r} has no NCT ID")

        return read


def _place(line: str) -> dict[str, str]:
    """``"City, State, ZIP, Country"`` with the middle parts optional."""
    parts = [part.strip() for part in line.split(",") if part.strip()]
    if len(parts) == 1:
        return {"country": parts[0]}
    place = {"city": parts[0], "country": parts[-1]}
    middle = parts[1:-1]
    if middle and any(character.isdigit() for character in middle[-1]):
        place["zip"] = middle.pop()
    if middle:
        place["state"] = ", ".join(middle)
    return place


def parse_page(text: str) -> TrialRecord:
    return PageParser(text).parse()
