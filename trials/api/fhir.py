"""``format=fhir.json``: a study as an HL7 FHIR R4 ``ResearchStudy``.

Built from the study's API v2 JSON with the models of ``fhir.resources``
(its R4B package: R4's ResearchStudy, Group, Location, Organization and
Practitioner, unchanged in 4.3), which check every element's type and
cardinality as the resource is made; a study the models refuse is a bug
here, never a response. The enrollment group, sponsors, investigator and
sites travel inside the resource (``contained``), referenced as ``#id``.
"""

from __future__ import annotations

import functools
import re

from fhir.resources.R4B.address import Address
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.contactdetail import ContactDetail
from fhir.resources.R4B.contactpoint import ContactPoint
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.group import Group, GroupCharacteristic
from fhir.resources.R4B.humanname import HumanName
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.location import Location, LocationPosition
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.period import Period
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.quantity import Quantity
from fhir.resources.R4B.range import Range
from fhir.resources.R4B.reference import Reference
from fhir.resources.R4B.relatedartifact import RelatedArtifact
from fhir.resources.R4B.researchstudy import ResearchStudy, ResearchStudyArm, ResearchStudyObjective

from .. import choices
from ..criteria import split_criteria, unescape
from ..ctgov.elements import get_path
from ..ctgov.mapping import (
    ARMS,
    CONDITION_BROWSE,
    CONDITIONS,
    CONTACTS,
    DESCRIPTION,
    DESIGN,
    ELIGIBILITY,
    ID,
    INTERVENTION_BROWSE,
    OUTCOMES,
    REFERENCES,
    SPONSORS,
    STATUS,
)
from ..exports import REGISTRY_URL
from ..places.countries import country_code

CONTENT_TYPE = "application/fhir+json"
NCT_SYSTEM = "https://clinicaltrials.gov"
MESH_SYSTEM = "http://terminology.hl7.org/CodeSystem/MSH"
PHASE_SYSTEM = "http://terminology.hl7.org/CodeSystem/research-study-phase"
PURPOSE_SYSTEM = "http://terminology.hl7.org/CodeSystem/research-study-prim-purp-type"
OBJECTIVE_SYSTEM = "http://terminology.hl7.org/CodeSystem/research-study-objective-type"
PARTY_ROLE_SYSTEM = "http://hl7.org/fhir/research-study-party-role"
COUNTRY_SYSTEM = "urn:iso:std:iso:3166"
UCUM = "http://unitsofmeasure.org"
PUBMED_URL = "https://pubmed.ncbi.nlm.nih.gov/"
# R4 has no collaborators: R5's associatedParty, as the cross-version extension carries it into R4.
ASSOCIATED_PARTY = "http://hl7.org/fhir/5.0/StructureDefinition/extension-ResearchStudy.associatedParty"

# The registry's overall status → R4's research-study-status. UNKNOWN reads its last known status.
STATUSES = {
    "NOT_YET_RECRUITING": "approved",
    "RECRUITING": "active",
    "ENROLLING_BY_INVITATION": "active",
    "ACTIVE_NOT_RECRUITING": "closed-to-accrual",
    "SUSPENDED": "temporarily-closed-to-accrual",
    "TERMINATED": "administratively-completed",
    "COMPLETED": "completed",
    "WITHDRAWN": "withdrawn",
    "AVAILABLE": "active",
    "TEMPORARILY_NOT_AVAILABLE": "temporarily-closed-to-accrual",
    "NO_LONGER_AVAILABLE": "closed-to-accrual",
    "APPROVED_FOR_MARKETING": "completed",
    "WITHHELD": "in-review",
}
# The registry's phases, as one list → research-study-phase.
PHASES = {
    ("NA",): "n-a",
    ("EARLY_PHASE1",): "early-phase-1",
    ("PHASE1",): "phase-1",
    ("PHASE1", "PHASE2"): "phase-1-phase-2",
    ("PHASE2",): "phase-2",
    ("PHASE2", "PHASE3"): "phase-2-phase-3",
    ("PHASE3",): "phase-3",
    ("PHASE4",): "phase-4",
}
PURPOSES = {
    "TREATMENT": "treatment",
    "PREVENTION": "prevention",
    "DIAGNOSTIC": "diagnostic",
    "SUPPORTIVE_CARE": "supportive-care",
    "SCREENING": "screening",
    "HEALTH_SERVICES_RESEARCH": "health-services-research",
    "BASIC_SCIENCE": "basic-science",
    "DEVICE_FEASIBILITY": "device-feasibility",
}
OBJECTIVES = (("primaryOutcomes", "primary"), ("secondaryOutcomes", "secondary"), ("otherOutcomes", "exploratory"))
# The registry's age units → UCUM.
AGE_UNITS = {"year": "a", "month": "mo", "week": "wk", "day": "d", "hour": "h", "minute": "min"}
_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+?)s?\s*$")
_SEXES = {"FEMALE": "female", "MALE": "male"}


