"""ClinicalTrials.gov API v2 ↔ TrialPortal: one mapping, declared as data.

Each row names a model field (or record attribute), where the element sits
in a study's JSON, and how its value is converted. The JSON reader
(``study_to_record``), the export (``trial_to_study``, used by ``/api/v2``)
and the round-trip test all read these rows, so a field is mapped once.
"""

from __future__ import annotations

import datetime
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from .importers.records import (
    ArmGroupRecord,
    IdentifierRecord,
    InterventionRecord,
    MeshTermRecord,
    OfficialRecord,
    ReferenceRecord,
    SiteRecord,
    SponsorRecord,
    TrialRecord,
)
from .values import PartialDate

logger = logging.getLogger(__name__)

ID = "protocolSection.identificationModule"
STATUS = "protocolSection.statusModule"
SPONSORS = "protocolSection.sponsorCollaboratorsModule"
DESCRIPTION = "protocolSection.descriptionModule"
CONDITIONS = "protocolSection.conditionsModule"
DESIGN = "protocolSection.designModule"
ARMS = "protocolSection.armsInterventionsModule"
ELIGIBILITY = "protocolSection.eligibilityModule"
CONTACTS = "protocolSection.contactsLocationsModule"
REFERENCES = "protocolSection.referencesModule"
CONDITION_BROWSE = "derivedSection.conditionBrowseModule"
INTERVENTION_BROWSE = "derivedSection.interventionBrowseModule"


@dataclass(frozen=True)
class Element:
    """One element: model field ← JSON path, of a kind that says how to convert it.

    Kinds: ``text``, ``int``, ``float``, ``bool``, ``list`` (of strings),
    ``date`` (a full ISO date stored in a DateField).
    """

    field: str
    path: str
    kind: str = "text"


@dataclass(frozen=True)
class PartialDateElement:
    """A ``{date, type}`` struct stored as ``<name>_date``, ``_precision`` and ``_type``."""

    name: str
    path: str


@dataclass(frozen=True)
class ChildList:
    """A list of objects (or one object, when ``single``) that become a record's children.

    ``fixed`` values set on every item tell apart lists that share an
    attribute (the lead sponsor and the collaborators).
    """

    attribute: str
    path: str
    record: type
    elements: tuple[Element, ...]
    single: bool = False
    fixed: dict[str, Any] = field(default_factory=dict)


