"""Visitors' pages read a replica; writes, imports, the admin and signed-in editors use the primary."""

import copy
from contextlib import contextmanager

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from trialportal.db_router import PrimaryReplicaRouter, reading_from
from trials.importers import SEED_DOCUMENT, import_paths
from trials.models import Trial

SEED = "NCT04133233"
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="replicas are PostgreSQL databases")


@contextmanager
def replica(alias: str, name: str):
    """A replica alias for database ``name`` on the tests' server, as DATABASE_REPLICA_URLS would add it."""
    primary = connections[DEFAULT_DB_ALIAS]
    connections[alias] = type(primary)({**copy.deepcopy(primary.settings_dict), "NAME": name}, alias)
    try:
        yield connections[alias]
    finally:
        connections[alias].close()
        del connections[alias]


@contextmanager
def queries_on(*aliases: str):
    with (
        CaptureQueriesContext(connections[aliases[0]]) as first,
        CaptureQueriesContext(connections[aliases[1]]) as second,
    ):
        yield first, second


def test_the_router_writes_and_migrates_the_primary_and_reads_it_outside_a_visitors_request():
    router = PrimaryReplicaRouter()
    assert router.db_for_read(Trial) is None  # a command, a script, an import: the primary
    assert router.db_for_write(Trial) == DEFAULT_DB_ALIAS
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "trials") and not router.allow_migrate("replica1", "trials")
    with reading_from("replica1"):
        assert router.db_for_read(Trial) == "replica1"
        assert router.db_for_write(Trial) == DEFAULT_DB_ALIAS


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_visitor_reads_the_replica_and_a_signed_in_editor_the_primary(client, settings, staff_editor):
    assert import_paths([SEED_DOCUMENT]).ok
    page = reverse("trials:detail", args=[SEED])
    with replica("replica1", connections[DEFAULT_DB_ALIAS].settings_dict["NAME"]):
        settings.DATABASE_REPLICAS = ["replica1"]
        with queries_on(DEFAULT_DB_ALIAS, "replica1") as (primary, replicated):
            assert client.get(page).status_code == 200
        assert len(replicated) >= 1 and len(primary) == 0
        client.force_login(staff_editor)
        with queries_on(DEFAULT_DB_ALIAS, "replica1") as (primary, replicated):
            assert client.get(page).status_code == 200
            assert client.get(reverse("admin:trials_trial_changelist")).status_code == 200
        assert len(primary) >= 2 and len(replicated) == 0


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_lagging_replica_serves_visitors_while_editors_imports_and_the_admin_see_the_primary(
    client, settings, staff_editor
):
    primary_name = connections[DEFAULT_DB_ALIAS].settings_dict["NAME"]
    lagging = f"{primary_name}_lagging"
    # A copy taken now is a replica that stopped here: it lacks what the primary gets next.
    connections.close_all()
    with connections[DEFAULT_DB_ALIAS]._nodb_cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")  # copying a database outlasts a page's limit
        cursor.execute(f'DROP DATABASE IF EXISTS "{lagging}"')
        cursor.execute(f'CREATE DATABASE "{lagging}" TEMPLATE "{primary_name}"')
    try:
        assert import_paths([SEED_DOCUMENT]).ok
        with replica("lagging", lagging):
            settings.DATABASE_REPLICAS = ["lagging"]
            page = reverse("trials:detail", args=[SEED])
            assert client.get(page).status_code == 404
            assert client.get(f"/api/v2/studies/{SEED}").status_code == 404
            # An import compares with what the primary holds: nothing changed.
            assert import_paths([SEED_DOCUMENT]).counts["unchanged"] == 1
            client.force_login(staff_editor)
            assert client.get(page).status_code == 200
            change = reverse("admin:trials_trial_change", args=[Trial.objects.get(nct_id=SEED).pk])
            assert client.get(change).status_code == 200
            client.logout()
            assert client.get(page).status_code == 404
    finally:
        connections.close_all()
        with connections[DEFAULT_DB_ALIAS]._nodb_cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")
            cursor.execute(f'DROP DATABASE IF EXISTS "{lagging}"')


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_visitors_list_page_counts_within_its_time_limit_on_the_replica_it_reads(client, settings):
    # The limit is set where the count runs: a limit on the primary would leave the replica's count unbounded.
    assert import_paths([SEED_DOCUMENT]).ok
    with replica("replica1", connections[DEFAULT_DB_ALIAS].settings_dict["NAME"]) as replicated_connection:
        settings.DATABASE_REPLICAS = ["replica1"]
        limits = []

        def watch(execute, sql, params, many, context):
            result = execute(sql, params, many, context)  # under the limits the wrappers inside set
            limits.append(context["connection"].connection.execute("SHOW statement_timeout").fetchone()[0])
            return result

        with queries_on(DEFAULT_DB_ALIAS, "replica1") as (primary, _), replicated_connection.execute_wrapper(watch):
            assert client.get(reverse("trials:list"), {"q": "cancer"}).status_code == 200
        assert [query["sql"][:150] for query in primary] == []
        # time_limit's local settings read "<n>ms"; a connection's own default reads "0" or "30s".
        assert any(limit.endswith("ms") for limit in limits), limits
