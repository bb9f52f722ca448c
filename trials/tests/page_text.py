"""A ClinicalTrials.gov API v2 study written out as a trial page of the seed's format.

The tests render real records this way to check that the page reader takes
whatever the registry holds (``trials/importers/page/``); the portal itself
never writes pages. Every fact is one line, in the order and with the section
explanations of the seed document (``trials/seed/NCT04133233.txt``).
"""

from __future__ import annotations

from typing import Any

from trials.importers.page.layout import EXPLANATIONS

INTERVENTION_TYPES = {
    "DRUG": "Drug",
    "DEVICE": "Device",
    "BIOLOGICAL": "Biological",
    "PROCEDURE": "Procedure",
    "RADIATION": "Radiation",
    "BEHAVIORAL": "Behavioral",
    "GENETIC": "Genetic",
    "DIETARY_SUPPLEMENT": "Dietary Supplement",
    "COMBINATION_PRODUCT": "Combination Product",
    "DIAGNOSTIC_TEST": "Diagnostic Test",
    "OTHER": "Other",
}
ARM_TYPES = {
    "EXPERIMENTAL": "Experimental",
    "ACTIVE_COMPARATOR": "Active Comparator",
    "PLACEBO_COMPARATOR": "Placebo Comparator",
    "SHAM_COMPARATOR": "Sham Comparator",
    "NO_INTERVENTION": "No Intervention",
    "OTHER": "Other",
}


