"""The work one request may cause: search size caps, the statement time limit, the connect timeout, HEAD."""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections

from trials.db import without_statement_timeout
from trials.tests.portals import database_url

ROOT = Path(__file__).resolve().parents[2]
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")

# 120 short places joined by OR: under the API's 1,000 characters, and six
# seconds of work per 2,000 trials before the caps.
HOSTILE_OR_LIST = " OR ".join(f"p{number}" for number in range(120))


@pytest.mark.django_db
@pytest.mark.parametrize("parameter", ["query.locn", "query.intr", "query.term", "query.cond", "query.spons"])
def test_a_hostile_or_list_in_the_api_is_a_400_naming_the_parameter_and_the_limit(client, settings, parameter):
    response = client.get("/api/v2/studies", {parameter: HOSTILE_OR_LIST})
    assert response.status_code == 400
    assert response.content.decode() == (
        f"{parameter}: 120 alternatives joined by OR; at most {settings.SEARCH_MAX_ALTERNATIVES} are allowed\n"
    )


@pytest.mark.django_db
def test_too_many_terms_are_a_400_and_the_caps_are_settings(client, settings):
    many = " ".join(f"t{number}" for number in range(21))
    assert client.get("/api/v2/studies", {"query.locn": many}).content.decode() == (
        "query.locn: 21 terms; at most 20 are allowed\n"
    )
    settings.SEARCH_MAX_TERMS = 30
    assert client.get("/api/v2/studies", {"query.locn": many}).status_code == 200


@pytest.mark.django_db
def test_a_hostile_or_list_on_the_list_page_and_its_exports_is_a_400(client, settings):
    text = " OR ".join(f"p{number}" for number in range(60))  # within the box's 500 characters
    page = client.get("/trials/", {"q": text})
    assert page.status_code == 400
    assert f"60 alternatives joined by OR; at most {settings.SEARCH_MAX_ALTERNATIVES} are allowed" in (
        page.content.decode()
    )
    assert client.get("/trials/export.csv", {"q": text}).status_code == 400
    # Ten alternatives of two words each are still a search.
    assert client.get("/trials/", {"q": " OR ".join(f"a{n} b{n}" for n in range(10))}).status_code == 200


def _statement_timeout(cursor) -> str:
    cursor.execute("SELECT setting FROM pg_settings WHERE name = 'statement_timeout'")
    return cursor.fetchone()[0]


