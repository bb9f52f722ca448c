"""schema.org ``MedicalTrial`` JSON-LD for a trial's pages.

Only properties schema.org defines for MedicalTrial and its parents
(MedicalStudy, MedicalEntity, Thing) are used; ``trials/tests/test_structured_data.py``
holds the list. schema.org has no property for a study's dates, phase or
eligibility (``phase`` and ``population`` were retired in schemaorg/schemaorg#2435),
so the phase is a ``MedicalCode`` from the registry's vocabulary and the dates and
eligibility are said in ``disambiguatingDescription``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.utils.safestring import SafeString, mark_safe

from . import choices
from .models import Trial

SCHEMA = "https://schema.org/"
# Past this many sites, the locations are summarised (the page lists them all).
LISTED_LOCATIONS = 25

# ClinicalTrials.gov overall status → schema.org MedicalStudyStatus member.
# The registry's other statuses (expanded access, unknown) have no member and go as text.
STUDY_STATUS = {
    choices.OverallStatus.ACTIVE_NOT_RECRUITING: "ActiveNotRecruiting",
    choices.OverallStatus.COMPLETED: "Completed",
    choices.OverallStatus.ENROLLING_BY_INVITATION: "EnrollingByInvitation",
    choices.OverallStatus.NOT_YET_RECRUITING: "NotYetRecruiting",
    choices.OverallStatus.RECRUITING: "Recruiting",
    choices.OverallStatus.SUSPENDED: "Suspended",
    choices.OverallStatus.TERMINATED: "Terminated",
    choices.OverallStatus.WITHDRAWN: "Withdrawn",
}

# Masking → schema.org MedicalTrialDesign. A quadruple-masked trial meets the
# definition of TripleBlindedTrial (patient, therapist and researcher do not know).
MASKING_DESIGN = {
    choices.Masking.NONE: "OpenTrial",
    choices.Masking.SINGLE: "SingleBlindedTrial",
    choices.Masking.DOUBLE: "DoubleBlindedTrial",
    choices.Masking.TRIPLE: "TripleBlindedTrial",
    choices.Masking.QUADRUPLE: "TripleBlindedTrial",
}

# Intervention type → the schema.org MedicalEntity type that fits it best.
SUBJECT_TYPE = {
    choices.InterventionType.DRUG: "Drug",
    choices.InterventionType.BIOLOGICAL: "Drug",
    choices.InterventionType.DEVICE: "MedicalDevice",
    choices.InterventionType.PROCEDURE: "MedicalProcedure",
    choices.InterventionType.DIAGNOSTIC_TEST: "MedicalTest",
    choices.InterventionType.DIETARY_SUPPLEMENT: "DietarySupplement",
    choices.InterventionType.RADIATION: "MedicalTherapy",
    choices.InterventionType.BEHAVIORAL: "MedicalTherapy",
}


def trial_designs(trial: Trial, sites: Sequence | None = None) -> list[str]:
    designs = []
    if trial.allocation == choices.Allocation.RANDOMIZED:
        designs.append("RandomizedTrial")
    if trial.masking in MASKING_DESIGN:
        designs.append(MASKING_DESIGN[trial.masking])
    if any(arm.type == choices.ArmGroupType.PLACEBO_COMPARATOR for arm in trial.arm_groups.all()) or any(
        "placebo" in intervention.name.lower() for intervention in trial.interventions.all()
    ):
        designs.append("PlaceboControlledTrial")
    sites = trial.sites.all() if sites is None else sites
    if len(sites) == 1:
        designs.append("SingleCenterTrial")
    elif len(sites) > 1:
        designs.append("MultiCenterTrial")
    if len({site.country for site in sites if site.country}) > 1:
        designs.append("InternationalTrial")
    return [SCHEMA + design for design in dict.fromkeys(designs)]


def eligibility_text(trial: Trial) -> str:
    ages = f"ages {trial.age_range}" if trial.age_range else "any age"
    sex = {"FEMALE": "female participants only", "MALE": "male participants only"}.get(trial.sex, "all sexes")
    volunteers = {True: "; accepts healthy volunteers", False: "; does not accept healthy volunteers"}.get(
        trial.healthy_volunteers, ""
    )
    criteria = trial.criteria
    return (
        f"Who can take part: {ages}, {sex}{volunteers}; "
        f"{len(criteria.inclusion)} inclusion and {len(criteria.exclusion)} exclusion criteria."
    )


def dates_text(trial: Trial) -> str:
    parts = []
    for label, value, kind in (
        ("Start", trial.start, trial.start_date_type),
        ("Primary completion", trial.primary_completion, trial.primary_completion_date_type),
        ("Completion", trial.completion, trial.completion_date_type),
    ):
        if value:
            estimated = " (estimated)" if kind == choices.DateType.ESTIMATED else ""
            parts.append(f"{label}: {value.isoformat()}{estimated}")
    return "; ".join(parts) + "." if parts else ""


def address(site) -> dict:
    postal = {"@type": "PostalAddress"}
    for key, value in (
        ("addressLocality", site.city),
        ("addressRegion", site.state),
        ("postalCode", site.zip),
        ("addressCountry", site.country),
    ):
        if value:
            postal[key] = value
    return postal


def medical_status(trial: Trial) -> str:
    """The trial's status as schema.org names it, as the day shows it (``trials.status``)."""
    status = STUDY_STATUS.get(trial.shown_status)
    return SCHEMA + status if status else trial.status_label


