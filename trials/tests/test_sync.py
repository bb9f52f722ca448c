"""Sync from an API v2 server: a source portal in a process of its own, the test database its mirror."""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from trials.models import SyncCheckpoint, Trial
from trials.sync import Client, SyncAlreadyRunning, SyncRefused, sync, user_agent
from trials.tests.portals import BASE_DIR, FaultyProxy, ScriptedSource, SourcePortal, database_url

CTGOV_DATA = Path(__file__).resolve().parent / "data" / "ctgov"
# The first 30 real records: results, observational studies, stopped trials among them.
SOURCE_RECORDS = sorted(CTGOV_DATA.glob("NCT*.json"))[:30]
SOURCE_IDS = sorted(path.stem for path in SOURCE_RECORDS)
PAGE_SIZE = 7  # 30 studies: 5 pages


@pytest.fixture(scope="session")
def source_database(tmp_path_factory) -> SourcePortal:
    """A source portal's database, migrated and loaded with the records once a session."""
    folder = tmp_path_factory.mktemp("source")
    records = folder / "records"
    records.mkdir()
    for path in SOURCE_RECORDS:
        shutil.copy(path, records)
    portal = SourcePortal(folder / "source.sqlite3")
    portal.manage("migrate", "--noinput", "-v0")
    portal.manage("import_trials", str(records), "--no-progress")
    return portal


@pytest.fixture
def source(source_database, tmp_path):
    """A running source portal on a copy of the database, so a test may change it."""
    portal = source_database.copy(tmp_path / "source.sqlite3").start()
    yield portal
    portal.stop()


@pytest.fixture
def quick(settings):
    settings.SYNC_MAX_REQUESTS_PER_MINUTE = 0
    settings.SYNC_BACKOFF_SECONDS = 0.01
    settings.SYNC_MAX_ATTEMPTS = 4


def without_version_date(study: dict) -> dict:
    # The date each portal last wrote its copy, not part of the record.
    study.get("derivedSection", {}).get("miscInfoModule", {}).pop("versionHolder", None)
    return study


def assert_mirrors(client, source: SourcePortal) -> None:
    assert sorted(Trial.objects.values_list("nct_id", flat=True)) == SOURCE_IDS
    for nct_id in SOURCE_IDS:
        mirrored = orjson.loads(client.get(f"/api/v2/studies/{nct_id}").content)
        assert without_version_date(mirrored) == without_version_date(source.study(nct_id)), nct_id


def test_a_full_sync_mirrors_the_source_study_for_study(db, client, source, quick):
    checkpoint = sync(source.url, page_size=PAGE_SIZE)

    assert checkpoint.outcome == SyncCheckpoint.Outcome.SUCCEEDED
    assert (checkpoint.mode, checkpoint.created, checkpoint.failed) == ("full", 30, 0)
    assert (checkpoint.pages, checkpoint.requests, checkpoint.total_count) == (5, 5, 30)
    assert_mirrors(client, source)


def change_at_source(source: SourcePortal, folder: Path, nct_ids: list[str]) -> None:
    """Five of the source's studies completed today, as the registry would post them."""
    folder.mkdir()
    today = timezone.now().date().isoformat()
    for nct_id in nct_ids:
        study = record(nct_id)
        status = study["protocolSection"]["statusModule"]
        status["overallStatus"] = "COMPLETED" if status["overallStatus"] != "COMPLETED" else "TERMINATED"
        status["lastUpdatePostDateStruct"] = {"date": today, "type": "ACTUAL"}
        (folder / f"{nct_id}.json").write_bytes(orjson.dumps(study))
    source.manage("import_trials", str(folder), "--no-progress")