@postgres_only
@pytest.mark.django_db
def test_the_webs_connections_carry_the_limit_and_management_commands_do_not(settings):
    with connection.cursor() as cursor:
        assert _statement_timeout(cursor) == str(settings.PUBLIC_STATEMENT_TIMEOUT_MS) != "0"
    # An import or a related-trials rebuild runs as a command, a benchmark as a script:
    # their statements run as long as they need. A WSGI server's have the limit.
    show = (
        "from django.db import connection; cursor = connection.cursor(); "
        "cursor.execute('SHOW statement_timeout'); print(cursor.fetchone()[0])"
    )
    setup = "import django; django.setup(); "
    for arguments, expected in (
        (["manage.py", "shell", "--verbosity=0", "-c", show], "0"),
        (["-c", setup + show], "0"),
        (["-c", "import trialportal.wsgi; " + show], "1234ms"),
    ):
        process = subprocess.run(
            [sys.executable, *arguments],
            cwd=ROOT,
            env={
                **os.environ,
                "DATABASE_URL": database_url(),
                "PUBLIC_STATEMENT_TIMEOUT_MS": "1234",
                "DJANGO_SETTINGS_MODULE": "trialportal.settings",
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert process.returncode == 0, process.stderr
        assert process.stdout.strip() == expected, arguments


@postgres_only
@pytest.mark.django_db
def test_the_connections_that_set_up_the_test_database_have_no_limit(settings):
    # Creating, migrating and dropping the test database is no request: the suite's
    # fixture opens those connections inside without_statement_timeout.
    def limit() -> str:
        opened = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with opened.cursor() as cursor:
                return _statement_timeout(cursor)
        finally:
            opened.close()

    with without_statement_timeout():
        assert limit() == "0"
    assert limit() == str(settings.PUBLIC_STATEMENT_TIMEOUT_MS) != "0"
    # The tests' own connection, opened after the set-up, carries the limit.
    with connection.cursor() as cursor:
        assert _statement_timeout(cursor) == str(settings.PUBLIC_STATEMENT_TIMEOUT_MS)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_statement_past_the_time_limit_answers_503_and_the_connection_serves_the_next_request(client, monkeypatch):
    # The web's connection, opened again with a 200 ms limit (the setting, made small).
    connection.close()
    options = re.sub(r"statement_timeout=\d+", "statement_timeout=200", connection.settings_dict["OPTIONS"]["options"])
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "options", options)
    settings = connection.settings_dict
    # Another real connection locks the trials away; it lets go after 15 s at most,
    # so that a server without the limit answers (200) rather than hangs.
    blocker = psycopg.connect(
        dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"], port=settings["PORT"] or 5432
    )
    release = threading.Timer(15, blocker.rollback)
    try:
        blocker.execute("LOCK TABLE trials_trial IN ACCESS EXCLUSIVE MODE")
        release.start()
        page = client.get("/trials/", {"q": "asthma"})
        api = client.get("/api/v2/studies", {"query.locn": "Boston"})
    finally:
        release.cancel()
        blocker.rollback()
        blocker.close()
    assert page.status_code == 503 and page["Retry-After"] == "60"
    assert "took longer than the portal allows" in page.content.decode()
    assert api.status_code == 503
    assert api.content.decode().startswith("This request took longer than the portal allows")
    # The connection is fine once the lock is gone.
    assert client.get("/trials/", {"q": "asthma"}).status_code == 200
    assert client.get("/healthz").status_code == 200
    connection.close()


def _silent_server() -> tuple[socket.socket, int, list[socket.socket]]:
    """A listener on loopback that accepts connections and never answers them."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    return listener, listener.getsockname()[1], accepted


PROBE = """
from django.test import Client
client = Client(HTTP_HOST="localhost")
for url in ("/healthz", "/trials/", "/api/v2/studies"):
    print(url, client.get(url).status_code)
"""


def test_a_database_that_never_answers_gets_503s_within_seconds():
    listener, port, accepted = _silent_server()
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{port}/trialportal",
        DJANGO_DB_CONNECT_TIMEOUT="2",
        DJANGO_SETTINGS_MODULE="trialportal.settings",
        PYTHONPATH=str(ROOT),
    )
    started = time.monotonic()
    try:
        # Without a connect timeout each request waits for ever: the wait is bounded here.
        probe = subprocess.run(
            [sys.executable, "-c", "import django; django.setup()\n" + PROBE],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("requests hung on a database that never answers")
    finally:
        listener.close()
        for peer in accepted:
            peer.close()
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == ["/healthz", "503", "/trials/", "503", "/api/v2/studies", "503"]
    assert accepted, "the probe never reached the silent server"
    assert time.monotonic() - started < 45


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_gunicorn_answers_head_without_a_body_and_without_a_warning(tmp_path):
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="1",
        # Off by default (the proxy logs); on here, to read how the HEAD was logged.
        GUNICORN_ACCESS_LOG="-",
    )
    with log.open("w") as output:
        server = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "-c",
                "trialportal/gunicorn.conf.py",
                "--no-control-socket",
                "trialportal.wsgi",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        answers = {}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not answers:
            try:
                for method in ("GET", "HEAD"):
                    client = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                    client.request(method, "/robots.txt")
                    response = client.getresponse()
                    answers[method] = (response.status, response.getheader("Content-Length"), response.read())
                    client.close()
            except OSError:
                answers = {}
                time.sleep(0.2)
        time.sleep(0.5)  # the access log line follows the answer
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert answers["GET"][0] == answers["HEAD"][0] == 200
    assert answers["HEAD"][1] == answers["GET"][1] == str(len(answers["GET"][2]))
    assert answers["HEAD"][2] == b""
    text = log.read_text()
    assert '"HEAD /robots.txt HTTP/1.1" 200' in text
    assert "WARNING" not in text and "no-body response" not in text, text