def _concept(text: str, *codings: Coding) -> CodeableConcept:
    return CodeableConcept(text=text, coding=list(codings) or None)


@functools.cache
def _labels(choice: type) -> dict[str, str]:
    return dict(choice.choices)


def _label(choice: type, value: str | None) -> str:
    """The registry's label of a code (a thousand sites ask for theirs), or the code as given."""
    return _labels(choice).get(value, value or "")


def _mesh(terms: list[dict]) -> dict[str, Coding]:
    """Casefolded descriptor name → its MeSH coding."""
    return {
        term["term"].casefold(): Coding(system=MESH_SYSTEM, code=term["id"], display=term["term"])
        for term in terms
        if term.get("id") and term.get("term")
    }


def _coded_concepts(names: list[str], terms: list[dict]) -> list[CodeableConcept]:
    """The record's names, each coded with the MeSH descriptor of the same name; then the other descriptors.

    The registry files a record under MeSH descriptors it derives from the
    names (``Prostate Cancer`` under ``Prostatic Neoplasms``): those that name
    no entry themselves come after, coded.
    """
    codings = _mesh(terms)
    concepts = [
        _concept(name, *([codings.pop(name.casefold())] if name.casefold() in codings else [])) for name in names
    ]
    return concepts + [_concept(coding.display, coding) for coding in codings.values()]


def _age(text: str | None) -> Quantity | None:
    match = _AGE.match(text or "")
    unit = AGE_UNITS.get(match.group(2).lower()) if match else None
    if not unit:
        return None
    return Quantity(value=match.group(1), unit=unit, system=UCUM, code=unit)


def _identifiers(study: dict) -> list[Identifier]:
    nct_id = get_path(study, f"{ID}.nctId")
    organization = get_path(study, f"{ID}.organization.fullName")
    found = [Identifier(use="official", system=NCT_SYSTEM, value=nct_id)]
    found += [
        Identifier(use="old", system=NCT_SYSTEM, value=alias) for alias in get_path(study, f"{ID}.nctIdAliases") or []
    ]
    org_id = get_path(study, f"{ID}.orgStudyIdInfo.id")
    if org_id:
        found.append(
            Identifier(
                use="secondary",
                type=_concept("Organization's study ID"),
                value=org_id,
                assigner=Reference(display=organization) if organization else None,
            )
        )
    for info in get_path(study, f"{ID}.secondaryIdInfos") or []:
        if info.get("id"):
            found.append(
                Identifier(
                    use="secondary",
                    type=_concept(_label(choices.SecondaryIdType, info.get("type")) or "Secondary ID"),
                    value=info["id"],
                    assigner=Reference(display=info["domain"]) if info.get("domain") else None,
                )
            )
    return found


