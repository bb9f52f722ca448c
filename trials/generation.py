"""Realistic synthetic trials, for benchmarks and demos at registry scale.

``build_vocabulary`` reads real ClinicalTrials.gov API v2 records and keeps
what generation needs: observed values (so drawing from a list follows the
real distribution), sentences and list lengths. The vocabulary ships in
``trials/data/vocabulary.json.gz``; ``generate_studies`` draws API v2 study
objects from it, which the ordinary JSON reader and writer then save.
"""

from __future__ import annotations

import datetime
import functools
import gzip
import json
import random
import re
from collections.abc import Iterator
from pathlib import Path

from .ctgov import get_path, set_path

VOCABULARY_PATH = Path(__file__).resolve().parent / "data" / "vocabulary.json.gz"
_SAMPLE_CAP = 4000
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
# Vocabulary key → where a record holds the module drawn whole.
WHOLE_MODULES = {
    "detailed_description": "protocolSection.descriptionModule.detailedDescription",
    "secondary_ids": "protocolSection.identificationModule.secondaryIdInfos",
    "outcomes": "protocolSection.outcomesModule",
    "references": "protocolSection.referencesModule",
    "oversight": "protocolSection.oversightModule",
    "ipd_sharing": "protocolSection.ipdSharingStatementModule",
    "central_contacts": "protocolSection.contactsLocationsModule.centralContacts",
    "condition_browse": "derivedSection.conditionBrowseModule",
    "intervention_browse": "derivedSection.interventionBrowseModule",
    "large_documents": "documentSection.largeDocumentModule",
}
# Statuses whose sites no longer recruit: no site status, no central contacts.
_CLOSED = {"ACTIVE_NOT_RECRUITING", "COMPLETED", "TERMINATED", "WITHDRAWN", "SUSPENDED", "UNKNOWN"}
_ENDED = {"COMPLETED", "TERMINATED"}
_LOCATION_KEYS = ("facility", "status", "city", "state", "zip", "country", "contacts", "geoPoint")


def build_vocabulary(records_dir: Path, seed: int = 2026) -> dict:
    """Observed values from every ``*.json`` study under ``records_dir``."""
    keep: dict[str, list] = {
        key: []
        for key in (
            "overall_status",
            "study_type",
            "phases",
            "conditions",
            "keywords",
            "title",
            "summary_sentence",
            "interventions",
            "arm_type",
            "lead_sponsor",
            "collaborator",
            "location",
            "official",
            "inclusion",
            "exclusion",
            "minimum_age",
            "maximum_age",
            "sex",
            "enrollment",
            "design",
            "count_conditions",
            "count_interventions",
            "count_arms",
            "count_sites",
            "count_collaborators",
            "count_officials",
            "count_inclusion",
            "count_exclusion",
            "count_summary_sentences",
            "start_year",
            "duration_days",
            # Whole modules of one record (None where it has none), drawn as
            # they are: their list lengths and text lengths stay real.
            *WHOLE_MODULES,
            "has_results",
            "results",
            "results_status",
        )
    }
    from .criteria import split_criteria

    for path in sorted(records_dir.glob("*.json")):
        study = json.loads(path.read_text(encoding="utf-8"))
        protocol = study["protocolSection"]
        for key, module_path in WHOLE_MODULES.items():
            keep[key].append(get_path(study, module_path))
        keep["has_results"].append(bool(study.get("hasResults")))
        if study.get("hasResults") and study.get("resultsSection"):
            keep["results"].append(study["resultsSection"])
            keep["results_status"].append(protocol["statusModule"]["overallStatus"])
        ident, status = protocol["identificationModule"], protocol["statusModule"]
        design = protocol.get("designModule", {})
        arms = protocol.get("armsInterventionsModule", {})
        eligibility = protocol.get("eligibilityModule", {})
        sponsors = protocol.get("sponsorCollaboratorsModule", {})
        contacts = protocol.get("contactsLocationsModule", {})
        keep["overall_status"].append(status["overallStatus"])
        keep["study_type"].append(design.get("studyType", "INTERVENTIONAL"))
        keep["phases"].append(design.get("phases", []))
        keep["design"].append(design.get("designInfo", {}))
        keep["enrollment"].append(design.get("enrollmentInfo", {}).get("count", 0))
        conditions = protocol.get("conditionsModule", {})
        keep["conditions"] += conditions.get("conditions", [])
        keep["keywords"] += conditions.get("keywords", [])
        keep["count_conditions"].append(len(conditions.get("conditions", [])))
        keep["title"].append(ident["briefTitle"])
        sentences = _SENTENCE.split(protocol.get("descriptionModule", {}).get("briefSummary", ""))
        keep["summary_sentence"] += sentences
        keep["count_summary_sentences"].append(len(sentences))
        interventions = arms.get("interventions", [])
        keep["interventions"] += [
            {"type": item.get("type", "OTHER"), "name": item["name"], "description": item.get("description", "")}
            for item in interventions
        ]
        keep["count_interventions"].append(len(interventions))
        keep["count_arms"].append(len(arms.get("armGroups", [])))
        keep["arm_type"] += [arm.get("type", "OTHER") for arm in arms.get("armGroups", [])]
        keep["lead_sponsor"].append(sponsors.get("leadSponsor", {}))
        keep["collaborator"] += sponsors.get("collaborators", [])
        keep["count_collaborators"].append(len(sponsors.get("collaborators", [])))
        locations = contacts.get("locations", [])
        keep["location"] += [{key: loc[key] for key in _LOCATION_KEYS if key in loc} for loc in locations[:50]]
        keep["count_sites"].append(len(locations))
        keep["official"] += contacts.get("overallOfficials", [])
        keep["count_officials"].append(len(contacts.get("overallOfficials", [])))
        criteria = split_criteria(eligibility.get("eligibilityCriteria", ""))
        keep["inclusion"] += criteria.inclusion
        keep["exclusion"] += criteria.exclusion
        keep["count_inclusion"].append(len(criteria.inclusion))
        keep["count_exclusion"].append(len(criteria.exclusion))
        keep["minimum_age"].append(eligibility.get("minimumAge", ""))
        keep["maximum_age"].append(eligibility.get("maximumAge", ""))
        keep["sex"].append(eligibility.get("sex", "ALL"))
        start = status.get("startDateStruct", {}).get("date", "")
        end = status.get("completionDateStruct", {}).get("date", "")
        if start:
            keep["start_year"].append(int(start[:4]))
        if len(start) == 10 and len(end) == 10:
            days = (datetime.date.fromisoformat(end) - datetime.date.fromisoformat(start)).days
            if days >= 0:
                keep["duration_days"].append(days)
    rng = random.Random(seed)
    return {
        key: values if len(values) <= _SAMPLE_CAP else rng.sample(values, _SAMPLE_CAP) for key, values in keep.items()
    }


