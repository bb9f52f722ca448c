"""trials/db.py's quick answers: a statement under a time limit, and the planner's estimate."""

from __future__ import annotations

import pytest
from django.db import connection

from trials import db
from trials.models import Trial

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


def _sleep() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(%s)", [10 * db.COUNT_TIMEOUT_MS / 1000])


def test_a_statement_within_its_time_gives_its_answer():
    Trial.objects.create(nct_id="NCT00000001", brief_title="A trial")
    assert db.within_time(Trial.objects.count) == 1


@postgres_only
def test_a_statement_past_its_time_gives_none_and_the_caller_goes_on():
    assert db.within_time(_sleep) is None
    # Only the savepoint was rolled back: the caller's transaction still answers.
    assert Trial.objects.count() == 0


def test_an_estimate_of_what_cannot_match_is_zero_without_a_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        expected = db.estimate(Trial.objects.none())
    assert expected == (0 if connection.vendor == "postgresql" else None)


@postgres_only
def test_the_estimate_is_the_planners_row_count():
    Trial.objects.bulk_create(Trial(nct_id=f"NCT{n:08d}", brief_title="A trial") for n in range(1, 51))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(Trial._meta.db_table)}")
    assert db.estimate(Trial.objects.all()) == 50


def test_sqlite_has_no_estimate():
    if connection.vendor == "postgresql":
        pytest.skip("SQLite only")
    assert db.estimate(Trial.objects.all()) is None
