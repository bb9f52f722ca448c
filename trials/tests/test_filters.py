"""The list page's filter set (trials/filters.py) alone: what it refuses, and what SQL each filter asks for.

The SQL is compiled, never run, so both backends' choices are checked on
either database: ``search.backend`` is replaced by the one under test.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.http import QueryDict

from trials import search
from trials.filters import TrialFilter
from trials.importers import import_paths
from trials.models import Condition, Trial

pytestmark = pytest.mark.django_db


def filtered(params: str, backend: type = search.SimpleBackend, **kwargs) -> TrialFilter:
    """The filter set of ``params`` (a query string), run with ``backend``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search, "backend", backend)
        filterset = TrialFilter(QueryDict(params), queryset=Trial.objects.all(), **kwargs)
        assert filterset.is_valid(), filterset.errors
        filterset.qs  # noqa: B018 - runs the filters
    return filterset


def where(params: str, backend: type = search.SimpleBackend, **kwargs) -> tuple[str, tuple]:
    """The WHERE clause the filters of ``params`` add, with its parameters."""
    sql, values = filtered(params, backend, **kwargs).matches.query.sql_with_params()
    return sql.partition(" WHERE ")[2], values


def errors(params: str) -> dict[str, list[str]]:
    filterset = TrialFilter(QueryDict(params), queryset=Trial.objects.all())
    assert not filterset.is_valid()
    return {name: list(messages) for name, messages in filterset.errors.items()}


def test_it_refuses_unknown_codes_and_numbers_that_are_not_ages_with_their_reasons():
    assert errors("status=RECRUITING&status=BOGUS") == {
        "status": ["Select a valid choice. BOGUS is not one of the available choices."]
    }
    assert errors("age=abc") == {"age": ["Enter a number."]}
    assert errors("age=131") == {"age": ["Ensure this value is less than or equal to 130."]}
    assert errors("healthy_volunteers=maybe&sort=random") == {
        "healthy_volunteers": ["Select a valid choice. maybe is not one of the available choices."],
        "sort": ["Select a valid choice. random is not one of the available choices."],
    }


def test_a_reversed_date_range_is_refused_on_its_to_field():
    assert errors("start_from=2020-01-02&start_to=2020-01-01") == {
        "start_to": ["The start date range is reversed: “to” is before “from”."]
    }
    assert errors("completion_from=2021-05-01&completion_to=2020-01-01&start_from=2020-01-01&start_to=2020-01-01") == {
        "completion_to": ["The completion date range is reversed: “to” is before “from”."]
    }


def test_a_search_text_past_the_size_caps_is_refused_with_the_count(settings):
    settings.SEARCH_MAX_ALTERNATIVES = 2
    assert errors("q=asthma+OR+copd+OR+emphysema") == {
        "q": ["The search asks for too much: 3 alternatives joined by OR; at most 2 are allowed."]
    }
    assert filtered("q=asthma+OR+copd").form.cleaned_data["q"] == "asthma OR copd"


def test_status_with_a_text_on_postgres_matches_facet_tokens():
    sql, values = where("q=cancer&status=RECRUITING&status=COMPLETED", search.PostgresBackend)
    assert '"trials_trial"."facet_tokens" && ARRAY[upper(%s), upper(%s)]::text[]' in sql
    # After the text's own parameters (its MeSH synonyms included, where it names a descriptor).
    assert ("s:RECRUITING", "s:COMPLETED") in zip(values, values[1:], strict=False)
    assert '"overall_status"' not in sql


def test_status_on_postgres_applies_the_lapse_rule_on_the_date_columns_beside_the_tokens():
    sql, values = where("q=cancer&status=RECRUITING&status=UNKNOWN", search.PostgresBackend)
    assert '"overall_status"' not in sql
    assert '"status_verified_date" <' in sql and '"completion_date" <' in sql
    assert {"s:RECRUITING", "s:UNKNOWN", "s:NOT_YET_RECRUITING", "s:ACTIVE_NOT_RECRUITING"} <= set(values)


def test_status_without_a_text_or_without_postgres_matches_the_column():
    for params, backend in (
        ("status=RECRUITING&status=COMPLETED", search.PostgresBackend),
        ("q=cancer&status=RECRUITING&status=COMPLETED", search.SimpleBackend),
    ):
        sql, values = where(params, backend)
        assert '"trials_trial"."overall_status" IN (%s, %s)' in sql
        assert "facet_tokens" not in sql
        assert ("RECRUITING", "COMPLETED") in zip(values, values[1:], strict=False)


def test_country_and_city_are_one_site_one_token_on_postgres_one_join_elsewhere():
    sql, values = where("country=France&city=Paris", search.PostgresBackend)
    assert '"facet_tokens" && ARRAY[upper(%s)]' in sql and "trials_site" not in sql
    assert values == ("m:France|Paris",)
    sql, values = where("country=France&city=Paris", search.SimpleBackend)
    assert sql.count('FROM "trials_site"') == 1 and "facet_tokens" not in sql
    assert set(values) == {1, "France", "Paris"}


def test_sex_takes_trials_for_all_sexes_too():
    sql, values = where("sex=FEMALE", search.SimpleBackend)
    assert '"trials_trial"."sex" IN (%s, %s, %s)' in sql
    assert values == ("FEMALE", "ALL", "")
    _, values = where("q=x&sex=FEMALE", search.PostgresBackend)
    assert values[-1] == "x:FEMALE"


