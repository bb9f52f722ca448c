"""A bulk page of studies that fails while it is sent is never read as a whole page."""

import json

import pytest
from django.db import OperationalError

from trials.api import views
from trials.importers import import_paths

pytestmark = pytest.mark.django_db

RECORDS = ("NCT04267848", "NCT02967393", "NCT00057759", "NCT00301262")


@pytest.fixture
def bulk_pages(ctgov_data, seed_trial, monkeypatch):
    """Five studies on file; pages of more than two are streamed two studies at a time."""
    assert import_paths([ctgov_data / f"{nct_id}.json" for nct_id in RECORDS]).ok
    monkeypatch.setattr(views, "MAX_KEPT_PAGE", 2)
    monkeypatch.setattr(views, "STREAM_CHUNK", 2)


def failing_from(monkeypatch, call: int, error: Exception) -> None:
    """The ``call``-th chunk of studies (from 1) fails with ``error``."""
    built = views.documents
    calls = []

    def documents(*args, **kwargs):
        calls.append(1)
        if len(calls) == call:
            raise error
        return built(*args, **kwargs)

    monkeypatch.setattr(views, "documents", documents)


def test_a_whole_streamed_page_is_json_with_every_study(client, bulk_pages):
    response = client.get("/api/v2/studies", {"pageSize": 5})
    assert response.streaming
    assert len(json.loads(b"".join(response.streaming_content))["studies"]) == 5


def test_a_failure_before_the_answer_starts_is_a_503_not_a_200(client, bulk_pages, monkeypatch):
    failing_from(monkeypatch, 1, OperationalError("canceling statement due to statement timeout"))
    response = client.get("/api/v2/studies", {"pageSize": 5})
    assert response.status_code == 503 and not response.streaming
    assert response["Content-Type"].startswith("text/plain") and response["Retry-After"]


def test_a_failure_mid_stream_ends_the_body_as_no_json_and_drops_the_connection(client, bulk_pages, monkeypatch):
    failing_from(monkeypatch, 2, OperationalError("the database went away"))
    response = client.get("/api/v2/studies", {"pageSize": 5})
    assert response.status_code == 200 and response.streaming
    received = []
    # Raised again past the body, so the server closes the connection before the chunked body's end.
    with pytest.raises(OperationalError, match="went away"):
        for part in response.streaming_content:
            received.append(part)
    body = b"".join(received)
    assert body.startswith(b'{"studies":[{') and body.endswith(views.UNFINISHED)
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)
    # However a lenient reader closes it, the text is not JSON.
    with pytest.raises(json.JSONDecodeError):
        json.loads(body + b"]}")
