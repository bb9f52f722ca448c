"""/stats/field/values and /stats/field/sizes share a time limit: past it, a 503 that says what to ask instead."""

import pytest
from django.db import connection

from trials import db
from trials.api import views

pytestmark = pytest.mark.django_db
postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statement_timeout")


def sleeping(seconds: float, statements: int = 1):
    """Statistics that take ``seconds`` in each of ``statements`` statements."""

    def stats_of(*args, **kwargs):
        with connection.cursor() as cursor:
            for _ in range(statements):
                cursor.execute("SELECT pg_sleep(%s)", [seconds])
        return []

    return stats_of


@postgresql
@pytest.mark.django_db(transaction=True)
def test_statements_share_the_limit_however_short_each_is():
    # Each statement alone is well within the limit; the third has no time left.
    with pytest.raises(db.TooLong), db.time_limit(250):
        sleeping(0.1, statements=3)()
    with db.time_limit(2000):
        sleeping(0.1, statements=3)()


@postgresql
def test_the_limit_ends_with_its_block(seed_trial):
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        before = cursor.fetchone()[0]
    with db.time_limit(300):
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == before
        cursor.execute("SELECT pg_sleep(0.4)")  # no longer limited


@postgresql
@pytest.mark.parametrize(("path", "computed"), [("values", "value_stats"), ("sizes", "list_sizes")])
def test_statistics_past_the_limit_are_a_503_saying_what_to_ask(
    client, seed_trial, settings, monkeypatch, path, computed
):
    settings.STATS_TIME_LIMIT_MS = 100
    monkeypatch.setattr(views, computed, sleeping(1))
    response = client.get(f"/api/v2/stats/field/{path}")
    assert response.status_code == 503 and response["Retry-After"] == "60"
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    message = response.content.decode()
    assert "fields=" in message and "0.1 s" in message


def test_statistics_within_the_limit_are_answered(client, seed_trial, settings, django_assert_max_num_queries):
    settings.STATS_TIME_LIMIT_MS = 30_000
    with django_assert_max_num_queries(12):
        response = client.get("/api/v2/stats/field/values")
    assert response.status_code == 200
    fields = {item["field"]: item for item in response.json()}
    assert fields["protocolSection.statusModule.overallStatus"]["topValues"][0]["studiesCount"] == 1
    assert client.get("/api/v2/stats/field/sizes", {"fields": "Condition"}).status_code == 200