def _enrollment(study: dict) -> Group:
    """Who takes part: how many, and who may (sex, ages, healthy volunteers, each criterion)."""
    count = get_path(study, f"{DESIGN}.enrollmentInfo.count")
    characteristics = []
    sex = get_path(study, f"{ELIGIBILITY}.sex")
    if sex in _SEXES:
        gender = Coding(system="http://hl7.org/fhir/administrative-gender", code=_SEXES[sex])
        characteristics.append(
            GroupCharacteristic(code=_concept("Sex"), valueCodeableConcept=_concept(_SEXES[sex], gender), exclude=False)
        )
    low, high = (_age(get_path(study, f"{ELIGIBILITY}.{key}")) for key in ("minimumAge", "maximumAge"))
    if low or high:
        characteristics.append(
            GroupCharacteristic(code=_concept("Age"), valueRange=Range(low=low, high=high), exclude=False)
        )
    healthy = get_path(study, f"{ELIGIBILITY}.healthyVolunteers")
    if healthy is not None:
        characteristics.append(
            GroupCharacteristic(code=_concept("Accepts healthy volunteers"), valueBoolean=healthy, exclude=False)
        )
    criteria = split_criteria(get_path(study, f"{ELIGIBILITY}.eligibilityCriteria") or "")
    for items, label, exclude in (
        (criteria.inclusion, "Inclusion criterion", False),
        (criteria.exclusion, "Exclusion criterion", True),
        (criteria.other, "Eligibility criterion", False),
    ):
        characteristics += [
            GroupCharacteristic(code=_concept(label), valueCodeableConcept=_concept(unescape(item)), exclude=exclude)
            for item in items
        ]
    return Group(
        id="enrollment",
        type="person",
        actual=get_path(study, f"{DESIGN}.enrollmentInfo.type") == "ACTUAL",
        quantity=count,
        name="Participants and eligibility",
        characteristic=characteristics or None,
    )


def _site(index: int, location: dict) -> Location:
    point = location.get("geoPoint") or {}
    country = location.get("country")
    return Location(
        id=f"site-{index}",
        status="active",
        name=location.get("facility") or None,
        description=_label(choices.RecruitmentStatus, location.get("status")) or None,
        address=Address(
            city=location.get("city"), state=location.get("state"), postalCode=location.get("zip"), country=country
        ),
        position=LocationPosition(latitude=point["lat"], longitude=point["lon"]) if "lat" in point else None,
    )


def _contact(contact: dict) -> ContactDetail:
    phone = contact.get("phone", "")
    if phone and contact.get("phoneExt"):
        phone += f" ext. {contact['phoneExt']}"
    telecom = [ContactPoint(system="phone", value=phone, use="work")] if phone else []
    if contact.get("email"):
        telecom.append(ContactPoint(system="email", value=contact["email"], use="work"))
    return ContactDetail(name=contact.get("name") or None, telecom=telecom or None)


