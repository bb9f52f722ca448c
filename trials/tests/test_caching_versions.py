"""A trial's version read through PostgreSQL's prepared statement: the same version, and never a stale page."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils.http import http_date

from trials import caching, prepared
from trials.caching import RECORD, RELATED, TAB, trial_version
from trials.models import SimilarTrial, Trial
from trials.tests.factories import make_trial

pytestmark = pytest.mark.django_db
postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")

SEED = "NCT04133233"


def prepared_statements() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


def through_djangos_cursor(monkeypatch, nct_id: str, kind: str):
    with monkeypatch.context() as patched:
        patched.setattr(caching, "_prepared_row", lambda *args: caching._UNANSWERED)
        return trial_version(nct_id, kind)


@pytest.mark.parametrize("kind", [TAB, RELATED, RECORD])
def test_the_prepared_statement_and_djangos_cursor_read_the_same_version(monkeypatch, seed_trial, kind):
    other = make_trial("NCT90000101")
    SimilarTrial.objects.create(trial=seed_trial, other=other, score=0.25, reasons=["Same condition"])
    assert trial_version(SEED, kind) == through_djangos_cursor(monkeypatch, SEED, kind)
    assert trial_version("NCT09999999", kind) is None


@postgresql
def test_the_version_is_asked_through_a_statement_prepared_once_per_connection(
    client, seed_trial, django_assert_num_queries
):
    url = reverse("trials:detail", args=[SEED])
    # A first render takes its version from the trial it reads; the kept page asks the version alone.
    assert client.get(url).status_code == 200
    with django_assert_num_queries(1) as captured:
        assert client.get(url).status_code == 200
    assert {"trialportal_version_tab"} <= prepared_statements()
    assert SEED in captured.captured_queries[0]["sql"]


@postgresql
@pytest.mark.django_db(transaction=True)
def test_a_statement_dropped_by_a_pooler_or_a_new_connection_never_serves_a_stale_page(
    client, seed_trial, django_assert_num_queries
):
    # Autocommit, as a request runs: a statement that is gone fails alone, and Django's cursor asks instead.
    url = reverse("trials:design", args=[SEED])
    first = client.get(url)
    with connection.cursor() as cursor:
        # What a pooler's DISCARD ALL between clients does to a session's statements.
        cursor.execute("DEALLOCATE ALL")
    Trial.objects.filter(pk=seed_trial.pk).update(
        brief_title="Written by a sync on another node", updated_at=seed_trial.updated_at.replace(year=2030)
    )
    changed = client.get(url)
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    assert "Written by a sync on another node" in changed.content.decode()
    # Asked again through the statement, prepared again on the connection.
    with django_assert_num_queries(1):
        assert client.get(url)["ETag"] == changed["ETag"]
    assert "trialportal_version_tab" in prepared_statements()
    connection.close()
    Trial.objects.filter(pk=seed_trial.pk).update(updated_at=seed_trial.updated_at.replace(year=2031))
    again = client.get(url)
    assert again.status_code == 200 and again["ETag"] not in (first["ETag"], changed["ETag"])
    assert "trialportal_version_tab" in prepared_statements()


@postgresql
def test_a_broken_transaction_is_left_to_djangos_cursor(seed_trial):
    connection.needs_rollback = True
    try:
        assert prepared.prepared_row(connection, "trialportal_version_tab", "SELECT 1", SEED) is prepared.UNANSWERED
    finally:
        connection.needs_rollback = False


def test_a_route_is_read_once_per_path_and_unknown_paths_are_left_to_the_stack(client, seed_trial):
    caching._route.cache_clear()
    for _ in range(3):
        assert client.get(reverse("trials:detail", args=[SEED])).status_code == 200
    assert client.get("/no-such-page/").status_code == 404
    info = caching._route.cache_info()
    assert info.misses == 2 and info.hits == 2


@postgresql
@pytest.mark.django_db(transaction=True)
def test_a_statement_that_timed_out_is_still_prepared_and_used_again():
    sql = "SELECT %s::text || '' FROM pg_sleep(0.2)"
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = '20ms'")
    try:
        assert prepared.prepared_row(connection, "trialportal_test_slow", sql, SEED) is prepared.UNANSWERED
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")
    # The failed run left the statement on the server: asking again executes it, not a second PREPARE.
    assert "trialportal_test_slow" in prepared_statements()
    assert prepared.prepared_row(connection, "trialportal_test_slow", sql, SEED) == (SEED,)
    # And one a pooler dropped is prepared again.
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE trialportal_test_slow")
    assert prepared.prepared_row(connection, "trialportal_test_slow", sql, SEED) is prepared.UNANSWERED
    assert prepared.prepared_row(connection, "trialportal_test_slow", sql, SEED) == (SEED,)


@pytest.mark.parametrize("tab", ["detail", "design", "results"])
def test_a_first_render_takes_its_version_from_the_trial_it_reads(client, seed_trial, tab, django_assert_num_queries):
    cache.clear()
    url = reverse(f"trials:{tab}", args=[SEED])
    with django_assert_num_queries(1):
        first = client.get(url)
    # The version the page read with its trial is the one its version's query reads.
    version = trial_version(SEED, TAB)
    assert first["ETag"] == version.etag
    assert first["Last-Modified"] == http_date(int(version.last_modified.timestamp()))
    with django_assert_num_queries(1):
        assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    with django_assert_num_queries(1):
        kept = client.get(url)
    assert kept.content == first.content and kept["ETag"] == first["ETag"]
