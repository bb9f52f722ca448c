"""Shared fixtures: the seed trial, test pages and generated trials."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import redis
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connections
from django.test import Client
from django.urls import reverse

from trials.db import without_statement_timeout
from trials.importers import SEED_DOCUMENT, ImportReport, import_paths
from trials.models import Trial
from trials.tests.editing import form_data

TEST_DATA = Path(__file__).resolve().parent / "trials" / "tests" / "data" / "pages"
CTGOV_DATA = Path(__file__).resolve().parent / "trials" / "tests" / "data" / "ctgov"


@pytest.fixture(scope="session")
def _database_setup_without_time_limit() -> Iterator[ExitStack]:
    """The statement time limit lifted from the connections that create and migrate the test database."""
    with ExitStack() as lifted:
        lifted.enter_context(without_statement_timeout())
        yield lifted


@pytest.fixture(scope="session")
def django_db_setup(_database_setup_without_time_limit, django_db_setup, django_db_blocker) -> Iterator[None]:
    """pytest-django's set-up and teardown of the test database, with no statement time limit.

    The tests themselves run with the limit a serving process has: the
    connections the set-up opened are closed, and the next ones carry it.
    Dropping the database at the end is, again, without it: under load a
    ``DROP DATABASE`` outlasts the 5 s a page may take.
    """
    _database_setup_without_time_limit.close()
    _close_postgresql_connections()
    yield
    _database_setup_without_time_limit.enter_context(without_statement_timeout())
    _close_postgresql_connections()


def _close_postgresql_connections() -> None:
    # SQLite's in-memory test database lives as long as its connection: it stays open.
    for each in connections.all():
        if each.vendor == "postgresql":
            each.close()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: a page or a reading kept by one test is never another's."""
    cache.clear()


@pytest.fixture
def seed_trial(db) -> Trial:
    report = import_paths([SEED_DOCUMENT])
    assert report.ok, report.failures
    return Trial.objects.get(nct_id="NCT04133233")


@pytest.fixture
def staff_editor(db) -> User:
    """A superuser, as the admin's editors are."""
    return User.objects.create_superuser("editor", "editor@example.org", "a long editor passphrase")


@pytest.fixture
def editor(staff_editor) -> Client:
    """A client signed in as ``staff_editor``, apart from the visitor's ``client``."""
    signed_in = Client()
    signed_in.force_login(staff_editor)
    return signed_in


@pytest.fixture
def admin_edit(editor) -> Callable[..., None]:
    """``admin_edit(nct_id, field=value, ...)``: a trial's change form submitted by ``editor`` with those values."""

    def submit(nct_id: str, **changes: str) -> None:
        change_url = reverse("admin:trials_trial_change", args=[Trial.objects.get(nct_id=nct_id).pk])
        data = form_data(editor.get(change_url))
        data.update(changes)
        assert editor.post(change_url, data).status_code == 302

    return submit


@pytest.fixture
def test_data() -> Path:
    return TEST_DATA


@pytest.fixture
def seed_text() -> str:
    return SEED_DOCUMENT.read_text(encoding="utf-8")


@pytest.fixture
def ctgov_data() -> Path:
    """Real ClinicalTrials.gov API v2 records (see the README beside them)."""
    return CTGOV_DATA


@pytest.fixture
def ctgov_imported(db) -> ImportReport:
    """Every real record imported; the import's report."""
    report = import_paths([CTGOV_DATA])
    assert report.ok, report.failures
    return report


@pytest.fixture
def ctgov_protocols(ctgov_imported) -> dict[str, dict]:
    """Every real record imported, and each one's protocol section read from its file, by NCT ID.

    Tests check what the portal answers against these, read without the importer.
    """
    studies = [json.loads(path.read_text()) for path in sorted(CTGOV_DATA.glob("NCT*.json"))]
    return {study["protocolSection"]["identificationModule"]["nctId"]: study["protocolSection"] for study in studies}


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A Redis of the tests' own: Debian's redis-server on a free port, keeping nothing on disk.

    Without redis-server the tests that need it are skipped, unless
    REQUIRE_REDIS=1 (as ``.ci/run`` sets), which makes that a failure.
    """
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.access(server, os.X_OK):
        message = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(f"{message}, and REQUIRE_REDIS=1 requires it")
        pytest.skip(message)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    directory = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_connect_timeout=1)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None:
                    pytest.fail(f"redis-server exited with {process.returncode} on port {port}")
                time.sleep(0.1)
        else:
            pytest.fail(f"redis-server did not answer on port {port}")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)
