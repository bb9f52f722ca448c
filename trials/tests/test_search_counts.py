"""The API's totalCount for a condition query, counted on the link tables (search/counts.py)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef, Q

from trials import search
from trials.importers import import_paths
from trials.models import Site
from trials.search.counts import count_linked

on_postgres = pytest.mark.skipif("connection.vendor != 'postgresql'")

# Plain terms, descriptors ("impotence" is Erectile Dysfunction), alternatives, exclusions, a misspelling.
QUERIES = [
    "diabetes",
    "impotence",
    "erectile",
    "lung cancer",
    "type 2 diabetes",
    "diabetes OR headache",
    "diabetes obesity",
    "erectile -diabetes",
    "diabetes OR prostate cancer -hypogonadism",
    "diabetis",
    "no-such-illness",
]


@pytest.fixture
def on_file(ctgov_data, db):
    report = import_paths([ctgov_data])
    assert report.ok
    return report


def _paged(client, text: str) -> list[str]:
    """Every study the query pages through, 20 at a time."""
    ids: list[str] = []
    params = {"query.cond": text, "pageSize": 20, "fields": "NCTId"}
    while True:
        body = client.get("/api/v2/studies", params).json()
        ids += [study["protocolSection"]["identificationModule"]["nctId"] for study in body["studies"]]
        if "nextPageToken" not in body:
            return ids
        params["pageToken"] = body["nextPageToken"]


@pytest.mark.parametrize("text", QUERIES)
def test_a_condition_querys_total_is_the_studies_its_pages_hold(client, on_file, text, monkeypatch):
    total = client.get("/api/v2/studies", {"query.cond": text, "countTotal": "true"}).json()["totalCount"]
    paged = _paged(client, text)
    assert len(paged) == len(set(paged)) == total
    # Counted on the trials, as any other query is: the same.
    monkeypatch.setattr(search, "count_linked", lambda q: None)
    monkeypatch.setattr(search, "count_condition_area", lambda text: None)
    assert client.get("/api/v2/studies", {"query.cond": text, "countTotal": "true"}).json()["totalCount"] == total
    assert (total > 0) == (text != "no-such-illness")


@on_postgres
@pytest.mark.parametrize("text", ["diabetes", "impotence", "diabetes OR headache", "erectile -diabetes", "diabetis"])
def test_a_widened_condition_query_is_counted_on_the_links(client, on_file, text, monkeypatch):
    counted = []

    def spy(q):
        counted.append(count_linked(q))
        return counted[-1]

    monkeypatch.setattr(search, "count_linked", spy)
    total = client.get("/api/v2/studies", {"query.cond": text, "countTotal": "true"}).json()["totalCount"]
    assert counted == [total] and total > 0


@on_postgres
def test_only_condition_and_descriptor_tokens_are_counted_on_the_links(db):
    assert count_linked(Q(facet_tokens__any=["s:RECRUITING"])) is None
    assert count_linked(~Q(facet_tokens__any=["c:1"])) is None
    assert count_linked(Q()) is None
    assert count_linked(Q(Exists(Site.objects.filter(trial=OuterRef("pk"))))) is None
    assert count_linked(Q(facet_tokens__any=["d:D003920"]) & Q(pk__in=[])) == 0


def test_sqlite_counts_on_the_trials(db):
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL counts on the links")
    assert count_linked(Q(facet_tokens__any=["d:D003920"])) is None


@on_postgres
def test_a_condition_querys_total_costs_a_fixed_number_of_queries(client, on_file, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = client.get("/api/v2/studies", {"query.cond": "diabetes", "countTotal": "true", "pageSize": 5})
    assert response.json()["totalCount"] > 5
