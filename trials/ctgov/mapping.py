"""ClinicalTrials.gov API v2 ↔ TrialPortal: one mapping, declared as data.

Each row names a model field (or record attribute), where the element sits
in a study's JSON, and how its value is converted. The JSON reader
(``reader.study_to_record``), the export (``exports.export_studies``, used by
``/api/v2``) and the round-trip test all read these rows, so a field is
mapped once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .elements import Element
from .records import (
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
)
from .results import BASELINE as BASELINE_MODULE
from .results import COVERED_RESULT_PATHS, EVENTS, FLOW, MORE_INFO

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
    Element("nct_id_aliases", f"{ID}.nctIdAliases", "list"),
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
    Element("results_first_posted_date", f"{STATUS}.resultsFirstPostDateStruct.date", "date"),
    Element("results_first_posted_date_type", f"{STATUS}.resultsFirstPostDateStruct.type"),
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


def list_path(child: ChildList) -> str:
    """A child list's JSON path, ``[]`` marking the list it sits in (``armGroups[].interventionNames``)."""
    if not child.within:
        return child.path
    outer = next(other for other in CHILD_LISTS if other.attribute == child.within)
    return f"{outer.path}[].{child.path}"


# Every JSON path the models hold: what the round-trip test compares.
COVERED_PATHS: tuple[str, ...] = (
    *(element.path for element in TRIAL_ELEMENTS),
    *(f"{date.path}.{part}" for date in PARTIAL_DATES for part in ("date", "type")),
    *(element.path for element in RECORD_LISTS),
    *(f"{list_path(child)}[].{element.path}" for child in CHILD_LISTS for element in child.elements),
    *COVERED_RESULT_PATHS,
)