def test_age_keeps_trials_without_a_limit_on_either_side():
    sql, values = where("age=50", search.PostgresBackend)
    assert (
        '("trials_trial"."minimum_age_years" IS NULL OR "trials_trial"."minimum_age_years" <= %s) AND '
        '("trials_trial"."maximum_age_years" IS NULL OR "trials_trial"."maximum_age_years" >= %s)'
    ) in sql
    assert values == (50.0, 50.0)


def test_an_intervention_type_is_a_type_and_any_other_word_a_name():
    _, values = where("intervention=drug", search.PostgresBackend)
    assert values == ("i:DRUG",)
    sql, values = where("intervention=Drug", search.SimpleBackend)
    assert '"type" = %s' in sql and values[-1] == "DRUG"
    sql, values = where("intervention=aspirin", search.PostgresBackend)
    # Its name, its other names, or the trial's unattributed other names, each as a word: one
    # expression each (upper-cased on PostgreSQL, case-folding on SQLite).
    assert "facet_tokens" not in sql and sum("aspirin" in str(value).lower() for value in values) == 3


def test_a_condition_is_matched_by_its_ids_on_postgres_up_to_the_token_cap(monkeypatch):
    first = Condition.objects.create(name="Type 1 Diabetes")
    second = Condition.objects.create(name="Type 2 Diabetes")
    Condition.objects.create(name="Asthma")
    _, values = where("condition=diabetes", search.PostgresBackend)
    assert sorted(values) == sorted([f"c:{first.pk}", f"c:{second.pk}"])
    monkeypatch.setattr(search, "MAX_TOKENS", 1)
    sql, _ = where("condition=diabetes", search.PostgresBackend)
    assert "facet_tokens" not in sql and 'FROM "trials_trialcondition"' in sql


def test_a_misspelled_condition_is_read_as_the_close_names_on_file():
    Condition.objects.create(name="Diabetes")
    Condition.objects.create(name="Asthma")
    filterset = filtered("condition=diabetis", search.SimpleBackend)
    assert filterset.condition_matches == ["Diabetes"]
    _, values = where("condition=diabetis", search.SimpleBackend)
    assert "Diabetes" in values


def test_the_skipped_filter_is_left_out_for_its_own_facet():
    sql, _ = where("status=RECRUITING&phase=PHASE2", search.SimpleBackend, skip="status")
    assert "overall_status" not in sql and '"trials_trial"."phases"' in sql


def test_relevance_is_the_order_only_when_there_is_a_text():
    ranked = filtered("q=cancer")
    assert ranked.ranked_by_relevance
    assert ranked.qs.query.order_by[0].expression.name == "rank"
    assert not filtered("q=cancer&sort=updated").ranked_by_relevance
    by_enrollment = filtered("sort=enrollment")
    assert not by_enrollment.ranked_by_relevance
    first, then = by_enrollment.qs.query.order_by
    assert (first.expression.name, first.descending, first.nulls_last, then) == (
        "enrollment_count",
        True,
        True,
        "nct_id",
    )


@pytest.mark.parametrize("value", ["0", "false", "False", "no", "off", ""])
def test_exact_words_are_off_when_the_flag_says_no(value):
    assert filtered(f"q=heart+attack&exact={value}").reading.exact is False


@pytest.mark.parametrize("value", ["1", "true", "yes", "on"])
def test_exact_words_are_on_when_the_flag_says_yes(value):
    assert filtered(f"q=heart+attack&exact={value}").reading.exact is True


def test_the_exact_checkbox_is_unticked_for_exact_0(client):
    html = client.get("/trials/", {"q": "heart attack", "exact": "0"}).content.decode()
    assert 'name="exact" value="1" id="id_exact">' in html
    html = client.get("/trials/", {"q": "heart attack", "exact": "1"}).content.decode()
    assert 'name="exact" value="1" id="id_exact" checked>' in html


INTERVENTIONS = Path(__file__).parent / "data" / "interventions"


@pytest.fixture
def intervention_records():
    report = import_paths([INTERVENTIONS])
    assert report.ok, report.failures


def filtered_ids(params: str) -> set[str]:
    filterset = TrialFilter(QueryDict(params), queryset=Trial.objects.all())
    assert filterset.is_valid(), filterset.errors
    return set(filterset.qs.values_list("nct_id", flat=True))


def test_an_intervention_is_matched_as_a_word_not_inside_one(intervention_records):
    # Not Fludarabine, Fluvastatin-sodium or Fluoxetine: only the record calling fludarabine "Flu".
    assert filtered_ids("intervention=flu") == {"NCT01949129"}
    assert filtered_ids("intervention=fluvastatin") == {"NCT00382161"}


def test_an_intervention_filter_finds_the_other_names_the_records_give_it(intervention_records):
    fludarabine = {"NCT01949129", "NCT02724163", "NCT04714372"}
    assert filtered_ids("intervention=fludarabine") == fludarabine
    # "Fludara" is written in one record; the others name only its generic, which NCT04714372 pairs it with.
    assert filtered_ids("intervention=Fludara") == fludarabine
    assert filtered_ids("intervention=Fludara&exact=1") == {"NCT04714372"}
