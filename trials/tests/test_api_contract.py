"""/api/v2 against ClinicalTrials.gov's own OpenAPI description (2.0.5), with schemathesis.

The description is the registry's, byte for byte (``data/ctgov-oas-v2.yaml``).
Schemathesis makes requests from it to the live test server, every operation
and parameter, and validates each answer: status codes, content types,
headers and bodies against the spec's schemas, 405 for undeclared methods,
400 for values the spec's schemas refuse. Bounded and deterministic
(``derandomize``, a few examples an operation), so it runs in ``make test``.

Where the check is narrowed, it is for a reason named beside it:
- generated values the schemas allow are not all meaningful (an arbitrary
  ``pageToken``, an Essie expression naming no field), and the spec declares
  a 400 for them, so a generated request may get a 400; the spec's own
  examples must each be answered 200 (``test_the_specs_examples_are_answered``);
- ``/studies?format=csv`` answers ``text/csv`` and ``/studies/{nctId}?format=ris``
  ``application/x-research-info-systems``: the spec offers both formats but
  lists neither content type for its operation (``UNLISTED_CONTENT_TYPES``,
  checked by hand instead);
- ``filter.synonyms`` / ``postFilter.synonyms`` with the registry's own synonym
  IDs: see ``DIFFERENCES``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import content_type_conformance, positive_data_acceptance

from .conftest import CTGOV_RECORDS

SPEC = Path(__file__).resolve().parent / "data" / "ctgov-oas-v2.yaml"
schema = schemathesis.openapi.from_path(SPEC)
SPEC_PATHS = yaml.safe_load(SPEC.read_text(encoding="utf-8"))["paths"]
# The spec's example studies (NCT00841061, NCT04000165) are not among the test records; one on file stands in.
STUDY_ON_FILE = "NCT00000410"
# (path, parameter, example value) → why we answer it otherwise than 200. Kept in step with the /api/ page.
DIFFERENCES = {
    ("/studies", "filter.synonyms", "ConditionSearch:1651367|BasicSearch:2013558"): (
        "the registry's synonym IDs number a thesaurus it does not publish; ours are MeSH descriptor IDs"
    ),
    ("/studies", "postFilter.synonyms", "ConditionSearch:1651367|BasicSearch:2013558"): (
        "the registry's synonym IDs number a thesaurus it does not publish; ours are MeSH descriptor IDs"
    ),
}
# The data is loaded once for the module (``api_server``); the mark has the test database set up.
pytestmark = pytest.mark.django_db

# Formats the spec offers without listing their content type for the operation: (path, format) → content type.
UNLISTED_CONTENT_TYPES = {
    ("/studies", "csv"): "text/csv",
    ("/studies/{nctId}", "ris"): "application/x-research-info-systems",
}


def _unlisted(case) -> str | None:
    output = (case.query or {}).get("format")
    return UNLISTED_CONTENT_TYPES.get((case.path, output)) if isinstance(output, str) else None


def _content_type(response) -> str:
    value = response.headers["content-type"]
    return value[0] if isinstance(value, list) else value


def _excluded(case) -> list:
    excluded = [positive_data_acceptance]
    if _unlisted(case):
        excluded.append(content_type_conformance)
    return excluded


@schema.parametrize()
@settings(max_examples=12, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_every_operation_answers_as_the_spec_describes(case, api_server):
    response = case.call_and_validate(base_url=api_server, excluded_checks=_excluded(case))
    if _unlisted(case) and response.status_code == 200:
        assert _content_type(response).startswith(_unlisted(case))


def _wire(value) -> str:
    """An example as it goes in a query string: the spec's lists are pipe-delimited."""
    return "|".join(value) if isinstance(value, list) else str(value).lower() if isinstance(value, bool) else str(value)


def _examples() -> list:
    cases = []
    for path, operations in SPEC_PATHS.items():
        for parameter in operations["get"].get("parameters", []):
            if parameter["in"] != "query":
                continue
            values = [example["value"] for example in (parameter.get("examples") or {}).values()]
            values += [value for value in parameter["schema"].get("enum", []) if value not in values]
            for value in values:
                cases.append(
                    pytest.param(path, parameter["name"], _wire(value), id=f"{path} {parameter['name']}={value}")
                )
    return cases


@pytest.mark.parametrize(("path", "name", "value"), _examples())
def test_the_specs_examples_are_answered(api_server, path, name, value):
    operation = schema[path]["GET"]
    path_parameters = {"nctId": STUDY_ON_FILE} if "{nctId}" in path else None
    case = operation.Case(path_parameters=path_parameters, query={name: value})
    if (path, name, value) in DIFFERENCES:
        response = case.call(base_url=api_server)
        assert response.status_code == 400, DIFFERENCES[(path, name, value)]
        assert response.text.startswith(f"{name}: ")
        return
    unlisted = UNLISTED_CONTENT_TYPES.get((path, value)) if name == "format" else None
    response = case.call_and_validate(
        base_url=api_server, excluded_checks=[content_type_conformance] if unlisted else []
    )
    assert response.status_code == 200, response.text
    if unlisted:
        assert _content_type(response).startswith(unlisted)


@pytest.mark.parametrize("output", ["json", "csv", "json.zip", "fhir.json"])
@pytest.mark.parametrize("markup", ["markdown", "legacy"])
def test_a_study_on_file_validates_in_each_format(api_server, output, markup):
    case = schema["/studies/{nctId}"]["GET"].Case(
        path_parameters={"nctId": STUDY_ON_FILE}, query={"format": output, "markupFormat": markup}
    )
    response = case.call_and_validate(base_url=api_server)
    assert response.status_code == 200
    if output == "json":
        assert response.json()["protocolSection"]["identificationModule"]["nctId"] == STUDY_ON_FILE


def test_a_full_page_of_studies_validates(api_server):
    """Every record on file, whole, through the spec's ``Study`` schema (enumerations, types, required keys)."""
    records = len(list(CTGOV_RECORDS.glob("*.json"))) + 1  # and the seed trial
    case = schema["/studies"]["GET"].Case(query={"pageSize": 1000, "countTotal": "true"})
    response = case.call_and_validate(base_url=api_server)
    assert response.json()["totalCount"] == records
    assert len(response.json()["studies"]) == records
