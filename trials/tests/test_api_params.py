"""trials/api/params.py: how each /api/v2 parameter is read and refused, without a database."""

from __future__ import annotations

import ast
import base64
from pathlib import Path

import pytest
from django.test import RequestFactory

from trials.api import params
from trials.api.openapi import description
from trials.api.params import BadRequest


def request(**query):
    return RequestFactory().get("/api/v2/studies", query)


def test_a_page_token_gives_back_its_offset():
    for offset in (1, 10, 999, params.MAX_OFFSET):
        assert params.token_offset(params.page_token(offset)) == offset


@pytest.mark.parametrize(
    "decoded", ["offset:0", "offset: 10", "offset:1_0", "offset:010", f"offset:{params.MAX_OFFSET + 1}", "page:10"]
)
def test_a_token_spelled_otherwise_than_issued_is_refused(decoded):
    token = base64.urlsafe_b64encode(decoded.encode()).decode().rstrip("=")
    with pytest.raises(BadRequest, match="^pageToken: "):
        params.token_offset(token)


@pytest.mark.parametrize(("raw", "size"), [("", 10), ("0", 10), ("25", 25), ("5000", 1000)])
def test_page_size_defaults_and_is_coerced_down(raw, size):
    assert params.page_size(request(pageSize=raw)) == size


@pytest.mark.parametrize("raw", ["-1", "ten", "1.5"])
def test_a_page_size_that_is_no_whole_number_is_refused(raw):
    with pytest.raises(BadRequest, match="^pageSize: "):
        params.page_size(request(pageSize=raw))


def test_lists_split_on_pipes_and_commas_and_the_parameter_may_repeat():
    got = params.list_values(RequestFactory().get("/?filter.ids=NCT1|NCT2,NCT3&filter.ids=NCT4,"), "filter.ids")
    assert got == ["NCT1", "NCT2", "NCT3", "NCT4"]


def test_sort_options_become_an_ordering_ending_on_the_nct_id():
    ordering = params.ordering(request(sort="EnrollmentCount:desc|@relevance"))
    assert len(ordering) == 2 and ordering[-1] == "nct_id"
    assert ordering[0].descending and ordering[0].expression.name == "enrollment_count"
    assert not params.ordering(request(sort="EnrollmentCount"))[0].descending
    assert params.ordering(request(sort="StartDate"))[0].descending


@pytest.mark.parametrize(
    ("sort", "message"),
    [("Title", "cannot sort by 'Title'"), ("StartDate:up", "malformed"), ("a,b,c", "at most 2")],
)
def test_bad_sort_options_are_refused_with_their_reason(sort, message):
    with pytest.raises(BadRequest, match=message):
        params.ordering(request(sort=sort))


def test_unknown_parameters_and_markup_are_refused():
    with pytest.raises(BadRequest, match="^filter.elsewhere: unknown"):
        params.check_parameters(request(**{"filter.elsewhere": "x"}), params.LIST_PARAMETERS)
    with pytest.raises(BadRequest, match="^markupFormat: 'html'"):
        params.check_parameters(request(markupFormat="html"), params.STUDY_PARAMETERS)
    params.check_parameters(request(markupFormat="legacy"), params.STUDY_PARAMETERS)
    params.check_parameters(request(format="csv", markupFormat="markdown"), params.STUDY_PARAMETERS)


@pytest.mark.django_db
def test_a_parameter_repeated_past_the_limit_is_a_400_before_any_search(client, seed_trial, django_assert_num_queries):
    # Each repeated expression is one more search: nine hundred of them held a worker for minutes.
    expression = "AREA[OverallStatus]COMPLETED"
    with django_assert_num_queries(0):
        refused = client.get("/api/v2/studies", {"filter.advanced": [expression] * 900})
    assert refused.status_code == 400
    assert refused.content.decode() == "filter.advanced: given 900 times; at most 10\n"
    assert client.get(f"/api/v2/studies/{seed_trial.nct_id}", {"fields": ["NCTId"] * 11}).status_code == 400
    within = client.get("/api/v2/studies", {"filter.advanced": [expression] * 10, "fields": "NCTId"})
    assert within.status_code == 200
    assert (
        within.json()["studies"]
        == client.get("/api/v2/studies", {"filter.advanced": expression, "fields": "NCTId"}).json()["studies"]
    )


def test_the_document_declares_what_the_endpoints_accept():
    spec = description("http://testserver/api/v2")
    listing = {p["name"]: p for p in spec["paths"]["/studies"]["get"]["parameters"]}
    assert set(listing) == params.LIST_PARAMETERS
    assert set(listing["format"]["schema"]["enum"]) == set(params.LIST_FORMATS)
    assert listing["sort"]["schema"]["items"]["pattern"] == params.SORT_PATTERN
    study = {p["name"]: p for p in spec["paths"]["/studies/{nctId}"]["get"]["parameters"] if p["in"] == "query"}
    assert set(study) == params.STUDY_PARAMETERS
    assert set(study["format"]["schema"]["enum"]) == set(params.STUDY_FORMATS)
    assert spec["info"]["version"] == params.API_VERSION


def test_the_endpoints_and_the_document_do_not_import_each_other():
    package = Path(params.__file__).parent

    def imported(*files: Path, level: int = 1) -> set[str]:
        """The modules of ``trials.api`` these files import (``from .x`` at ``level``)."""
        return {
            alias.name if node.module is None else node.module
            for path in files
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.ImportFrom) and node.level == level
            for alias in node.names
        }

    document = sorted((package / "openapi").glob("*.py"))
    assert {path.name for path in document} >= {"__init__.py", "parameters.py", "paths.py", "schemas.py"}
    assert imported(*document, level=2) <= {"params", "aggregations", "fhir", "ris"}
    assert imported(package / "params.py") == set()
