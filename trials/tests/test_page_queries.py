"""A trial page's query compiled once (``one_with_rows``) reads exactly what the queryset reads."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from trials.models import Trial
from trials.models.queries import PAGE_RELATIONS, PAGE_ROWS, TrialQuerySet
from trials.templatetags.trial_tags import cached_reverse, trial_links


def _fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def _children(trial: Trial) -> dict:
    prefetched = trial._prefetched_objects_cache
    children = {name: [_fields(item) for item in rows] for name, rows in prefetched.items()}
    children["conditions"] = trial.condition_names
    children["links"] = [
        [(link.intervention_id, link.intervention.name) for link in arm.intervention_links.all()]
        for arm in trial.arm_groups.all()
    ]
    return children


@pytest.mark.parametrize("nct_id", ["NCT04133233", "NCT02967393", "NCT04267848"])
@pytest.mark.parametrize("tab", ["detail", "results"])
def test_it_reads_the_trial_and_its_children_as_the_queryset_does(seed_trial, ctgov_imported, nct_id, tab):
    relations = PAGE_ROWS.get(tab, PAGE_RELATIONS)
    expected = TrialQuerySet.with_rows(Trial.objects.all(), *relations).get(nct_id=nct_id)
    with CaptureQueriesContext(connection) as queries:
        trial = Trial.objects.one_with_rows(nct_id, relations)
    assert len(queries) == 1
    assert _fields(trial) == _fields(expected)
    assert _children(trial) == _children(expected)
    assert set(trial._prefetched_objects_cache) == set(relations) - {"arm_groups__intervention_links"}


def test_a_trial_not_on_file_does_not_exist(db):
    with pytest.raises(Trial.DoesNotExist):
        Trial.objects.one_with_rows("NCT99999999", PAGE_RELATIONS)


def test_urls_reversed_once_are_those_reverse_gives(settings):
    assert cached_reverse("trials:list") == reverse("trials:list")
    links = trial_links("NCT04133233")
    assert links.design == reverse("trials:design", args=["NCT04133233"])
    assert links.study == reverse("api:study", args=["NCT04133233"])
    assert links.feed == reverse("trials:trial_feed", args=["NCT04133233"])


def test_urls_reversed_once_follow_the_script_prefix():
    from django.urls import set_script_prefix

    set_script_prefix("/portal/")
    try:
        assert trial_links("NCT04133233").detail == "/portal/trials/NCT04133233/"
        assert cached_reverse("trials:glossary") == "/portal/glossary/"
    finally:
        set_script_prefix("/")
    assert trial_links("NCT04133233").detail == "/trials/NCT04133233/"
