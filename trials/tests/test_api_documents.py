"""/api/v2/studies pages from the studies' documents kept by version (``trials.api.documents``)."""

import json

import orjson
import pytest
from django.core.cache import cache

from trials.api import views
from trials.exports import export_studies
from trials.importers import import_paths
from trials.models import Trial

pytestmark = pytest.mark.django_db

RECORDS = ("NCT04267848", "NCT02967393", "NCT00057759", "NCT00301262")


@pytest.fixture
def on_file(ctgov_data, seed_trial):
    report = import_paths([ctgov_data / f"{nct_id}.json" for nct_id in RECORDS])
    assert report.ok
    return len(RECORDS) + 1


def page(client, **params) -> bytes:
    response = client.get("/api/v2/studies", {"pageSize": 100, **params})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    return response.content


def titles(client) -> dict[str, str]:
    studies = json.loads(page(client))["studies"]
    return {
        study["protocolSection"]["identificationModule"]["nctId"]: study["protocolSection"]["identificationModule"][
            "briefTitle"
        ]
        for study in studies
    }


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"countTotal": "true", "pageSize": 2},
        {"fields": "NCTId|BriefTitle"},
        {"fields": "LocationCity|Phase"},
        {"markupFormat": "legacy"},
    ],
)
def test_a_kept_page_is_the_same_bytes_as_a_built_one(client, on_file, params):
    cache.clear()
    built = page(client, **params)
    assert page(client, **params) == built
    # And built from kept documents where another page kept them.
    cache.clear()
    page(client)
    assert page(client, **params) == built


def test_a_page_is_the_export_written_by_orjson(client, on_file):
    """Two studies kept, the others built: the page is what writing the whole export at once gives."""
    ids = list(Trial.objects.order_by("nct_id").values_list("pk", flat=True))
    assert len(ids) == on_file
    first_two = orjson.dumps({"studies": export_studies(ids[:2]), "nextPageToken": "b2Zmc2V0OjI"})
    assert page(client, pageSize=2) == first_two
    assert page(client) == orjson.dumps({"studies": export_studies(ids)})


def test_an_edit_or_an_import_is_served_at_once(client, on_file, ctgov_data, tmp_path):
    page(client)  # every study kept
    trial = Trial.objects.get(nct_id="NCT00301262")
    trial.brief_title = "Edited in the admin"
    trial.save()
    assert titles(client)["NCT00301262"] == "Edited in the admin"
    record = json.loads((ctgov_data / "NCT02967393.json").read_text(encoding="utf-8"))
    record["protocolSection"]["identificationModule"]["briefTitle"] = "Changed at the registry"
    (tmp_path / "NCT02967393.json").write_text(json.dumps(record), encoding="utf-8")
    report = import_paths([tmp_path / "NCT02967393.json"])
    assert report.ok and report.counts["updated"] == 1
    assert titles(client)["NCT02967393"] == "Changed at the registry"


def test_a_kept_page_reads_no_child_rows(client, on_file, django_assert_num_queries):
    cache.clear()
    with django_assert_num_queries(2):
        built = page(client)
    with django_assert_num_queries(1):
        assert page(client) == built


def test_bulk_pages_are_streamed_read_kept_documents_but_keep_none(
    client, on_file, monkeypatch, django_assert_num_queries
):
    whole = page(client, pageSize=3)
    cache.clear()
    # Pages of more than two studies are bulk pages, sent two studies at a time.
    monkeypatch.setattr(views, "MAX_KEPT_PAGE", 2)
    monkeypatch.setattr(views, "STREAM_CHUNK", 2)

    def streamed() -> bytes:
        response = client.get("/api/v2/studies", {"pageSize": 3})
        assert response.status_code == 200 and response.streaming
        return b"".join(response.streaming_content)

    with django_assert_num_queries(3):  # the page, then each chunk's studies
        assert streamed() == whole
    with django_assert_num_queries(3):
        streamed()  # nothing was kept: built again
    page(client, pageSize=2)  # kept
    with django_assert_num_queries(2):
        assert streamed() == whole
    with django_assert_num_queries(1):
        page(client, pageSize=2)


def test_a_cache_that_fails_costs_an_export_not_the_page(client, on_file, monkeypatch):
    built = page(client)

    def unavailable(*args, **kwargs):
        raise ConnectionError("no cache")

    monkeypatch.setattr(cache, "get_many", unavailable)
    monkeypatch.setattr(cache, "set_many", unavailable)
    assert page(client) == built