def lines_of(text: str) -> list[str]:
    """A text as the page writes it: one line per non-empty line."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def one_line(text: str) -> str:
    return " ".join(lines_of(text))


def _typed(date: dict | None) -> str:
    if not date:
        return ""
    kind = date.get("type", "")
    return f"{date['date']} ({kind.lower()})" if kind else date["date"]


def render_page(study: dict[str, Any]) -> str:
    protocol = study["protocolSection"]
    ident = protocol["identificationModule"]
    status = protocol.get("statusModule", {})
    design = protocol.get("designModule", {})
    description = protocol.get("descriptionModule", {})
    arms = protocol.get("armsInterventionsModule", {})
    eligibility = protocol.get("eligibilityModule", {})
    sponsors = protocol.get("sponsorCollaboratorsModule", {})
    contacts = protocol.get("contactsLocationsModule", {})
    sections: list[tuple[str, list[str]]] = []

    basic = [status.get("overallStatus", "")]
    if design.get("phases"):
        basic.append(", ".join(design["phases"]))
    enrollment = design.get("enrollmentInfo", {})
    if "count" in enrollment:
        kind = enrollment.get("type", "")
        basic.append(f"{enrollment['count']} participants" + (f" ({kind.lower()})" if kind else ""))
    basic.append(design.get("studyType", ""))
    for label, key in (
        ("Start Date", "startDateStruct"),
        ("Primary Completion Date", "primaryCompletionDateStruct"),
        ("Completion Date", "completionDateStruct"),
    ):
        if status.get(key):
            basic.append(f"{label}: {_typed(status[key])}")
    sections.append(("Basic Information", basic))
    sections.append(("Brief Summary", lines_of(description.get("briefSummary", ""))))
    sections.append(("Detailed Description", lines_of(description.get("detailedDescription", ""))))
    sections.append(("Conditions", list(protocol.get("conditionsModule", {}).get("conditions", []))))

    info = design.get("designInfo", {})
    masking = info.get("maskingInfo", {})
    if design.get("studyType") == "OBSERVATIONAL":
        keys = (("Observational Model", "observationalModel"), ("Time Perspective", "timePerspective"))
    else:
        keys = (
            ("Allocation", "allocation"),
            ("Intervention Model", "interventionModel"),
            ("Primary Purpose", "primaryPurpose"),
        )
    design_lines = [f"{label}: {info[key]}" for label, key in keys if info.get(key)]
    if design.get("studyType") != "OBSERVATIONAL" and masking.get("masking"):
        who = masking.get("whoMasked", [])
        design_lines.append(f"Masking: {masking['masking']}" + (f" ({', '.join(who)})" if who else ""))
    sections.append(("Study Design", design_lines))

    groups = []
    for arm in arms.get("armGroups", []):
        label = arm["label"]
        groups.append(f"{ARM_TYPES[arm['type']]}: {label}" if arm.get("type") else label)
        groups += lines_of(arm.get("description", ""))
        groups += arm.get("interventionNames", [])
    sections.append(("Study Groups", groups))

    interventions, other_names = [], []
    for intervention in arms.get("interventions", []):
        kind = INTERVENTION_TYPES.get(intervention.get("type", ""), "")
        interventions.append(f"{kind}: {intervention['name']}" if kind else intervention["name"])
        interventions.append(one_line(intervention.get("description", "")))
        other_names += intervention.get("otherNames", [])
    sections.append(("Interventions", interventions))
    # The seed's flat list: it says nothing of which name is whose.
    sections.append(("Other Intervention Names", other_names))

    criteria = lines_of(eligibility.get("eligibilityCriteria", ""))
    criteria += [eligibility.get("minimumAge", "N/A"), eligibility.get("maximumAge", "N/A")]
    if eligibility.get("sex"):
        criteria.append(eligibility["sex"])
    if "healthyVolunteers" in eligibility:
        criteria.append("Yes" if eligibility["healthyVolunteers"] else "No")
    sections.append(("Eligibility Criteria", criteria))

    sponsor_lines = []
    for sponsor in [sponsors.get("leadSponsor", {}), *sponsors.get("collaborators", [])]:
        if sponsor.get("name"):
            sponsor_lines += [sponsor["name"], *([sponsor["class"]] if sponsor.get("class") else [])]
    sections.append(("Sponsors", sponsor_lines))
    party = sponsors.get("responsibleParty", {})
    party_lines = [party["type"]] if party.get("type") else []
    party_lines += [
        party[key] for key in ("investigatorFullName", "investigatorTitle", "investigatorAffiliation") if party.get(key)
    ]
    sections.append(("Responsible Party", party_lines))

    officials = []
    for official in contacts.get("overallOfficials", []):
        officials.append(official["name"])
        if official.get("role"):
            officials.append(f"Role: {official['role']}")
        if official.get("affiliation"):
            officials.append(official["affiliation"])
    sections.append(("Principal Investigators", officials))

    locations = []
    for site in contacts.get("locations", []):
        if site.get("facility"):
            locations.append(site["facility"])
        locations.append(", ".join(site[key] for key in ("city", "state", "zip", "country") if site.get(key)))
        if site.get("status"):
            locations.append(site["status"])
    sections.append(("Locations", locations))

    references = protocol.get("referencesModule", {}).get("references", [])
    sections.append(("References", [one_line(reference.get("citation", "")) for reference in references]))

    identifiers = []
    org_id = ident.get("orgStudyIdInfo", {})
    if org_id.get("id"):
        identifiers += [org_id["id"], f"Identifier Type: {org_id.get('type', '-')}", "Identifier Source: org_study_id"]
    for secondary in ident.get("secondaryIdInfos", []):
        identifiers += [
            secondary["id"],
            f"Identifier Type: {secondary.get('type', '-')}",
            "Identifier Source: secondary_id",
        ]
    sections.append(("Other Identifiers", identifiers))

    page = [ident["briefTitle"], f"NCT ID: {ident['nctId']}"]
    if ident.get("officialTitle"):
        page.append(f"Official Title: {ident['officialTitle']}")
    if ident.get("acronym"):
        page.append(f"Acronym: {ident['acronym']}")
    last_update = status.get("lastUpdatePostDateStruct", {}).get("date")
    if last_update:
        page.append(f"Last Updated: {last_update}")
    page += [
        "Study Results",
        "Results are posted for this trial."
        if study.get("hasResults")
        else "The study team has not published outcome measurements, participant flow, or safety data for this "
        "trial yet. Check back later for updates.",
    ]
    for heading, content in sections:
        page += [heading, EXPLANATIONS[heading], *content]
    return "\n".join(page) + "\n"