def test_an_incremental_sync_brings_five_changed_studies_in_one_request(db, client, source, quick, tmp_path):
    sync(source.url, page_size=PAGE_SIZE)
    changed = SOURCE_IDS[3:8]
    change_at_source(source, tmp_path / "changed", changed)

    checkpoint = sync(source.url, page_size=PAGE_SIZE)

    assert (checkpoint.mode, checkpoint.since) == ("incremental", timezone.now().date() - datetime.timedelta(days=1))
    assert (checkpoint.updated, checkpoint.created, checkpoint.unchanged, checkpoint.failed) == (5, 0, 0, 0)
    assert (checkpoint.pages, checkpoint.requests) == (1, 1)
    assert set(
        Trial.objects.filter(overall_status__in=["COMPLETED", "TERMINATED"]).values_list("nct_id", flat=True)
    ) >= set(changed)
    assert_mirrors(client, source)
    # Each change is kept as a version from the sync, worded on the History tab, in the API and in the feed.
    nct_id = changed[0]
    versions = client.get(f"/api/v2/studies/{nct_id}/history").json()["versions"]
    assert [(version["version"], version["source"]) for version in versions][:1] == [(2, "sync")]
    assert any(change.startswith("Overall status:") for change in versions[0]["changes"])
    assert "Overall status:" in client.get(f"/trials/{nct_id}/history/").content.decode()
    assert f"/trials/{nct_id}/history/#version-2" in client.get(f"/trials/{nct_id}/feed/").content.decode()


def test_a_sync_killed_after_two_pages_resumes_from_its_checkpoint(db, client, source, quick):
    class Killed(Exception):
        pass

    def kill_after_two(checkpoint, studies):
        if checkpoint.pages == 2:
            raise Killed

    with pytest.raises(Killed):
        sync(source.url, page_size=PAGE_SIZE, on_page=kill_after_two)
    stopped = SyncCheckpoint.objects.get()
    assert (stopped.outcome, stopped.pages, stopped.created) == ("running", 2, 14)
    assert Trial.objects.count() == 14

    resumed = sync(source.url, page_size=PAGE_SIZE)

    assert resumed.pk == stopped.pk
    assert (resumed.outcome, resumed.mode, resumed.pages, resumed.created) == ("succeeded", "full", 5, 30)
    # Two pages before the kill, three after it: none fetched twice.
    assert resumed.requests == 5
    assert_mirrors(client, source)


def test_a_run_whose_page_token_expired_starts_afresh(db, quick):
    with ScriptedSource([FIRST_PAGE, (200, b"<html>", "text/html")]) as source:
        stopped = sync(source.url)
    assert (stopped.outcome, stopped.next_page_token) == ("failed", "A")
    expired = (400, b"pageToken: not a token this server gave", "text/plain")
    with ScriptedSource(
        [expired, (200, page(record(SOURCE_IDS[0]), record(SOURCE_IDS[1])), "application/json")]
    ) as source:
        SyncCheckpoint.objects.update(source_url=source.url)
        fresh = sync(source.url)

    stopped.refresh_from_db()
    assert stopped.outcome == "abandoned" and "page token expired" in stopped.message
    assert (fresh.outcome, fresh.mode, fresh.created, fresh.unchanged) == ("succeeded", "full", 1, 1)
    assert Trial.objects.count() == 2


def test_it_retries_through_a_proxy_failing_one_request_in_four(db, client, source, quick):
    waits: list[float] = []
    with FaultyProxy(source.url) as proxy:
        checkpoint = sync(proxy.url, page_size=2, client=Client(proxy.url, sleep=waits.append))

    assert checkpoint.outcome == SyncCheckpoint.Outcome.SUCCEEDED
    assert proxy.faults == ["503", "429", "drop", "cut"]
    # 15 pages, and one retry for each fault.
    assert checkpoint.requests == len(proxy.requests) == 19
    # Retry-After is waited at least.
    assert waits[0] >= 1 and waits[1] >= 3
    assert_mirrors(client, source)


def page(*studies: dict, token: str = "") -> bytes:
    body: dict = {"studies": list(studies)}
    if token:
        body["nextPageToken"] = token
    return orjson.dumps(body)


def record(nct_id: str) -> dict:
    return orjson.loads((CTGOV_DATA / f"{nct_id}.json").read_bytes())


FIRST_PAGE = (200, page(record(SOURCE_IDS[0]), token="A"), "application/json")