TRIAL_ELEMENTS: tuple[Element, ...] = (
    Element("nct_id", f"{ID}.nctId"),
    Element("brief_title", f"{ID}.briefTitle"),
    Element("official_title", f"{ID}.officialTitle"),
    Element("acronym", f"{ID}.acronym"),
    Element("organization_name", f"{ID}.organization.fullName"),
    Element("organization_class", f"{ID}.organization.class"),
    Element("status_verified_date", f"{STATUS}.statusVerifiedDate"),
    Element("overall_status", f"{STATUS}.overallStatus"),
    Element("last_known_status", f"{STATUS}.lastKnownStatus"),
    Element("why_stopped", f"{STATUS}.whyStopped"),
    Element("first_submitted_date", f"{STATUS}.studyFirstSubmitDate", "date"),
    Element("first_posted_date", f"{STATUS}.studyFirstPostDateStruct.date", "date"),
    Element("first_posted_date_type", f"{STATUS}.studyFirstPostDateStruct.type"),
    Element("last_update_submitted_date", f"{STATUS}.lastUpdateSubmitDate", "date"),
    Element("last_update_posted_date", f"{STATUS}.lastUpdatePostDateStruct.date", "date"),
    Element("last_update_posted_date_type", f"{STATUS}.lastUpdatePostDateStruct.type"),
    Element("responsible_party_type", f"{SPONSORS}.responsibleParty.type"),
    Element("responsible_party_name", f"{SPONSORS}.responsibleParty.investigatorFullName"),
    Element("responsible_party_title", f"{SPONSORS}.responsibleParty.investigatorTitle"),
    Element("responsible_party_affiliation", f"{SPONSORS}.responsibleParty.investigatorAffiliation"),
    Element("responsible_party_old_name_title", f"{SPONSORS}.responsibleParty.oldNameTitle"),
    Element("responsible_party_old_organization", f"{SPONSORS}.responsibleParty.oldOrganization"),
    Element("brief_summary", f"{DESCRIPTION}.briefSummary"),
    Element("detailed_description", f"{DESCRIPTION}.detailedDescription"),
    Element("keywords", f"{CONDITIONS}.keywords", "list"),
    Element("study_type", f"{DESIGN}.studyType"),
    Element("phases", f"{DESIGN}.phases", "list"),
    Element("allocation", f"{DESIGN}.designInfo.allocation"),
    Element("intervention_model", f"{DESIGN}.designInfo.interventionModel"),
    Element("intervention_model_description", f"{DESIGN}.designInfo.interventionModelDescription"),
    Element("primary_purpose", f"{DESIGN}.designInfo.primaryPurpose"),
    Element("observational_model", f"{DESIGN}.designInfo.observationalModel"),
    Element("time_perspective", f"{DESIGN}.designInfo.timePerspective"),
    Element("masking", f"{DESIGN}.designInfo.maskingInfo.masking"),
    Element("masking_description", f"{DESIGN}.designInfo.maskingInfo.maskingDescription"),
    Element("who_masked", f"{DESIGN}.designInfo.maskingInfo.whoMasked", "list"),
    Element("enrollment_count", f"{DESIGN}.enrollmentInfo.count", "int"),
    Element("enrollment_type", f"{DESIGN}.enrollmentInfo.type"),
    Element("eligibility_criteria", f"{ELIGIBILITY}.eligibilityCriteria"),
    Element("healthy_volunteers", f"{ELIGIBILITY}.healthyVolunteers", "bool"),
    Element("sex", f"{ELIGIBILITY}.sex"),
    Element("gender_based", f"{ELIGIBILITY}.genderBased", "bool"),
    Element("gender_description", f"{ELIGIBILITY}.genderDescription"),
    Element("minimum_age", f"{ELIGIBILITY}.minimumAge"),
    Element("maximum_age", f"{ELIGIBILITY}.maximumAge"),
    Element("std_ages", f"{ELIGIBILITY}.stdAges", "list"),
    Element("study_population", f"{ELIGIBILITY}.studyPopulation"),
    Element("sampling_method", f"{ELIGIBILITY}.samplingMethod"),
    Element("has_results", "hasResults", "bool"),
)

PARTIAL_DATES: tuple[PartialDateElement, ...] = (
    PartialDateElement("start", f"{STATUS}.startDateStruct"),
    PartialDateElement("primary_completion", f"{STATUS}.primaryCompletionDateStruct"),
    PartialDateElement("completion", f"{STATUS}.completionDateStruct"),
)

# Record attributes that are plain lists of strings.
RECORD_LISTS: tuple[Element, ...] = (Element("conditions", f"{CONDITIONS}.conditions", "list"),)

CHILD_LISTS: tuple[ChildList, ...] = (
    ChildList(
        "identifiers",
        f"{ID}.orgStudyIdInfo",
        IdentifierRecord,
        (Element("identifier", "id"), Element("type", "type"), Element("link", "link")),
        single=True,
        fixed={"source": "org_study_id"},
    ),
    ChildList(
        "identifiers",
        f"{ID}.secondaryIdInfos",
        IdentifierRecord,
        (
            Element("identifier", "id"),
            Element("type", "type"),
            Element("domain", "domain"),
            Element("link", "link"),
        ),
        fixed={"source": "secondary_id"},
    ),
    ChildList(
        "sponsors",
        f"{SPONSORS}.leadSponsor",
        SponsorRecord,
        (Element("name", "name"), Element("agency_class", "class")),
        single=True,
        fixed={"is_lead": True},
    ),
    ChildList(
        "sponsors",
        f"{SPONSORS}.collaborators",
        SponsorRecord,
        (Element("name", "name"), Element("agency_class", "class")),
        fixed={"is_lead": False},
    ),
    ChildList(
        "arm_groups",
        f"{ARMS}.armGroups",
        ArmGroupRecord,
        (
            Element("label", "label"),
            Element("type", "type"),
            Element("description", "description"),
            Element("intervention_names", "interventionNames", "list"),
        ),
    ),
    ChildList(
        "interventions",
        f"{ARMS}.interventions",
        InterventionRecord,
        (
            Element("type", "type"),
            Element("name", "name"),
            Element("description", "description"),
            Element("arm_group_labels", "armGroupLabels", "list"),
            Element("other_names", "otherNames", "list"),
        ),
    ),
    ChildList(
        "officials",
        f"{CONTACTS}.overallOfficials",
        OfficialRecord,
        (Element("name", "name"), Element("affiliation", "affiliation"), Element("role", "role")),
    ),
    ChildList(
        "sites",
        f"{CONTACTS}.locations",
        SiteRecord,
        (
            Element("facility", "facility"),
            Element("status", "status"),
            Element("city", "city"),
            Element("state", "state"),
            Element("zip", "zip"),
            Element("country", "country"),
            Element("latitude", "geoPoint.lat", "float"),
            Element("longitude", "geoPoint.lon", "float"),
        ),
    ),
    ChildList(
        "references",
        f"{REFERENCES}.references",
        ReferenceRecord,
        (Element("pmid", "pmid"), Element("type", "type"), Element("citation", "citation")),
    ),
    *(
        ChildList(
            "mesh_terms",
            f"{module}.{key}",
            MeshTermRecord,
            (Element("mesh_id", "id"), Element("term", "term")),
            fixed={"domain": domain, "is_ancestor": key == "ancestors"},
        )
        for module, domain in ((CONDITION_BROWSE, "CONDITION"), (INTERVENTION_BROWSE, "INTERVENTION"))
        for key in ("meshes", "ancestors")
    ),
)

