"""schema.org MedicalTrial JSON-LD on trial pages."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from trials.structured_data import json_ld
from trials.tests.factories import make_trial

# The properties schema.org defines, as listed on https://schema.org/MedicalTrial
# (and its parents' pages: MedicalStudy, MedicalEntity, Thing). Not here on purpose:
# ``phase``, ``population`` and ``outcome``, retired in schemaorg/schemaorg#2435, and
# ``startDate``/``endDate``, which belong to Event and CreativeWork, not to studies.
THING = {
    "additionalType", "alternateName", "description", "disambiguatingDescription", "identifier", "image",
    "mainEntityOfPage", "name", "potentialAction", "sameAs", "subjectOf", "url",
}  # fmt: skip
MEDICAL_ENTITY = THING | {
    "code", "funding", "guideline", "legalStatus", "medicineSystem", "recognizingAuthority", "relevantSpecialty",
    "study",
}  # fmt: skip
MEDICAL_STUDY = MEDICAL_ENTITY | {"healthCondition", "sponsor", "status", "studyLocation", "studySubject"}
MEDICAL_TRIAL = MEDICAL_STUDY | {"trialDesign"}
PLACE = THING | {"address", "geo", "latitude", "longitude", "telephone", "containedInPlace", "hasMap"}
PROPERTIES = {
    "MedicalTrial": MEDICAL_TRIAL,
    "MedicalCode": MEDICAL_ENTITY | {"codeValue", "codingSystem"},
    "MedicalCondition": MEDICAL_ENTITY | {"associatedAnatomy", "possibleTreatment", "signOrSymptom", "status"},
    "Drug": MEDICAL_ENTITY | {"activeIngredient", "nonProprietaryName", "proprietaryName", "drugClass"},
    "MedicalEntity": MEDICAL_ENTITY,
    "MedicalTherapy": MEDICAL_ENTITY,
    "MedicalDevice": MEDICAL_ENTITY,
    "MedicalProcedure": MEDICAL_ENTITY,
    "MedicalTest": MEDICAL_ENTITY,
    "DietarySupplement": MEDICAL_ENTITY,
    "Organization": THING | {"address", "url", "email", "telephone"},
    "AdministrativeArea": PLACE,
    "PostalAddress": THING | {"addressCountry", "addressLocality", "addressRegion", "postalCode", "streetAddress"},
    "GeoCoordinates": THING | {"latitude", "longitude"},
}
# https://schema.org/MedicalStudyStatus and https://schema.org/MedicalTrialDesign members.
STUDY_STATUSES = {
    "ActiveNotRecruiting", "Completed", "EnrollingByInvitation", "NotYetRecruiting", "Recruiting",
    "ResultsAvailable", "ResultsNotAvailable", "Suspended", "Terminated", "Withdrawn",
}  # fmt: skip
TRIAL_DESIGNS = {
    "DoubleBlindedTrial", "InternationalTrial", "MultiCenterTrial", "OpenTrial", "PlaceboControlledTrial",
    "RandomizedTrial", "SingleBlindedTrial", "SingleCenterTrial", "TripleBlindedTrial",
}  # fmt: skip

LD_JSON = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)


def unknown_properties(node, path="$") -> list[str]:
    """Every key, at any depth, that schema.org does not define for its node's @type."""
    problems = []
    if isinstance(node, list):
        for index, item in enumerate(node):
            problems += unknown_properties(item, f"{path}[{index}]")
    elif isinstance(node, dict):
        allowed = PROPERTIES.get(node.get("@type"))
        if allowed is None:
            return [f"{path}: unexpected @type {node.get('@type')!r}"]
        for key, value in node.items():
            if key in {"@context", "@type"}:
                continue
            if key not in allowed:
                problems.append(f"{path}.{key} is not a property of {node['@type']}")
            problems += unknown_properties(value, f"{path}.{key}")
    return problems


def trial_json_ld(client, url_name: str = "trials:detail") -> dict:
    html = client.get(reverse(url_name, args=["NCT04133233"])).content.decode()
    blocks = LD_JSON.findall(html)
    assert len(blocks) == 1
    return json.loads(blocks[0])


@pytest.mark.parametrize("url_name", ["trials:detail", "trials:design", "trials:eligibility", "trials:related"])
def test_every_trial_tab_carries_the_same_medical_trial(client, seed_trial, url_name):
    data = trial_json_ld(client, url_name)
    assert data["@type"] == "MedicalTrial" and data["url"] == "http://testserver/trials/NCT04133233/"


