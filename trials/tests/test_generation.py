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
