"""The facet-token grammar: the tokens the filters look for are those the database writes."""

import pytest
from django.db import connection

from trials import facets


def test_tokens_are_a_prefix_and_a_value_and_a_place_names_the_same_site():
    assert facets.tokens(facets.STATUS, ["RECRUITING", "COMPLETED"]) == ["s:RECRUITING", "s:COMPLETED"]
    assert facets.token(facets.CONDITION, 42) == "c:42"
    assert facets.place("France", "Paris") == "m:France|Paris"
    assert facets.place("France", "") == "n:France"
    assert facets.place("", "Paris") == "y:Paris"
    assert facets.token(facets.MESH, "D009203") == "d:D009203"
    assert len(facets.PREFIXES) == 14


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="facet tokens are PostgreSQL's")
def test_the_sql_function_writes_every_prefix_of_the_grammar_and_no_other():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT trials_facet_tokens('RECRUITING', 'PHASE2,PHASE3', 'INTERVENTIONAL', 'RANDOMIZED', 'ALL', "
            "true, false, 'INDUSTRY', ARRAY['France'], ARRAY['Paris'], ARRAY[42]::bigint[], ARRAY['DRUG'], "
            "ARRAY['D009203'])"
        )
        written = set(cursor.fetchone()[0])
    expected = {
        facets.token(facets.STATUS, "RECRUITING"),
        *facets.tokens(facets.PHASE, ["PHASE2", "PHASE3"]),
        facets.token(facets.STUDY_TYPE, "INTERVENTIONAL"),
        facets.token(facets.ALLOCATION, "RANDOMIZED"),
        *facets.tokens(facets.SEX, ["FEMALE", "MALE"]),
        facets.token(facets.HEALTHY_VOLUNTEERS, "yes"),
        facets.token(facets.HAS_RESULTS, "no"),
        facets.token(facets.LEAD_SPONSOR_CLASS, "INDUSTRY"),
        facets.place("France", ""),
        facets.place("", "Paris"),
        facets.place("France", "Paris"),
        facets.token(facets.CONDITION, 42),
        facets.token(facets.INTERVENTION_TYPE, "DRUG"),
        facets.token(facets.MESH, "D009203"),
    }
    assert written == {token.upper() for token in expected}
    assert {token.split(":", 1)[0].lower() for token in written} == facets.PREFIXES
