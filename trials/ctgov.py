"""ClinicalTrials.gov API v2 ↔ TrialPortal: one mapping, declared as data.

Each row names a model field (or record attribute), where the element sits
in a study's JSON, and how its value is converted. The JSON reader
(``study_to_record``), the export (``export_studies``, used by ``/api/v2``)
and the round-trip test all read these rows, so a field is mapped once.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from . import choices
from .ctgov_json import Element, ObjectReader, ObjectWriter, StudyError, get_path, set_path
from .ctgov_json import read_value as _read
from .importers.records import (
    ArmGroupRecord,
    ContactRecord,
    DocumentRecord,
    IdentifierRecord,
    InterventionRecord,
    MeshTermRecord,
    OfficialRecord,
    OutcomeMeasureRecord,
    ReferenceRecord,
    SiteRecord,
    SponsorRecord,
    TrialRecord,
)
from .results import BASELINE as BASELINE_MODULE
from .results import (
    COVERED_RESULT_PATHS,
    EVENTS,
    FLOW,
    MORE_INFO,
    read_results,
    record_rows,
    results_json,
    stored_rows_for,
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
OUTCOMES = "protocolSection.outcomesModule"
OVERSIGHT = "protocolSection.oversightModule"
IPD = "protocolSection.ipdSharingStatementModule"
LARGE_DOCUMENTS = "documentSection.largeDocumentModule"


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
    # Lists nested in each item of another list (a site's contacts): that list's attribute.
    within: str = ""


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
    Element("oversight_has_dmc", f"{OVERSIGHT}.oversightHasDmc", "bool"),
    Element("is_fda_regulated_drug", f"{OVERSIGHT}.isFdaRegulatedDrug", "bool"),
    Element("is_fda_regulated_device", f"{OVERSIGHT}.isFdaRegulatedDevice", "bool"),
    Element("is_unapproved_device", f"{OVERSIGHT}.isUnapprovedDevice", "bool"),
    Element("is_ppsd", f"{OVERSIGHT}.isPpsd", "bool"),
    Element("is_us_export", f"{OVERSIGHT}.isUsExport", "bool"),
    Element("fdaaa801_violation", f"{OVERSIGHT}.fdaaa801Violation", "bool"),
    Element("ipd_sharing", f"{IPD}.ipdSharing"),
    Element("ipd_description", f"{IPD}.description"),
    Element("ipd_info_types", f"{IPD}.infoTypes", "list"),
    Element("ipd_time_frame", f"{IPD}.timeFrame"),
    Element("ipd_access_criteria", f"{IPD}.accessCriteria"),
    Element("ipd_url", f"{IPD}.url"),
    Element("no_sap", f"{LARGE_DOCUMENTS}.noSap", "bool"),
    Element("has_results", "hasResults", "bool"),
    Element("flow_pre_assignment_details", f"{FLOW}.preAssignmentDetails"),
    Element("flow_recruitment_details", f"{FLOW}.recruitmentDetails"),
    Element("flow_type_units_analyzed", f"{FLOW}.typeUnitsAnalyzed"),
    Element("baseline_population_description", f"{BASELINE_MODULE}.populationDescription"),
    Element("baseline_type_units_analyzed", f"{BASELINE_MODULE}.typeUnitsAnalyzed"),
    Element("events_frequency_threshold", f"{EVENTS}.frequencyThreshold"),
    Element("events_time_frame", f"{EVENTS}.timeFrame"),
    Element("events_description", f"{EVENTS}.description"),
    Element("events_all_cause_mortality_comment", f"{EVENTS}.allCauseMortalityComment"),
    Element("limitations_and_caveats", f"{MORE_INFO}.limitationsAndCaveats.description"),
    Element("agreement_pi_sponsor_employee", f"{MORE_INFO}.certainAgreement.piSponsorEmployee", "bool"),
    Element("agreement_restriction_type", f"{MORE_INFO}.certainAgreement.restrictionType"),
    Element("agreement_restrictive", f"{MORE_INFO}.certainAgreement.restrictiveAgreement", "bool"),
    Element("agreement_other_details", f"{MORE_INFO}.certainAgreement.otherDetails"),
    Element("results_contact_title", f"{MORE_INFO}.pointOfContact.title"),
    Element("results_contact_organization", f"{MORE_INFO}.pointOfContact.organization"),
    Element("results_contact_email", f"{MORE_INFO}.pointOfContact.email"),
    Element("results_contact_phone", f"{MORE_INFO}.pointOfContact.phone"),
    Element("results_contact_phone_ext", f"{MORE_INFO}.pointOfContact.phoneExt"),
)

PARTIAL_DATES: tuple[PartialDateElement, ...] = (
    PartialDateElement("start", f"{STATUS}.startDateStruct"),
    PartialDateElement("primary_completion", f"{STATUS}.primaryCompletionDateStruct"),
    PartialDateElement("completion", f"{STATUS}.completionDateStruct"),
)

# Record attributes that are plain lists of strings.
RECORD_LISTS: tuple[Element, ...] = (Element("conditions", f"{CONDITIONS}.conditions", "list"),)

CONTACT_ELEMENTS = (
    Element("name", "name"),
    Element("role", "role"),
    Element("phone", "phone"),
    Element("phone_ext", "phoneExt"),
    Element("email", "email"),
)

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
    ChildList("contacts", f"{CONTACTS}.centralContacts", ContactRecord, CONTACT_ELEMENTS, fixed={"site": None}),
    # After "sites": these go inside the locations they belong to.
    ChildList("contacts", "contacts", ContactRecord, CONTACT_ELEMENTS, within="sites"),
    *(
        ChildList(
            "outcome_measures",
            f"{OUTCOMES}.{key}",
            OutcomeMeasureRecord,
            (
                Element("measure", "measure"),
                Element("description", "description"),
                Element("time_frame", "timeFrame"),
            ),
            fixed={"kind": kind},
        )
        for key, kind in (
            ("primaryOutcomes", "PRIMARY"),
            ("secondaryOutcomes", "SECONDARY"),
            ("otherOutcomes", "OTHER"),
        )
    ),
    ChildList(
        "documents",
        f"{LARGE_DOCUMENTS}.largeDocs",
        DocumentRecord,
        (
            Element("type_abbrev", "typeAbbrev"),
            Element("has_protocol", "hasProtocol", "bool"),
            Element("has_sap", "hasSap", "bool"),
            Element("has_icf", "hasIcf", "bool"),
            Element("label", "label"),
            Element("date", "date"),
            Element("upload_date", "uploadDate"),
            Element("filename", "filename"),
            Element("size", "size", "int"),
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


def _list_path(child: ChildList) -> str:
    if not child.within:
        return child.path
    outer = next(other for other in CHILD_LISTS if other.attribute == child.within)
    return f"{outer.path}[].{child.path}"


# Every JSON path the models hold: what the round-trip test compares.
COVERED_PATHS: tuple[str, ...] = (
    *(element.path for element in TRIAL_ELEMENTS),
    *(f"{date.path}.{part}" for date in PARTIAL_DATES for part in ("date", "type")),
    *(element.path for element in RECORD_LISTS),
    *(f"{_list_path(child)}[].{element.path}" for child in CHILD_LISTS for element in child.elements),
    *COVERED_RESULT_PATHS,
)

_DOI = re.compile(r"\bdoi:\s*(10\.\S+?)\.?(?=\s|$)", re.IGNORECASE)


def project(study: Any, path: str) -> Any:
    """The value at a covered path; ``a[].b`` lists ``b`` of every item of ``a``, nested lists nest."""
    if "[]" not in path:
        return get_path(study, path)
    list_path, item_path = path.split("[].", 1)
    items = get_path(study, list_path)
    if items is None:
        return None
    return [project(item, item_path) for item in (items if isinstance(items, list) else [items])]


# Readers for the rows above, each built once (see ``ObjectReader``).
_TRIAL_READER = ObjectReader(TRIAL_ELEMENTS[1:])
_CHILD_READERS = {id(child): ObjectReader(child.elements) for child in CHILD_LISTS}
_OUTER_LISTS = {
    id(child): next(other for other in CHILD_LISTS if other.attribute == child.within)
    for child in CHILD_LISTS
    if child.within
}


def study_to_record(study: Any) -> TrialRecord:
    """Read one API v2 study object; ``StudyError`` says what is wrong with it."""
    if not isinstance(study, dict) or not isinstance(study.get("protocolSection"), dict):
        raise StudyError("not a study: no protocolSection object")
    nct_id = get_path(study, f"{ID}.nctId")
    if not isinstance(nct_id, str) or not nct_id:
        raise StudyError(f"{ID}.nctId is missing")
    record = TrialRecord(nct_id=nct_id)
    record.fields = _TRIAL_READER.read(study)
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
        if child.within:
            outer = _OUTER_LISTS[id(child)]
            # Already checked as a list of objects when the outer list was read.
            for index, outer_item in enumerate(get_path(study, outer.path) or []):
                _read_items(record, child, get_path(outer_item, child.path), f"{outer.path}[].{child.path}", index)
        else:
            _read_items(record, child, get_path(study, child.path), child.path)
    for reference in record.references:
        doi = _DOI.search(reference.citation)
        reference.doi = doi.group(1) if doi else ""
    record.results = read_results(study)
    return record


def _read_items(record: TrialRecord, child: ChildList, items: Any, path: str, within: int | None = None) -> None:
    if items is None:
        return
    if child.single:
        items = [items]
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise StudyError(f"{path}: expected {'an object' if child.single else 'a list of objects'}")
    reader, make, fixed = _CHILD_READERS[id(child)], child.record, child.fixed
    target = getattr(record, child.attribute)
    where = f"{path}[]."
    for item in items:
        values = reader.read(item, where)
        if child.within:
            values["site"] = within
        target.append(make(**values, **fixed))


def trial_to_study(trial) -> dict:
    """The trial in API v2 shape, for every element we hold (see ``export_studies``)."""
    return export_studies([trial.pk])[0]


# Each child list's columns, as the export reads them (record field names).
_CHILD_COLUMNS: dict[str, tuple[str, ...]] = {
    "identifiers": ("identifier", "type", "domain", "link", "source"),
    "sponsors": ("name", "agency_class", "is_lead"),
    "arm_groups": ("id", "label", "type", "description"),
    "interventions": ("id", "type", "name", "description", "other_names"),
    "officials": ("name", "affiliation", "role"),
    "sites": ("id", "facility", "status", "city", "state", "zip", "country", "latitude", "longitude"),
    "references": ("pmid", "type", "citation"),
    "mesh_terms": ("mesh_id", "term", "domain", "is_ancestor"),
    "outcome_measures": ("kind", "measure", "description", "time_frame"),
    "contacts": ("name", "role", "phone", "phone_ext", "email", "site_id"),
    "documents": (
        "type_abbrev",
        "has_protocol",
        "has_sap",
        "has_icf",
        "label",
        "date",
        "upload_date",
        "filename",
        "size",
    ),
}
_TRIAL_COLUMNS: tuple[str, ...] = tuple(
    dict.fromkeys(
        [
            *(element.field for element in TRIAL_ELEMENTS),
            *(f"{date.name}_date{part}" for date in PARTIAL_DATES for part in ("", "_precision", "_type")),
        ]
    )
)


def export_studies(trial_ids: list[int]) -> list[dict]:
    """These trials in API v2 shape, in the order given; empty elements left out, as the registry does.

    Built from plain rows, one query per table whatever the number of trials:
    an API page of 1,000 studies reads no model instances.
    """
    from . import models

    if not trial_ids:
        return []
    trials = {
        values[0]: dict(zip(_TRIAL_COLUMNS, values[1:], strict=True))
        for values in models.Trial.objects.filter(id__any_of=trial_ids).values_list("id", *_TRIAL_COLUMNS)
    }
    children: dict[int, dict[str, list[dict]]] = {pk: {name: [] for name in _CHILD_COLUMNS} for pk in trials}
    for attribute, model in (
        ("identifiers", models.Identifier),
        ("sponsors", models.Sponsor),
        ("arm_groups", models.ArmGroup),
        ("interventions", models.Intervention),
        ("officials", models.Official),
        ("sites", models.Site),
        ("references", models.Reference),
        ("mesh_terms", models.MeshTerm),
        ("outcome_measures", models.OutcomeMeasure),
        ("contacts", models.Contact),
        ("documents", models.Document),
    ):
        columns = _CHILD_COLUMNS[attribute]
        query = model.objects.filter(trial_id__any_of=trials).order_by("trial_id", "position", "id")
        for trial_id, *values in query.values_list("trial_id", *columns):
            children[trial_id][attribute].append(dict(zip(columns, values, strict=True)))
    conditions: dict[int, list[str]] = {pk: [] for pk in trials}
    for trial_id, name in (
        models.TrialCondition.objects.filter(trial_id__any_of=trials)
        .order_by("trial_id", "position", "id")
        .values_list("trial_id", "condition__name")
    ):
        conditions[trial_id].append(name)
    links: dict[int, list[tuple]] = {pk: [] for pk in trials}
    for trial_id, arm_id, intervention_id, label_position in (
        models.ArmGroupIntervention.objects.filter(arm_group__trial_id__any_of=trials)
        .order_by("position", "id")
        .values_list("arm_group__trial_id", "arm_group_id", "intervention_id", "label_position")
    ):
        links[trial_id].append((arm_id, intervention_id, label_position))
    results = stored_rows_for(list(trials))
    return [
        _study(trials[pk], conditions[pk], _linked(children[pk], links[pk]), results[pk])
        for pk in trial_ids
        if pk in trials
    ]


def _linked(children: dict[str, list[dict]], links: list[tuple]) -> dict[str, list[dict]]:
    """Arms name their interventions, interventions their arms, contacts their site by index."""
    type_labels = dict(choices.InterventionType.choices)
    interventions = {item["id"]: item for item in children["interventions"]}
    arms = {arm["id"]: arm for arm in children["arm_groups"]}
    for arm in children["arm_groups"]:
        arm["intervention_names"] = []
    for item in children["interventions"]:
        item["arm_group_labels"] = []
    arm_order = {arm["id"]: index for index, arm in enumerate(children["arm_groups"])}
    labelled: dict[int, list[tuple[int, int, str]]] = {}
    for arm_id, intervention_id, label_position in links:
        item = interventions[intervention_id]
        name = f"{type_labels.get(item['type'], item['type'])}: {item['name']}" if item["type"] else item["name"]
        # Two interventions of the same name are named once, as the registry does.
        if name not in arms[arm_id]["intervention_names"]:
            arms[arm_id]["intervention_names"].append(name)
        labelled.setdefault(intervention_id, []).append((label_position, arm_order[arm_id], arms[arm_id]["label"]))
    for intervention_id, labels in labelled.items():
        interventions[intervention_id]["arm_group_labels"] = [label for _, _, label in sorted(labels)]
    site_index = {site["id"]: index for index, site in enumerate(children["sites"])}
    for contact in children["contacts"]:
        contact["site"] = site_index[contact["site_id"]] if contact["site_id"] else None
    return children


_TRIAL_WRITER = ObjectWriter(TRIAL_ELEMENTS)
_CHILD_WRITERS = {id(child): ObjectWriter(child.elements) for child in CHILD_LISTS}


def _study(trial: dict, conditions: list[str], children: dict[str, list[dict]], results_rows: dict) -> dict:
    study = _TRIAL_WRITER.write(trial, {})
    for date in PARTIAL_DATES:
        day = trial[f"{date.name}_date"]
        if day is not None:
            struct = {"date": PartialDate(day, trial[f"{date.name}_date_precision"]).isoformat()}
            if trial[f"{date.name}_date_type"]:
                struct["type"] = trial[f"{date.name}_date_type"]
            set_path(study, date.path, struct)
    if conditions:
        set_path(study, RECORD_LISTS[0].path, conditions)
    entries_by_attribute: dict[str, list[dict]] = {}
    for child in CHILD_LISTS:
        items = []
        writer, fixed = _CHILD_WRITERS[id(child)], child.fixed.items()
        for item in children[child.attribute]:
            if any(item[name] != value for name, value in fixed):
                continue
            if child.within and item["site"] is None:
                continue
            entry = writer.write(item, {})
            if child.within:
                entries_by_attribute[child.within][item["site"]].setdefault(child.path, []).append(entry)
            else:
                items.append(entry)
        entries_by_attribute.setdefault(child.attribute, []).extend(items)
        if items:
            set_path(study, child.path, items[0] if child.single else items)
    # The modules' own elements are already in place (TRIAL_ELEMENTS); add their tables.
    for module, tables in results_json(results_rows).items():
        study.setdefault("resultsSection", {}).setdefault(module, {}).update(tables)
    return study


def record_to_results(record: TrialRecord) -> dict:
    """A record's ``resultsSection`` tables, as the export would write them."""
    return results_json(record_rows(record.results))