def write_vocabulary(vocabulary: dict, path: Path = VOCABULARY_PATH) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        json.dump(vocabulary, handle, ensure_ascii=False, separators=(",", ":"))


def load_vocabulary(path: Path = VOCABULARY_PATH) -> dict:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


@functools.cache
def _shipped_vocabulary() -> dict:
    """The shipped vocabulary, read once per process: it takes half a second, and a worker generates many batches."""
    return load_vocabulary()


_ARTICLE = {"INTERVENTIONAL": "an", "OBSERVATIONAL": "an", "EXPANDED_ACCESS": "an"}
_INTERVENTION_LABELS = {
    "BEHAVIORAL": "Behavioral",
    "BIOLOGICAL": "Biological",
    "COMBINATION_PRODUCT": "Combination Product",
    "DEVICE": "Device",
    "DIAGNOSTIC_TEST": "Diagnostic Test",
    "DIETARY_SUPPLEMENT": "Dietary Supplement",
    "DRUG": "Drug",
    "GENETIC": "Genetic",
    "PROCEDURE": "Procedure",
    "RADIATION": "Radiation",
    "OTHER": "Other",
}


def generate_studies(count: int, seed: int = 1, first_number: int = 95_000_000) -> Iterator[dict]:
    """``count`` API v2 study objects with NCT IDs from ``NCT{first_number}`` up.

    Studies share objects with the vocabulary (a sponsor, an outcomes
    module): serialize them or read them, but do not change them in place.
    """
    vocabulary = _shipped_vocabulary()
    rng = random.Random(seed)

    def pick(key):
        return rng.choice(vocabulary[key])

    def some(key, count_key, cap=None):
        n = pick(count_key)
        if cap is not None:
            n = min(n, cap)
        return [pick(key) for _ in range(n)]

    for offset in range(count):
        nct_id = f"NCT{first_number + offset:08d}"
        study_type = pick("study_type")
        status = pick("overall_status")
        has_results = pick("has_results")
        if has_results:
            status = pick("results_status")
        start = datetime.date(pick("start_year"), rng.randint(1, 12), rng.randint(1, 28))
        completion = start + datetime.timedelta(days=pick("duration_days"))
        primary_completion = max(start, completion - datetime.timedelta(days=rng.randint(0, 180)))
        updated = min(completion + datetime.timedelta(days=rng.randint(0, 400)), datetime.date(2026, 8, 1))
        updated = max(updated, start)
        submitted = min(start - datetime.timedelta(days=rng.randint(0, 200)), updated)
        posted = min(submitted + datetime.timedelta(days=rng.randint(1, 30)), updated)
        conditions = list(dict.fromkeys(some("conditions", "count_conditions"))) or [pick("conditions")]
        interventions = []
        for item in some("interventions", "count_interventions", cap=12):
            if all(item["name"] != other["name"] for other in interventions):
                interventions.append(dict(item))
        arms = []
        for index in range(max(pick("count_arms"), 1 if interventions else 0)):
            given = [interventions[index % len(interventions)]] if interventions else []
            arms.append(
                {
                    "label": f"Group {index + 1}",
                    "type": pick("arm_type"),
                    "description": pick("summary_sentence"),
                    "interventionNames": [f"{_INTERVENTION_LABELS[i['type']]}: {i['name']}" for i in given],
                }
            )
        for item in interventions:
            labels = [arm["label"] for arm in arms if any(item["name"] in name for name in arm["interventionNames"])]
            if labels:
                item["armGroupLabels"] = labels
        inclusion = some("inclusion", "count_inclusion", cap=40)
        exclusion = some("exclusion", "count_exclusion", cap=60)
        criteria = "Inclusion Criteria:\n\n" + "\n".join(f"* {item}" for item in inclusion)
        if exclusion:
            criteria += "\n\nExclusion Criteria:\n\n" + "\n".join(f"* {item}" for item in exclusion)
        minimum, maximum = pick("minimum_age"), pick("maximum_age")
        if minimum and maximum and _years(minimum) > _years(maximum):
            minimum, maximum = maximum, minimum
        eligibility = {"eligibilityCriteria": criteria, "sex": pick("sex"), "healthyVolunteers": rng.random() < 0.2}
        if minimum:
            eligibility["minimumAge"] = minimum
        if maximum:
            eligibility["maximumAge"] = maximum
        # An ended study's enrollment and completion are what happened; a running one's are planned.
        ended = "ACTUAL" if status in _ENDED else "ESTIMATED"
        design = {"studyType": study_type, "enrollmentInfo": {"count": pick("enrollment"), "type": ended}}
        if study_type == "INTERVENTIONAL":
            design["phases"] = pick("phases") or ["NA"]
            design["designInfo"] = {
                key: value
                for key, value in pick("design").items()
                if key not in ("observationalModel", "timePerspective")
            }
        else:
            design["designInfo"] = {"observationalModel": "COHORT", "timePerspective": "PROSPECTIVE"}
        title = pick("title")
        locations = [dict(location) for location in some("location", "count_sites", cap=200)]
        if status in _CLOSED:
            for location in locations:
                location.pop("status", None)
        description = {
            "briefSummary": " ".join(some("summary_sentence", "count_summary_sentences", cap=12))
            or pick("summary_sentence")
        }
        protocol = {
            "identificationModule": {
                "nctId": nct_id,
                "orgStudyIdInfo": {"id": f"GEN-{first_number + offset}"},
                "briefTitle": title,
                "officialTitle": f"{title}: {_ARTICLE[study_type]} {study_type.lower()} study",
            },
            "statusModule": {
                "statusVerifiedDate": updated.isoformat()[:7],
                "overallStatus": status,
                "startDateStruct": {"date": start.isoformat(), "type": "ACTUAL"},
                "primaryCompletionDateStruct": {"date": primary_completion.isoformat(), "type": ended},
                "completionDateStruct": {"date": completion.isoformat(), "type": ended},
                "studyFirstSubmitDate": submitted.isoformat(),
                "studyFirstPostDateStruct": {"date": posted.isoformat(), "type": "ACTUAL"},
                "lastUpdateSubmitDate": updated.isoformat(),
                "lastUpdatePostDateStruct": {"date": updated.isoformat(), "type": "ACTUAL"},
            },
            "sponsorCollaboratorsModule": {
                "leadSponsor": pick("lead_sponsor"),
                "collaborators": some("collaborator", "count_collaborators", cap=10),
            },
            "descriptionModule": description,
            "conditionsModule": {"conditions": conditions, "keywords": [pick("keywords") for _ in range(2)]},
            "designModule": design,
            "armsInterventionsModule": {"armGroups": arms, "interventions": interventions},
            "eligibilityModule": eligibility,
            "contactsLocationsModule": {
                "overallOfficials": some("official", "count_officials", cap=5),
                "locations": locations,
            },
        }
        study = {"protocolSection": protocol, "hasResults": has_results}
        for key, path in WHOLE_MODULES.items():
            drawn = pick(key)
            # Nobody to call about a study that no longer recruits.
            if drawn and not (key == "central_contacts" and status in _CLOSED):
                set_path(study, path, drawn)
        if has_results:
            study["resultsSection"] = pick("results")
        yield study


def _years(age: str) -> float:
    from .values import parse_age

    return parse_age(age)[1] or 0.0
