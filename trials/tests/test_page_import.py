"""Every real record, written out in the seed's page format, reads back as the same trial as its JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from trials.criteria import unescape
from trials.ctgov.reader import study_to_record
from trials.ctgov.records import TrialRecord
from trials.importers import import_paths
from trials.importers.page import PageParser
from trials.models import Trial

from .page_text import INTERVENTION_TYPES, lines_of, one_line, render_page

DATA = Path(__file__).resolve().parent / "data"
# The records the other tests use, and real records whose free text holds a line that looks like a
# heading or an age (``data/page-headings``): each once refused the whole trial.
RECORDS = sorted([*(DATA / "ctgov").glob("NCT*.json"), *(DATA / "page-headings").glob("NCT*.json")])
# An arm names its interventions with their type ("Drug: X") in the JSON, by name on a page;
# a name may itself hold a colon ("Arm A: Transoral ...").
_TYPED = re.compile("^(" + "|".join(map(re.escape, INTERVENTION_TYPES.values())) + "): ")
FIELDS = (
    "brief_title",
    "official_title",
    "acronym",
    "overall_status",
    "phases",
    "study_type",
    "enrollment_count",
    "enrollment_type",
    "start_date",
    "start_date_precision",
    "start_date_type",
    "primary_completion_date",
    "primary_completion_date_type",
    "completion_date",
    "completion_date_type",
    "last_update_posted_date",
    "allocation",
    "intervention_model",
    "primary_purpose",
    "masking",
    "who_masked",
    "observational_model",
    "time_perspective",
    "minimum_age",
    "maximum_age",
    "sex",
    "healthy_volunteers",
    "responsible_party_type",
    "responsible_party_name",
    "responsible_party_title",
    "responsible_party_affiliation",
    "has_results",
)


def comparable(record: TrialRecord) -> dict:
    """What a page can say of a trial, texts compared line by line."""
    fields = record.fields
    # The page keeps each criterion's words, not the registry's indentation of sub-items.
    # Headings with nothing under them ("Exclusion Criteria:" at the end) are not data.
    text = re.sub(
        r"(?im)^\s*(inclusion|exclusion)\s+criteria\s*:?\s*$", "", unescape(fields.get("eligibility_criteria", ""))
    )
    criteria = re.findall(r"\w+", text.casefold())
    return {
        **{name: fields.get(name) or None for name in FIELDS},
        "brief_summary": lines_of(fields.get("brief_summary", "")),
        "detailed_description": lines_of(fields.get("detailed_description", "")),
        "criteria": criteria,
        "conditions": record.conditions,
        "interventions": [(i.name, i.type, one_line(i.description)) for i in record.interventions],
        "arm_groups": [
            (arm.label, arm.type, lines_of(arm.description), [_TYPED.sub("", name) for name in arm.intervention_names])
            for arm in record.arm_groups
        ],
        "sponsors": [(s.name, s.agency_class, s.is_lead) for s in record.sponsors],
        "officials": [(o.name, o.role, o.affiliation) for o in record.officials],
        # A place is one line, "City, State, ZIP, Country": a city written with commas
        # ("Taipei, Taiwan, 100") reads back split differently, the line the same.
        "sites": [
            (s.facility, ", ".join(part for part in (s.city, s.state, s.zip, s.country) if part), s.status)
            for s in record.sites
        ],
        "references": [one_line(r.citation) for r in record.references],
        "identifiers": [(i.identifier, i.type, i.source) for i in record.identifiers],
    }


def other_names(record: TrialRecord) -> list[str]:
    return [name for intervention in record.interventions for name in intervention.other_names]


@pytest.mark.parametrize("path", RECORDS, ids=[path.stem for path in RECORDS])
def test_a_real_record_as_a_page_reads_as_its_json(path):
    study = json.loads(path.read_text(encoding="utf-8"))
    from_json = study_to_record(study)
    parser = PageParser(render_page(study))
    from_page = parser.parse()
    assert from_page.nct_id == from_json.nct_id
    assert comparable(from_page) == comparable(from_json)
    names = other_names(from_json)
    if len(from_json.interventions) == 1:
        assert other_names(from_page) == names
    else:
        # Several interventions and one flat list: the names stay with the trial, unattributed, and a warning says so.
        assert from_page.fields.get("other_intervention_names", []) == names
        assert bool(parser.warnings) == bool(names)


def test_the_records_are_varied_enough():
    studies = [json.loads(path.read_text(encoding="utf-8"))["protocolSection"] for path in RECORDS]
    assert len(studies) >= 40
    several = [
        s
        for s in studies
        if len(s.get("armsInterventionsModule", {}).get("interventions", [])) > 1
        and any(i.get("otherNames") for i in s["armsInterventionsModule"]["interventions"])
    ]
    observational = [s for s in studies if s["designModule"]["studyType"] == "OBSERVATIONAL"]
    assert len(several) >= 5 and len(observational) >= 5


@pytest.mark.django_db
def test_every_rendered_page_imports(tmp_path):
    for path in RECORDS:
        study = json.loads(path.read_text(encoding="utf-8"))
        (tmp_path / f"{path.stem}.txt").write_text(render_page(study), encoding="utf-8")
    report = import_paths([tmp_path])
    assert report.ok, report.failures
    assert Trial.objects.count() == len(RECORDS)
    # NCT00080808: four interventions, one flat list of other names, kept with the trial.
    assert Trial.objects.get(nct_id="NCT00080808").other_intervention_names


def _page_of(nct_id: str) -> str:
    return render_page(json.loads((DATA / "page-headings" / f"{nct_id}.json").read_text(encoding="utf-8")))


def test_a_heading_inside_free_text_is_text():
    # NCT02683044's description has a paragraph titled "Interventions": it stays in the description,
    # and the Interventions section is the one with its explanation under it.
    parser = PageParser(_page_of("NCT02683044"))
    record = parser.parse()
    assert "Interventions" in lines_of(record.fields["detailed_description"])
    assert [i.name for i in record.interventions] == ["Low-Intensity Extracorporeal Shock Wave Therapy (Li-ESWT)"]
    assert parser.warnings == []


def test_a_criterion_that_reads_like_an_age_stays_a_criterion():
    # NCT04282811's criteria end "Exclusion Criteria: None", just above the ages "18 Years" and "N/A".
    record = PageParser(_page_of("NCT04282811")).parse()
    assert (record.fields["minimum_age"], record.fields["maximum_age"]) == ("18 Years", "")
    assert record.fields["eligibility_criteria"].rstrip().endswith("None")


def test_a_heading_the_page_does_not_explain_twice_is_read_once_with_a_warning():
    text = _page_of("NCT02683044").replace(
        "Learn about the drugs, procedures, or behavioral strategies being tested and how they are applied "
        "within this trial.\n",
        "",
    )
    parser = PageParser(text)
    record = parser.parse()
    assert record.nct_id == "NCT02683044"
    assert parser.warnings == [
        "Interventions: the heading appears 2 times; the first is read as the section, the others as text"
    ]