def test_the_json_ld_uses_only_schema_org_properties(client, seed_trial):
    data = trial_json_ld(client)
    assert data["@context"] == "https://schema.org"
    assert unknown_properties(data) == []


def test_the_checker_rejects_a_property_schema_org_does_not_have(client, seed_trial):
    data = trial_json_ld(client)
    data["startDate"] = "2020-06-15"
    data["sponsor"][0]["phase"] = "2"
    assert unknown_properties(data) == [
        "$.sponsor[0].phase is not a property of Organization",
        "$.startDate is not a property of MedicalTrial",
    ]


def test_the_seed_trial_values(client, seed_trial):
    data = trial_json_ld(client)
    assert (
        data["name"]
        == "Low Dose IL-2 Therapy in Patients With a Depressive Episode in the Course of a Bipolar Disorder"
    )
    assert data["identifier"] == "NCT04133233"
    assert data["status"] == "https://schema.org/Completed"
    assert data["status"].removeprefix("https://schema.org/") in STUDY_STATUSES
    assert {"@type": "MedicalCode", "codeValue": "NCT04133233", "codingSystem": "ClinicalTrials.gov"} in data["code"]
    assert {
        "@type": "MedicalCode",
        "codeValue": "PHASE2",
        "codingSystem": "ClinicalTrials.gov phase",
        "name": "Phase 2",
    } in data["code"]
    assert data["trialDesign"] == [
        "https://schema.org/RandomizedTrial",
        "https://schema.org/TripleBlindedTrial",
        "https://schema.org/PlaceboControlledTrial",
        "https://schema.org/SingleCenterTrial",
    ]
    assert {design.removeprefix("https://schema.org/") for design in data["trialDesign"]} <= TRIAL_DESIGNS
    # The seed page lists no conditions, so none are claimed.
    assert "healthCondition" not in data
    assert data["studySubject"] == [
        {"@type": "MedicalEntity", "name": "ILT101"},
        {"@type": "MedicalEntity", "name": "Placebos"},
    ]
    assert data["sponsor"][0] == {"@type": "Organization", "name": "Iltoo Pharma"}
    assert data["studyLocation"] == [
        {
            "@type": "AdministrativeArea",
            "name": "Pr Marion Leboyer",
            "address": {
                "@type": "PostalAddress",
                "addressLocality": "Créteil",
                "addressRegion": "Hôpital Albert Chenevier",
                "addressCountry": "France",
            },
        }
    ]
    assert data["description"].startswith(seed_trial.brief_summary[:40])
    assert "Start: 2020-06-15" in data["disambiguatingDescription"]
    assert "Completion: 2022-07-20" in data["disambiguatingDescription"]
    assert (
        "ages 18 Years to 65 Years, all sexes; does not accept healthy volunteers" in data["disambiguatingDescription"]
    )
    assert "4 inclusion and 26 exclusion criteria" in data["disambiguatingDescription"]


def test_a_recruiting_multi_site_trial(client, db):
    trial = make_trial("NCT90000100")
    html = client.get(trial.get_absolute_url()).content.decode()
    data = json.loads(LD_JSON.search(html).group(1))
    assert unknown_properties(data) == []
    assert data["status"] == "https://schema.org/Recruiting"
    assert data["healthCondition"] == [{"@type": "MedicalCondition", "name": f"Condition {n}"} for n in range(3)]
    assert data["studySubject"][0] == {"@type": "Drug", "name": "Drug 0"}
    assert "https://schema.org/MultiCenterTrial" in data["trialDesign"]
    assert [code["codeValue"] for code in data["code"]] == ["NCT90000100", "PHASE1", "PHASE2"]


def test_text_cannot_close_the_script_element():
    html = json_ld({"name": "</script><script>alert(1)</script> & <!--"})
    assert html.count("</script>") == 1 and "<script>" not in html and "<!--" not in html
    assert json.loads(LD_JSON.search(html).group(1))["name"] == "</script><script>alert(1)</script> & <!--"


def test_a_thousand_site_trial_lists_a_few_dozen_locations_and_counts_the_rest(client, db, ctgov_data):
    from trials.importers import import_paths
    from trials.structured_data import LISTED_LOCATIONS

    assert import_paths([ctgov_data / "NCT04267848.json"]).ok
    for url_name in ("trials:detail", "trials:design", "trials:results"):
        html = client.get(reverse(url_name, args=["NCT04267848"])).content.decode()
        script = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
        assert len(script.encode()) <= 50_000
        data = json.loads(script)
        assert len(data["studyLocation"]) == LISTED_LOCATIONS
        assert "Sites: 1,148 in 2 countries; the first 25 are listed here." in data["disambiguatingDescription"]