@pytest.mark.parametrize(
    ("second", "reason"),
    [
        ((200, b"<!doctype html><title>Maintenance</title>", "text/html"), "text/html, not JSON"),
        ((200, page(record(SOURCE_IDS[1]))[:-40], "application/json"), "not valid JSON"),
        ((200, page(record(SOURCE_IDS[1]), token="A"), "application/json"), "it loops"),
        ((200, b'{"error": "no"}', "application/json"), "no list of studies"),
        ((404, b"gone", "text/plain"), "HTTP 404"),
        ((200, page(record(SOURCE_IDS[1]), token="B" * 501), "application/json"), "not a token"),
        ((200, b'{"studies": [], "totalCount": -1}', "application/json"), "not a count"),
    ],
    ids=["html", "truncated", "looping-token", "no-studies", "not-found", "huge-token", "negative-total"],
)
def test_garbage_stops_the_run_cleanly_at_its_checkpoint(db, quick, second, reason):
    with ScriptedSource([FIRST_PAGE, second]) as source:
        checkpoint = sync(source.url)

    assert checkpoint.outcome == SyncCheckpoint.Outcome.FAILED
    assert reason in checkpoint.message
    # The first page is written, and the run stands at the token of the second.
    assert list(Trial.objects.values_list("nct_id", flat=True)) == [SOURCE_IDS[0]]
    assert (checkpoint.pages, checkpoint.next_page_token, checkpoint.requests) == (1, "A", 2)


def test_the_command_exits_non_zero_with_a_summary_when_the_source_fails(db, quick, capsys):
    with (
        ScriptedSource([FIRST_PAGE, (200, b"<html>", "text/html")]) as source,
        pytest.raises(CommandError, match="stopped at its checkpoint"),
    ):
        call_command("sync_registry", "--from", source.url, "--no-progress")
    out = capsys.readouterr().out
    assert "Full sync of" in out and "failed. 1 new, 0 updated, 0 unchanged, 0 failed; 1 page, 2 requests." in out


def test_a_study_that_fails_validation_is_reported_and_the_rest_lands(db, quick, capsys):
    broken = record(SOURCE_IDS[1])
    broken["protocolSection"]["identificationModule"]["nctId"] = "NCT-NOT-AN-ID"
    with (
        ScriptedSource(
            [(200, page(record(SOURCE_IDS[0]), broken, record(SOURCE_IDS[2])), "application/json")]
        ) as source,
        pytest.raises(CommandError, match="1 study could not be imported"),
    ):
        call_command("sync_registry", "--from", source.url, "--no-progress")

    checkpoint = SyncCheckpoint.objects.get()
    assert (checkpoint.outcome, checkpoint.created, checkpoint.failed) == ("succeeded", 2, 1)
    assert "(NCT-NOT-AN-ID)" in checkpoint.message
    assert sorted(Trial.objects.values_list("nct_id", flat=True)) == [SOURCE_IDS[0], SOURCE_IDS[2]]


def test_it_gives_up_after_the_attempts_allowed(db, quick):
    waits: list[float] = []
    with ScriptedSource([(503, b"down", "text/plain")]) as source:
        checkpoint = sync(source.url, client=Client(source.url, sleep=waits.append))
        requests = len(source.requests)

    assert checkpoint.outcome == SyncCheckpoint.Outcome.FAILED
    assert "HTTP 503; gave up after 4 attempts" in checkpoint.message
    assert requests == 4 and len(waits) == 3
    # Exponential: each backoff window doubles (the jitter keeps a wait within its window's upper half).
    assert waits[0] <= 0.01 and 0.01 <= waits[2] <= 0.04


def test_requests_name_the_portal_and_keep_to_the_rate(db, settings):
    settings.SYNC_MAX_REQUESTS_PER_MINUTE = 50
    settings.PORTAL_URL = "https://trials.example.org"
    waits: list[float] = []
    now = [100.0]
    with ScriptedSource([(200, page(), "application/json")]) as source:
        client = Client(source.url, sleep=lambda seconds: (waits.append(seconds), now.__setitem__(0, now[0] + seconds)))
        client.clock = lambda: now[0]
        for _ in range(3):
            client.studies_page({"pageSize": "1"})
        headers = source.requests[0][1]

    assert headers["User-Agent"] == user_agent() == "TrialPortal/0.1.0 (+https://trials.example.org)"
    assert waits == [pytest.approx(1.2), pytest.approx(1.2)]