# Every JSON path the models hold: what the round-trip test compares.
COVERED_PATHS: tuple[str, ...] = (
    *(element.path for element in TRIAL_ELEMENTS),
    *(f"{date.path}.{part}" for date in PARTIAL_DATES for part in ("date", "type")),
    *(element.path for element in RECORD_LISTS),
    *(f"{child.path}[].{element.path}" for child in CHILD_LISTS for element in child.elements),
)

_DOI = re.compile(r"\bdoi:\s*(10\.\S+?)\.?(?=\s|$)", re.IGNORECASE)
_EMPTY = (None, "", [])


class StudyError(ValueError):
    """A study JSON object that is not shaped like a ClinicalTrials.gov study."""


_PATH_PARTS: dict[str, tuple[str, ...]] = {}


def get_path(data: Any, path: str) -> Any:
    parts = _PATH_PARTS.get(path)
    if parts is None:
        parts = _PATH_PARTS[path] = tuple(path.split("."))
    for part in parts:
        if data.__class__ is not dict:
            return None
        data = data.get(part)
    return data


def set_path(data: dict, path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    data[last] = value


def _read(value: Any, kind: str, path: str) -> Any:
    if value is None:
        return None
    if kind == "list":
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise StudyError(f"{path}: expected a list of strings")
        return list(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise StudyError(f"{path}: expected true or false, got {value!r}")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise StudyError(f"{path}: expected a whole number, got {value!r}")
        return value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise StudyError(f"{path}: expected a number, got {value!r}")
        return float(value)
    if kind == "date":
        try:
            return datetime.date.fromisoformat(value)
        except (TypeError, ValueError):
            raise StudyError(f"{path}: expected a date (YYYY-MM-DD), got {value!r}") from None
    if not isinstance(value, str):
        raise StudyError(f"{path}: expected text, got {type(value).__name__}")
    return value


def _write(value: Any, kind: str) -> Any:
    if kind == "date" and value is not None:
        return value.isoformat()
    if kind == "list":
        return list(value)
    return value


_EMPTY_BY_KIND = {"list": [], "bool": None, "int": None, "float": None, "date": None}


def study_to_record(study: Any) -> TrialRecord:
    """Read one API v2 study object; ``StudyError`` says what is wrong with it."""
    if not isinstance(study, dict) or not isinstance(study.get("protocolSection"), dict):
        raise StudyError("not a study: no protocolSection object")
    nct_id = get_path(study, f"{ID}.nctId")
    if not isinstance(nct_id, str) or not nct_id:
        raise StudyError(f"{ID}.nctId is missing")
    record = TrialRecord(nct_id=nct_id)
    for element in TRIAL_ELEMENTS[1:]:
        value = _read(get_path(study, element.path), element.kind, element.path)
        record.fields[element.field] = _EMPTY_BY_KIND.get(element.kind, "") if value is None else value
    for date in PARTIAL_DATES:
        struct = get_path(study, date.path)
        if struct is None:
            record.set_date(date.name, None)
            continue
        if not isinstance(struct, dict):
            raise StudyError(f"{date.path}: expected an object with a date")
        try:
            parsed = PartialDate.parse(_read(struct.get("date"), "text", f"{date.path}.date") or "")
        except ValueError as error:
            raise StudyError(f"{date.path}.date: {error}") from None
        record.set_date(date.name, parsed, _read(struct.get("type"), "text", f"{date.path}.type") or "")
    record.conditions = _read(get_path(study, RECORD_LISTS[0].path), "list", RECORD_LISTS[0].path) or []
    for child in CHILD_LISTS:
        items = get_path(study, child.path)
        if items is None:
            continue
        if child.single:
            items = [items]
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise StudyError(f"{child.path}: expected {'an object' if child.single else 'a list of objects'}")
        for item in items:
            values = {}
            for element in child.elements:
                value = _read(get_path(item, element.path), element.kind, f"{child.path}[].{element.path}")
                values[element.field] = _EMPTY_BY_KIND.get(element.kind, "") if value is None else value
            getattr(record, child.attribute).append(child.record(**values, **child.fixed))
    for reference in record.references:
        doi = _DOI.search(reference.citation)
        reference.doi = doi.group(1) if doi else ""
    return record


def trial_to_study(trial) -> dict:
    """The trial in API v2 shape, for every element we hold.

    ``trial`` comes from ``Trial.objects.for_detail()``; empty elements are
    left out, as the registry leaves them out.
    """
    study: dict = {}
    for element in TRIAL_ELEMENTS:
        value = getattr(trial, element.field)
        if value not in _EMPTY:
            set_path(study, element.path, _write(value, element.kind))
    for date in PARTIAL_DATES:
        partial = getattr(trial, date.name)
        if partial:
            struct = {"date": partial.isoformat()}
            if getattr(trial, f"{date.name}_date_type"):
                struct["type"] = getattr(trial, f"{date.name}_date_type")
            set_path(study, date.path, struct)
    if trial.condition_names:
        set_path(study, RECORD_LISTS[0].path, trial.condition_names)
    children = _children_as_json(trial)
    for child in CHILD_LISTS:
        items = []
        for item in children[child.attribute]:
            if any(item[name] != value for name, value in child.fixed.items()):
                continue
            entry: dict = {}
            for element in child.elements:
                value = item[element.field]
                if value not in _EMPTY:
                    set_path(entry, element.path, _write(value, element.kind))
            items.append(entry)
        if items:
            set_path(study, child.path, items[0] if child.single else items)
    return study


def _children_as_json(trial) -> dict[str, list[dict]]:
    """A trial's children as plain dictionaries keyed by record field names."""
    arms = list(trial.arm_groups.all())
    interventions = list(trial.interventions.all())
    links = [link for arm in arms for link in arm.intervention_links.all()]
    by_id = {item.pk: item for item in interventions}
    arm_by_id = {arm.pk: arm for arm in arms}

    def intervention_name(intervention) -> str:
        if intervention.type:
            return f"{intervention.get_type_display()}: {intervention.name}"
        return intervention.name

    def fields(instance, names):
        return {name: getattr(instance, name) for name in names}

    return {
        "identifiers": [
            fields(item, ("identifier", "type", "domain", "link", "source")) for item in trial.identifiers.all()
        ],
        "sponsors": [fields(item, ("name", "agency_class", "is_lead")) for item in trial.sponsors.all()],
        "arm_groups": [
            {
                **fields(arm, ("label", "type", "description")),
                # Two interventions of the same name are named once, as the registry does.
                "intervention_names": list(
                    dict.fromkeys(
                        intervention_name(by_id[link.intervention_id]) for link in arm.intervention_links.all()
                    )
                ),
            }
            for arm in arms
        ],
        "interventions": [
            {
                **fields(item, ("type", "name", "description", "other_names")),
                "arm_group_labels": [
                    arm_by_id[link.arm_group_id].label
                    for link in sorted(
                        (link for link in links if link.intervention_id == item.pk),
                        key=lambda link: link.label_position,
                    )
                ],
            }
            for item in interventions
        ],
        "officials": [fields(item, ("name", "affiliation", "role")) for item in trial.officials.all()],
        "sites": [
            fields(item, ("facility", "status", "city", "state", "zip", "country", "latitude", "longitude"))
            for item in trial.sites.all()
        ],
        "references": [fields(item, ("pmid", "type", "citation")) for item in trial.references.all()],
        "mesh_terms": [fields(item, ("mesh_id", "term", "domain", "is_ancestor")) for item in trial.mesh_terms.all()],
    }
