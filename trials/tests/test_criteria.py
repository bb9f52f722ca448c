"""Eligibility criteria split into items (trials/criteria.py), on real registry texts."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from trials.criteria import split_criteria
from trials.importers import import_paths

# Criteria as paragraphs with no headings; one paragraph leads in four bulleted laboratory limits.
PARAGRAPHS = "NCT03118986"


def criteria_text(ctgov_data, nct_id: str) -> str:
    study = json.loads((ctgov_data / f"{nct_id}.json").read_text(encoding="utf-8"))
    return study["protocolSection"]["eligibilityModule"]["eligibilityCriteria"]


def test_bullets_led_in_by_a_paragraph_are_its_sub_items(ctgov_data):
    criteria = split_criteria(criteria_text(ctgov_data, PARAGRAPHS))
    assert criteria.unsorted and not criteria.inclusion and not criteria.exclusion
    assert len(criteria.other) == 11
    (samples,) = [item for item in criteria.other if item.startswith("Samples for all laboratory tests")]
    assert samples.endswith(
        "dose: Plasma creatinine within 1.5 times the upper limit of normal for age.; Amylase within age-appropriate "
        "limits; Plasma conjugated bilirubin within ≤ 3x upper limit of normal for age unless attributable to "
        "Gilbert's Syndrome; ALT ≤ 5x upper limit of normal for age"
    )
    assert criteria.other[5].startswith("Baseline ECG")


def test_a_paragraph_introducing_a_bulleted_list_leaves_each_bullet_an_item():
    text = (
        "Inclusion Criteria:\n\nScreening Phase:\n\nIndividuals who meet the following criteria are eligible:\n\n"
        "1. Aged 14 to 65 years.\n2. Able to provide informed consent.\n\nExclusion Criteria:\n\n"
        "* Pregnant\n* Has any of the following:\n  * Cancer\n  * HIV"
    )
    criteria = split_criteria(text)
    assert criteria.inclusion == [
        "Screening Phase:",
        "Individuals who meet the following criteria are eligible:",
        "Aged 14 to 65 years.",
        "Able to provide informed consent.",
    ]
    # A sub-list joins its parent after the parent's colon.
    assert criteria.exclusion == ["Pregnant", "Has any of the following: Cancer; HIV"]
    assert not criteria.unsorted


@pytest.mark.django_db
def test_criteria_with_no_headings_are_one_list_not_two_empty_ones(client, ctgov_data):
    assert import_paths([ctgov_data / f"{PARAGRAPHS}.json"]).ok
    html = client.get(reverse("trials:eligibility", args=[PARAGRAPHS])).content.decode()
    assert 'id="criteria-heading"' in html
    assert "None listed" not in html and 'id="inclusion-heading"' not in html
