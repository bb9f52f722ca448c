"""The API served on loopback, for tests that talk to it over HTTP as outside clients do."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.test.testcases import LiveServerThread, _StaticFilesHandler
from django.test.utils import override_settings

from trials.importers import SEED_DOCUMENT, import_paths
from trials.tests.browser.data import ensure_staff_groups

CTGOV_RECORDS = Path(__file__).resolve().parent / "data" / "ctgov"


@pytest.fixture(scope="module")
def api_server(django_db_setup, django_db_blocker) -> Iterator[str]:
    """``/api/v2`` of a server thread over the test database, holding the seed trial and the real records.

    Loaded once for a module (committed, so the server's threads see it) and
    flushed after it: a transactional test's flush for each request sequence
    would cost more than the requests. PostgreSQL only: the SQLite test
    database is in memory, which other threads share only through one
    connection, and these tests are about the answers, not the backend.
    """
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            pytest.skip("served over HTTP from the PostgreSQL test database")
        report = import_paths([SEED_DOCUMENT, CTGOV_RECORDS])
        assert report.ok, report.failures
        # Each request runs in a thread of its own: a connection kept past it would outlive the test database.
        kept = {alias: connections.settings[alias]["CONN_MAX_AGE"] for alias in connections.settings}
        for alias in kept:
            connections.settings[alias]["CONN_MAX_AGE"] = 0
        server = LiveServerThread("127.0.0.1", _StaticFilesHandler)
        server.daemon = True
        hosts = override_settings(ALLOWED_HOSTS=["127.0.0.1"])
        hosts.enable()
        server.start()
        server.is_ready.wait()
        try:
            if server.error:
                raise server.error
            yield f"http://127.0.0.1:{server.port}/api/v2"
        finally:
            server.terminate()
            hosts.disable()
            for alias, age in kept.items():
                connections.settings[alias]["CONN_MAX_AGE"] = age
            call_command("flush", interactive=False, verbosity=0)
            ensure_staff_groups()  # which the flush removes and later tests expect