def research_study(study: dict) -> ResearchStudy:
    """The ResearchStudy of one study (API v2 JSON, as ``/studies/{nctId}`` sends it)."""
    nct_id = get_path(study, f"{ID}.nctId")
    contained: list = [_enrollment(study)]
    lead = get_path(study, f"{SPONSORS}.leadSponsor.name")
    if lead:
        contained.append(Organization(id="sponsor", name=lead))
    collaborators = [item["name"] for item in get_path(study, f"{SPONSORS}.collaborators") or [] if item.get("name")]
    parties = []
    for index, name in enumerate(collaborators, 1):
        contained.append(Organization(id=f"collaborator-{index}", name=name))
        role = Coding(system=PARTY_ROLE_SYSTEM, code="collaborator", display="collaborator")
        parties.append(
            Extension(
                url=ASSOCIATED_PARTY,
                extension=[
                    Extension(url="name", valueString=name),
                    Extension(url="role", valueCodeableConcept=_concept("Collaborator", role)),
                    Extension(url="party", valueReference=Reference(reference=f"#collaborator-{index}", display=name)),
                ],
            )
        )
    officials = get_path(study, f"{CONTACTS}.overallOfficials") or []
    investigator = next((item for item in officials if item.get("role") == "PRINCIPAL_INVESTIGATOR"), None)
    if investigator and investigator.get("name"):
        contained.append(Practitioner(id="investigator", name=[HumanName(text=investigator["name"])]))
    locations = get_path(study, f"{CONTACTS}.locations") or []
    sites = [_site(index, location) for index, location in enumerate(locations, 1)]
    contained += sites
    countries = list(dict.fromkeys(location["country"] for location in locations if location.get("country")))

    phases = tuple(get_path(study, f"{DESIGN}.phases") or ())
    purpose = get_path(study, f"{DESIGN}.designInfo.primaryPurpose")
    start = get_path(study, f"{STATUS}.startDateStruct.date")
    end = get_path(study, f"{STATUS}.completionDateStruct.date")
    status = get_path(study, f"{STATUS}.overallStatus")
    if status == "UNKNOWN":
        status = get_path(study, f"{STATUS}.lastKnownStatus")
    summary, details = (get_path(study, f"{DESCRIPTION}.{key}") for key in ("briefSummary", "detailedDescription"))
    why_stopped = get_path(study, f"{STATUS}.whyStopped")
    return ResearchStudy(
        id=nct_id,
        identifier=_identifiers(study),
        title=get_path(study, f"{ID}.officialTitle") or get_path(study, f"{ID}.briefTitle"),
        status=STATUSES.get(status, "active"),
        phase=_concept(
            " / ".join(_label(choices.Phase, phase) for phase in phases),
            *([Coding(system=PHASE_SYSTEM, code=PHASES[phases])] if phases in PHASES else []),
        )
        if phases
        else None,
        category=[_concept(_label(choices.StudyType, get_path(study, f"{DESIGN}.studyType")))]
        if get_path(study, f"{DESIGN}.studyType")
        else None,
        primaryPurposeType=_concept(
            _label(choices.PrimaryPurpose, purpose),
            *([Coding(system=PURPOSE_SYSTEM, code=PURPOSES[purpose])] if purpose in PURPOSES else []),
        )
        if purpose
        else None,
        focus=_coded_concepts(
            [item["name"] for item in get_path(study, f"{ARMS}.interventions") or [] if item.get("name")],
            get_path(study, f"{INTERVENTION_BROWSE}.meshes") or [],
        )
        or None,
        condition=_coded_concepts(
            get_path(study, f"{CONDITIONS}.conditions") or [], get_path(study, f"{CONDITION_BROWSE}.meshes") or []
        )
        or None,
        keyword=[_concept(word) for word in get_path(study, f"{CONDITIONS}.keywords") or []] or None,
        location=[
            _concept(country, *([Coding(system=COUNTRY_SYSTEM, code=code)] if (code := country_code(country)) else []))
            for country in countries
        ]
        or None,
        description="\n\n".join(text for text in (summary, details) if text) or None,
        enrollment=[Reference(reference="#enrollment")],
        period=Period(start=start, end=end) if start or end else None,
        sponsor=Reference(reference="#sponsor", display=lead) if lead else None,
        principalInvestigator=Reference(reference="#investigator", display=investigator["name"])
        if investigator and investigator.get("name")
        else None,
        site=[Reference(reference=f"#{site.id}", display=site.name) for site in sites] or None,
        contact=[_contact(item) for item in get_path(study, f"{CONTACTS}.centralContacts") or []] or None,
        reasonStopped=_concept(why_stopped) if why_stopped else None,
        arm=[
            ResearchStudyArm(
                name=arm["label"],
                type=_concept(_label(choices.ArmGroupType, arm.get("type"))) if arm.get("type") else None,
                description=arm.get("description") or None,
            )
            for arm in get_path(study, f"{ARMS}.armGroups") or []
            if arm.get("label")
        ]
        or None,
        objective=[
            ResearchStudyObjective(
                name=outcome["measure"], type=_concept(kind.capitalize(), Coding(system=OBJECTIVE_SYSTEM, code=kind))
            )
            for key, kind in OBJECTIVES
            for outcome in get_path(study, f"{OUTCOMES}.{key}") or []
            if outcome.get("measure")
        ]
        or None,
        relatedArtifact=[
            RelatedArtifact(type="documentation", label="ClinicalTrials.gov", url=f"{REGISTRY_URL}{nct_id}"),
            *(
                RelatedArtifact(
                    type="citation",
                    citation=reference.get("citation") or None,
                    url=f"{PUBMED_URL}{reference['pmid']}/" if reference.get("pmid") else None,
                )
                for reference in get_path(study, f"{REFERENCES}.references") or []
                if reference.get("citation") or reference.get("pmid")
            ),
        ],
        contained=contained,
        extension=parties or None,
    )


def fhir_json(study: dict) -> bytes:
    return research_study(study).model_dump_json(exclude_none=True).encode()
