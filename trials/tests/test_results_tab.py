"""The Results tab's presenter on a real record: units apart from labels, adverse-event shares, primary first."""

import json
import re

import pytest
from django.urls import reverse

from trials.importers import import_paths
from trials.results_tab import _milestone, _number, present

# 43 outcome measures, the primary ones 1st and 41st to 43rd; enrollment by country; lab values by day.
MANY_OUTCOMES = "NCT04280705"


@pytest.fixture
def section(ctgov_data):
    return json.loads((ctgov_data / f"{MANY_OUTCOMES}.json").read_text(encoding="utf-8"))["resultsSection"]


def measure(tables, title):
    return next(table for table in tables if table["title"] == title)


def test_a_row_is_named_by_its_class_and_the_unit_is_named_apart(section):
    region = measure(present(None, section)["baseline"]["measures"], "Region of Enrollment")
    assert [row["label"] for row in region["rows"][:2]] == ["Greece", "South Korea"]
    assert region["units_line"] == "Shown as: Number · Unit: participants"


def test_a_measure_by_day_names_the_day_and_its_statistic(section):
    alt = measure(present(None, section)["outcomes"], "Change From Baseline in Alanine Transaminase (ALT)")
    assert alt["rows"][0] == {"label": "Day 3", "cells": ["14.3 (88)", "2.9 (31.5)"]}
    assert alt["units_line"] == "Shown as: Mean (Standard Deviation) · Unit: Units/Liter (U/L)"


def test_primary_outcomes_come_first_keeping_their_registry_numbers(section):
    outcomes = present(None, section)["outcomes"]
    assert len(outcomes) == 43
    assert [(table["number"], table["type_label"]) for table in outcomes[:5]] == [
        (1, "Primary"),
        (41, "Primary"),
        (42, "Primary"),
        (43, "Primary"),
        (2, "Secondary"),
    ]


def test_adverse_events_give_the_share_affected_to_one_decimal(section):
    events = present(None, section)["events"]
    assert events["totals"][0] == ("All-cause mortality", ["77/521 (14.8%)", "59/541 (10.9%)"])
    first = events["tables"][0]["rows"][0]
    assert (first["term"], first["cells"]) == ("Coagulopathy", ["0/516 (0.0%)", "1/532 (0.2%)"])


def test_counts_and_numbers_have_thousands_separators(section):
    results = present(None, section)
    assert results["baseline"]["denom_rows"][0]["cells"] == ["521", "541", "1,062"]
    assert _number("-1234.50") == "-1,234.50"
    analysis = {"paramValue": "-1234.5", "ciLowerLimit": "-2000", "ciUpperLimit": "12", "pValue": "<0.001"}
    analysed = {"outcomeMeasuresModule": {"outcomeMeasures": [{"title": "T", "analyses": [analysis]}]}}
    row = present(None, analysed)["outcomes"][0]["analysis_rows"][0]
    assert (row["paramValue"], row["ciLowerLimit"], row["ciUpperLimit"], row["pValue"]) == (
        "-1,234.5",
        "-2,000",
        "12",
        "<0.001",
    )
    assert _number("NA") == "NA"


def test_no_one_at_risk_gives_a_count_without_a_share():
    section = {
        "adverseEventsModule": {
            "eventGroups": [{"id": "EG000", "title": "A", "seriousNumAffected": 0, "seriousNumAtRisk": 0}],
        }
    }
    assert present(None, section)["events"]["totals"][1] == ("Serious adverse events", ["0/0"])


@pytest.mark.django_db
def test_the_tab_indexes_its_outcomes_primary_first_with_links(client, ctgov_data):
    report = import_paths([ctgov_data / f"{MANY_OUTCOMES}.json"])
    assert report.ok, report.failures
    text = client.get(reverse("trials:results", args=[MANY_OUTCOMES])).content.decode()
    index = text.split('<nav class="outcome-index"', 1)[1].split("</nav>", 1)[0]
    assert "43 outcome measures, primary first" in index
    links = index.count('<li><a href="#outcome-')
    assert links == 43
    assert index.index('href="#outcome-41-title"') < index.index('href="#outcome-2-title"')
    assert 'id="outcome-41-title"' in text
    assert '<th scope="row">Greece</th>' in text
    assert '<th scope="col" class="number">Remdesivir</th>' in text


@pytest.mark.django_db
def test_an_analysis_names_its_dispersion_in_words(client, ctgov_data):
    # Sildenafil: each analysis's estimate with its standard error or deviation.
    report = import_paths([ctgov_data / "NCT00301262.json"])
    assert report.ok, report.failures
    text = client.get(reverse("trials:results", args=["NCT00301262"])).content.decode()
    assert "Mean Difference (Final Values): 18.13 (Standard Error of the Mean 3.405)" in text
    assert "Mean Difference (Net): 5.09 (Standard Deviation 14.761)" in text
    assert "STANDARD_" not in text


@pytest.mark.django_db
def test_the_registrys_capital_milestones_read_as_its_site_shows_them(client, ctgov_data):
    # NCT00106392: "STARTED", "COMPLETED", "NOT COMPLETED" beside "Full Analysis Set (FAS)" as the sponsor wrote it.
    report = import_paths([ctgov_data / "NCT00106392.json"])
    assert report.ok, report.failures
    text = client.get(reverse("trials:results", args=["NCT00106392"])).content.decode()
    flow = text.split('<th scope="col">Milestone</th>', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr><th scope="row">([^<]*)</th>', flow)
    assert {"Started", "Completed", "Not Completed", "Full Analysis Set (FAS)"} <= set(rows)
    assert not {"STARTED", "COMPLETED", "NOT COMPLETED"} & set(rows)


def test_a_sponsors_own_milestone_in_capitals_is_kept_as_written():
    # Only the registry's three are its own words; "ITT POPULATION" would read "Itt Population".
    assert [_milestone(label) for label in ("NOT COMPLETED", "ITT POPULATION", "Week 12")] == [
        "Not Completed",
        "ITT POPULATION",
        "Week 12",
    ]
