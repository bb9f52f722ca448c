import json

import pytest
from django.core.management import call_command

from trials.ctgov import study_to_record
from trials.generation import generate_studies, load_vocabulary
from trials.models import Trial

pytestmark = pytest.mark.django_db


def test_generated_trials_are_valid_and_reproducible(capsys):
    call_command("generate_trials", "40", "--seed", "3")
    assert "Generated 40 trials" in capsys.readouterr().out
    assert Trial.objects.count() == 40
    first = [study_to_record(study).fields["brief_title"] for study in generate_studies(5, seed=3 * 1_000_003)]
    assert first == list(Trial.objects.order_by("nct_id").values_list("brief_title", flat=True)[:5])


def test_generated_vocabulary_comes_from_real_records():
    vocabulary = load_vocabulary()
    assert "RECRUITING" in vocabulary["overall_status"]
    assert len(vocabulary["conditions"]) > 1000
    assert max(vocabulary["count_sites"]) > 1000


def test_generated_studies_are_as_full_as_real_ones():
    """What benchmarks import must weigh what the registry sends: outcomes, MeSH terms, results and all."""
    studies = list(generate_studies(400, seed=7))
    protocols = [study["protocolSection"] for study in studies]
    share = {
        "detailed description": sum("detailedDescription" in p["descriptionModule"] for p in protocols),
        "outcomes": sum("outcomesModule" in p for p in protocols),
        "references": sum("referencesModule" in p for p in protocols),
        "MeSH terms": sum("derivedSection" in study for study in studies),
    }
    # Shares in the 2,010 shared records: 65%, 99%, 33% and 98%.
    assert 220 < share["detailed description"] < 300
    assert share["outcomes"] > 380
    assert 100 < share["references"] < 170
    assert share["MeSH terms"] > 380
    with_results = [study for study in studies if study["hasResults"]]
    # 126 of the 2,010 shared records have results (6%).
    assert 8 <= len(with_results) <= 45
    assert all(study["resultsSection"]["outcomeMeasuresModule"] for study in with_results)
    assert {study["protocolSection"]["statusModule"]["overallStatus"] for study in with_results} <= {
        "COMPLETED",
        "TERMINATED",
        "ACTIVE_NOT_RECRUITING",
        "UNKNOWN",
        "SUSPENDED",
        "WITHDRAWN",
    }
    size = sum(len(json.dumps(study)) for study in studies) / len(studies)
    # The shared records average 18 KB of JSON (without results 11 KB at the median).
    assert 12_000 < size < 25_000
    records = [study_to_record(study) for study in studies]
    assert sum(len(record.outcome_measures) for record in records) / len(records) > 5
    assert any(record.results for record in records)