def medical_trial(trial: Trial, url: str, sites: Sequence | None = None) -> dict:
    """The trial as a schema.org MedicalTrial; ``url`` is its canonical page.

    ``sites`` (the page's ``sites.site_rows``, in the registry's order) spares reading them as instances.
    """
    sites = trial.sites.all() if sites is None else sites
    data: dict = {
        "@context": "https://schema.org",
        "@type": "MedicalTrial",
        "name": trial.brief_title,
        "identifier": trial.nct_id,
        "url": url,
        # schema.org: "use the code property of MedicalEntity to store study IDs".
        "code": [{"@type": "MedicalCode", "codeValue": trial.nct_id, "codingSystem": "ClinicalTrials.gov"}],
    }
    data["status"] = medical_status(trial)
    if trial.official_title and trial.official_title != trial.brief_title:
        data["alternateName"] = [trial.official_title]
    if trial.acronym:
        data.setdefault("alternateName", []).append(trial.acronym)
    description = trial.brief_summary or trial.detailed_description
    if description:
        data["description"] = description
    kind = f"{trial.phase_display} {trial.get_study_type_display().lower()}" if trial.phases else None
    kind = kind or trial.get_study_type_display()
    data["disambiguatingDescription"] = " ".join(
        part for part in (f"{kind} study.", dates_text(trial), eligibility_text(trial)) if part
    )
    for phase in trial.phases:
        if phase in choices.Phase.values:
            data["code"].append(
                {
                    "@type": "MedicalCode",
                    "codeValue": phase,
                    "codingSystem": "ClinicalTrials.gov phase",
                    "name": choices.Phase(phase).label,
                }
            )
    designs = trial_designs(trial, sites)
    if designs:
        data["trialDesign"] = designs
    if trial.condition_names:
        data["healthCondition"] = [{"@type": "MedicalCondition", "name": name} for name in trial.condition_names]
    subjects = [
        {"@type": SUBJECT_TYPE.get(intervention.type, "MedicalEntity"), "name": intervention.name}
        for intervention in trial.interventions.all()
    ]
    if subjects:
        data["studySubject"] = subjects
    sponsors = [{"@type": "Organization", "name": sponsor.name} for sponsor in trial.sponsors.all()]
    if sponsors:
        data["sponsor"] = sponsors
    locations = []
    # A thousand-site trial's locations would weigh hundreds of kilobytes on every tab:
    # the first few dozen are listed and the rest counted.
    for site in sites[:LISTED_LOCATIONS]:
        location = {"@type": "AdministrativeArea", "name": site.facility or site.place, "address": address(site)}
        if site.latitude is not None and site.longitude is not None:
            location["geo"] = {"@type": "GeoCoordinates", "latitude": site.latitude, "longitude": site.longitude}
        locations.append(location)
    if locations:
        data["studyLocation"] = locations
    if len(sites) > LISTED_LOCATIONS:
        countries = {site.country for site in sites if site.country}
        data["disambiguatingDescription"] += (
            f" Sites: {len(sites):,} in {len(countries)} "
            f"countr{'y' if len(countries) == 1 else 'ies'}; the first {LISTED_LOCATIONS} are listed here."
        )
    return data


# As Django's json_script: a "</script>" or "<!--" in the data cannot end the element early.
_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def json_ld_text(value) -> str:
    """A value as ``json_ld`` writes it inside the element."""
    return json.dumps(value, ensure_ascii=False, indent=None).translate(_SCRIPT_ESCAPES)


def json_ld(data: dict) -> SafeString:
    text = json_ld_text(data)
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # the text is escaped above