def test_a_source_that_is_not_an_http_url_is_refused(db):
    with pytest.raises(SyncRefused):
        sync("file:///etc/passwd")
    with pytest.raises(CommandError, match="--from must be"):
        call_command("sync_registry", "--from", "ftp://example.org/api/v2", "--no-progress")
    with pytest.raises(SyncRefused):
        sync("https://example.org/" + "a" * 500)
    assert not SyncCheckpoint.objects.exists()


def test_the_last_sync_is_on_the_version_endpoint_and_the_about_page(db, client, source, quick):
    sync(source.url, page_size=PAGE_SIZE)
    checkpoint = SyncCheckpoint.objects.get()

    version = client.get("/api/v2/version").json()
    assert version["dataTimestamp"] >= checkpoint.finished_at.strftime("%Y-%m-%dT%H:%M:%S")
    assert version["lastSync"] | {"startedAt": None, "finishedAt": None} == {
        "source": source.url,
        "mode": "full",
        "outcome": "succeeded",
        "startedAt": None,
        "finishedAt": None,
        "new": 30,
        "updated": 0,
        "unchanged": 0,
        "failed": 0,
    }
    page_text = client.get("/about/data/").content.decode()
    assert f"The last sync from <code>{source.url}</code> (full)" in page_text
    assert "succeeded" in page_text and "30 new, 0 updated, 0 unchanged, 0 failed" in page_text


SECOND_PAGE = (200, page(record(SOURCE_IDS[1])), "application/json")


def test_a_second_run_of_the_same_source_is_refused_while_the_first_goes_on(db, quick):
    refusals: list[str] = []
    with (
        ScriptedSource([FIRST_PAGE, SECOND_PAGE]) as source,
        ScriptedSource([(200, page(record(SOURCE_IDS[2])), "application/json")]) as other,
    ):

        def start_another(checkpoint, studies):
            if checkpoint.pages > 1:
                return
            with pytest.raises(SyncAlreadyRunning) as refused:
                sync(source.url)
            refusals.append(str(refused.value))
            with pytest.raises(CommandError, match="Another sync of .* is running"):
                call_command("sync_registry", "--from", source.url, "--no-progress")
            # Another source is another lock.
            assert sync(other.url).outcome == SyncCheckpoint.Outcome.SUCCEEDED

        first = sync(source.url, on_page=start_another)

    assert refusals == [
        f"Another sync of {source.url} is running (since {first.started_at:%Y-%m-%d %H:%M:%S} UTC): "
        "this one stops without writing anything. Run it again when that one has ended."
    ]
    # The refused runs left the first one's checkpoint alone and added none of their own.
    assert (first.outcome, first.pages, first.created) == ("succeeded", 2, 2)
    assert SyncCheckpoint.objects.filter(source_url=source.url).count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL advisory locks")
def test_a_sync_in_another_process_exits_non_zero_while_one_runs(db, quick):
    answers: list[subprocess.CompletedProcess] = []

    def start_another_process(checkpoint, studies):
        if checkpoint.pages > 1:
            return
        answers.append(
            subprocess.run(
                [sys.executable, "manage.py", "sync_registry", "--from", source.url, "--no-progress"],
                cwd=BASE_DIR,
                env={**os.environ, "DATABASE_URL": database_url()},
                capture_output=True,
                text=True,
                timeout=120,
            )
        )

    with ScriptedSource([FIRST_PAGE, SECOND_PAGE]) as source:
        first = sync(source.url, on_page=start_another_process)
        requests = len(source.requests)

    (answer,) = answers
    assert answer.returncode == 1
    assert f"Another sync of {source.url} is running" in answer.stderr
    assert "stops without writing anything" in answer.stderr
    assert answer.stdout == ""
    # The other process asked the source nothing; the first run went on to its end.
    assert requests == 2
    assert (first.outcome, first.pages, first.created) == ("succeeded", 2, 2)
    # The lock went with the run: the next one may start.
    with ScriptedSource([SECOND_PAGE]) as source_again:
        SyncCheckpoint.objects.update(source_url=source_again.url)
        assert sync(source_again.url).outcome == SyncCheckpoint.Outcome.SUCCEEDED
