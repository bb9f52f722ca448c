import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from trials.models import Sponsor, Trial

pytestmark = pytest.mark.django_db


def valid_trial(**fields) -> Trial:
    values = {"nct_id": "NCT12345678", "brief_title": "A trial", "overall_status": "RECRUITING"}
    values["study_type"] = "INTERVENTIONAL"
    values.update(fields)
    return Trial(**values)


def test_a_valid_trial_passes_validation():
    trial = valid_trial(minimum_age="6 Months", maximum_age="17 Years")
    trial.full_clean()
    assert trial.minimum_age_years == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"nct_id": "NCT1234"}, "nct_id"),
        ({"nct_id": "ISRCTN12345678"}, "nct_id"),
        ({"minimum_age": "65 Years", "maximum_age": "18 Years"}, "maximum_age"),
        ({"minimum_age": "old"}, "minimum_age"),
        ({"start_date": datetime.date(2022, 1, 1), "completion_date": datetime.date(2021, 1, 1)}, "completion_date"),
        ({"overall_status": "FINISHED"}, "overall_status"),
        ({"phases": ["PHASE5"]}, "phases"),
        ({"enrollment_count": -1}, "enrollment_count"),
    ],
)
def test_clean_rejects_impossible_records(fields, field):
    with pytest.raises(ValidationError) as error:
        valid_trial(**fields).full_clean()
    assert field in error.value.message_dict


def test_a_month_precise_completion_may_share_the_start_month():
    trial = valid_trial(
        start_date=datetime.date(2020, 6, 15),
        completion_date=datetime.date(2020, 6, 1),
        completion_date_precision="MONTH",
    )
    trial.full_clean()


def test_the_database_refuses_a_minimum_age_above_the_maximum():
    with pytest.raises(IntegrityError), transaction.atomic():
        valid_trial(minimum_age_years=65, maximum_age_years=18).save()


def test_the_database_refuses_two_lead_sponsors():
    trial = valid_trial()
    trial.save()
    Sponsor.objects.create(trial=trial, name="A", is_lead=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Sponsor.objects.create(trial=trial, name="B", is_lead=True)


def test_phases_are_filtered_as_whole_codes():
    valid_trial(nct_id="NCT00000001", phases=["EARLY_PHASE1"]).save()
    valid_trial(nct_id="NCT00000002", phases=["PHASE1", "PHASE2"]).save()
    assert list(Trial.objects.with_phase("PHASE1").values_list("nct_id", flat=True)) == ["NCT00000002"]
    assert Trial.objects.get(nct_id="NCT00000002").phases == ["PHASE1", "PHASE2"]
