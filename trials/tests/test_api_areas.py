"""/api/v2 search areas: query.titles, query.outc, query.lead, query.id, query.patient and /studies/search-areas;
query.cond, query.term, query.intr and query.locn widened by everyday words and country names as the list page is.

Each area's answer is checked against the record files, read here without
the importer or the search code.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trials import search
from trials.importers import import_paths
from trials.search import expand

from .api_lists import listed

pytestmark = pytest.mark.django_db


def titles(protocol: dict) -> list[str]:
    module = protocol["identificationModule"]
    return [module.get("briefTitle", ""), module.get("officialTitle", ""), module.get("acronym", "")]


def outcomes(protocol: dict) -> list[str]:
    module = protocol.get("outcomesModule", {})
    return [
        text
        for kind in ("primaryOutcomes", "secondaryOutcomes", "otherOutcomes")
        for outcome in module.get(kind, [])
        for text in (outcome.get("measure", ""), outcome.get("description", ""))
    ]


def lead_sponsor(protocol: dict) -> list[str]:
    return [protocol.get("sponsorCollaboratorsModule", {}).get("leadSponsor", {}).get("name", "")]


def containing(protocols: dict[str, dict], texts, term: str) -> set[str]:
    # The term as a word or its plural, not inside another word ("study" is not in "studying").
    word = re.compile(rf"\b{re.escape(term)}(s|es|'s)?\b", re.IGNORECASE)
    return {nct_id for nct_id, protocol in protocols.items() if any(word.search(text) for text in texts(protocol))}


@pytest.mark.parametrize(
    ("param", "texts", "term"),
    [
        ("query.titles", titles, "cancer"),
        ("query.titles", titles, "study"),
        ("query.outc", outcomes, "survival"),
        ("query.outc", outcomes, "pain"),
        ("query.lead", lead_sponsor, "Pfizer"),
    ],
)
def test_an_area_finds_the_records_holding_the_term_in_its_pieces(client, ctgov_protocols, param, texts, term):
    expected = containing(ctgov_protocols, texts, term)
    assert expected  # a term the records hold, so the test says something
    assert listed(client, **{param: term}) == expected


def test_the_lead_sponsor_area_leaves_out_collaborators(client, ctgov_protocols):
    # A collaborator's name, on trials it does not lead.
    name = "National Cancer Institute"
    collaborating = {
        nct_id
        for nct_id, protocol in ctgov_protocols.items()
        for collaborator in protocol.get("sponsorCollaboratorsModule", {}).get("collaborators", [])
        if name in collaborator["name"]
    } - containing(ctgov_protocols, lead_sponsor, name)
    assert collaborating
    assert collaborating <= listed(client, **{"query.spons": name})
    assert not collaborating & listed(client, **{"query.lead": name})
    assert listed(client, **{"query.lead": name}) == containing(ctgov_protocols, lead_sponsor, name)


def test_the_id_area_finds_an_organizations_study_id_and_an_nct_id(client, ctgov_protocols):
    nct_id, protocol = next(
        (nct_id, protocol)
        for nct_id, protocol in ctgov_protocols.items()
        if protocol["identificationModule"].get("orgStudyIdInfo", {}).get("id")
    )
    org_study_id = protocol["identificationModule"]["orgStudyIdInfo"]["id"]
    holding = {
        other
        for other, item in ctgov_protocols.items()
        if item["identificationModule"].get("orgStudyIdInfo", {}).get("id", "").lower() == org_study_id.lower()
        or any(
            secondary["id"].lower() == org_study_id.lower()
            for secondary in item["identificationModule"].get("secondaryIdInfos", [])
        )
    }
    assert listed(client, **{"query.id": f'"{org_study_id}"'}) == holding
    assert listed(client, **{"query.id": nct_id.lower()}) == {nct_id}


def patient(protocol: dict) -> list[str]:
    conditions = protocol.get("conditionsModule", {})
    interventions = protocol.get("armsInterventionsModule", {}).get("interventions", [])
    locations = protocol.get("contactsLocationsModule", {}).get("locations", [])
    return [
        *titles(protocol),
        *conditions.get("conditions", []),
        *conditions.get("keywords", []),
        *(
            text
            for item in interventions
            for text in (item["name"], *item.get("otherNames", []), item.get("description", ""))
        ),
        protocol.get("descriptionModule", {}).get("briefSummary", ""),
        *(
            text
            for site in locations
            for text in (site.get("facility", ""), site.get("city", ""), site.get("state", ""), site.get("country", ""))
        ),
        protocol.get("eligibilityModule", {}).get("eligibilityCriteria", ""),
    ]


@pytest.mark.parametrize("term", ["pregnant", "Taiwan", "erectile"])
def test_the_patient_area_reaches_the_eligibility_criteria_and_the_places(client, ctgov_protocols, term):
    assert listed(client, **{"query.patient": term}) == containing(ctgov_protocols, patient, term)


def test_the_patient_area_finds_what_only_the_criteria_say(client, ctgov_protocols):
    def eligibility(protocol: dict) -> list[str]:
        return [protocol.get("eligibilityModule", {}).get("eligibilityCriteria", "")]

    criteria = containing(ctgov_protocols, eligibility, "pregnant")
    criteria_only = criteria - containing(ctgov_protocols, titles, "pregnant")
    assert criteria_only
    assert criteria_only <= listed(client, **{"query.patient": "pregnant"})
    assert not criteria_only & listed(client, **{"query.titles": "pregnant"})


def test_new_areas_take_the_query_grammar(client, ctgov_protocols):
    cancer = containing(ctgov_protocols, titles, "cancer")
    prostate = containing(ctgov_protocols, titles, "prostate")
    assert cancer & prostate and cancer - prostate
    assert listed(client, **{"query.titles": "cancer NOT prostate"}) == cancer - prostate
    assert listed(client, **{"query.titles": "cancer OR prostate"}) == cancer | prostate
    response = client.get("/api/v2/studies", {"query.outc": '"unclosed'})
    assert response.status_code == 400
    assert "query.outc" in response.content.decode()


def test_search_areas_describes_every_query_parameter_the_list_takes(client, db):
    response = client.get("/api/v2/studies/search-areas")
    assert response.status_code == 200
    [document] = response.json()
    assert document["name"] == "Study"
    areas = {area["param"]: area for area in document["areas"]}
    assert set(areas) == {
        "query.term",
        "query.cond",
        "query.intr",
        "query.locn",
        "query.spons",
        "query.titles",
        "query.outc",
        "query.lead",
        "query.id",
        "query.patient",
    }
    assert areas["query.titles"]["name"] == "TitleSearch"
    assert areas["query.lead"]["parts"] == [
        {"isEnum": False, "isSynonyms": False, "pieces": ["LeadSponsorName"], "type": "text", "weight": 1.0}
    ]
    # Only query.term is ranked: its titles weigh more than its description.
    weights = {piece: part["weight"] for part in areas["query.term"]["parts"] for piece in part["pieces"]}
    assert weights["BriefTitle"] > weights["Condition"] > weights["BriefSummary"] > weights["DetailedDescription"]
    for area in document["areas"]:
        assert set(area) == {"name", "param", "parts", "uiLabel"}
        for part in area["parts"]:
            assert set(part) == {"isEnum", "isSynonyms", "pieces", "type", "weight"} and part["pieces"]
        assert client.get("/api/v2/studies", {area["param"]: "x"}).status_code == 200


def test_search_areas_say_which_areas_search_synonyms(client, db):
    # query.cond widens by descriptors' entry terms, query.intr by other names, query.locn by countries' names...
    areas = {area["param"]: area for area in client.get("/api/v2/studies/search-areas").json()[0]["areas"]}
    synonyms = {param for param, area in areas.items() if all(part["isSynonyms"] for part in area["parts"])}
    plain = {param for param, area in areas.items() if not any(part["isSynonyms"] for part in area["parts"])}
    assert synonyms == {"query.term", "query.cond", "query.intr", "query.locn", "query.patient"}
    assert synonyms | plain == set(areas)


def test_search_areas_takes_no_parameters(client, db):
    response = client.get("/api/v2/studies/search-areas", {"pageSize": "1"})
    assert response.status_code == 400
    assert "pageSize" in response.content.decode()


def test_the_openapi_document_lists_the_areas(client, db):
    spec = client.get("/api/v2/openapi.json").json()
    names = {parameter["name"] for parameter in spec["paths"]["/studies"]["get"]["parameters"]}
    assert {"query.titles", "query.outc", "query.lead", "query.id", "query.patient"} <= names
    assert "SearchDocumentList" in spec["components"]["schemas"]
    assert spec["paths"]["/studies/search-areas"]["get"]["operationId"] == "searchAreas"
    page = client.get("/api/").content.decode()
    assert 'href="/api/v2/studies/search-areas"' in page and "query.patient" in page


WORDS = Path(__file__).parent / "data" / "words"


@pytest.fixture
def words():
    report = import_paths([WORDS])
    assert report.ok, report.failures


@pytest.mark.parametrize(
    ("param", "text", "nct_id"),
    [
        # Filed under the descriptor (or one below it), never writing the words.
        ("query.cond", "heart attack", "NCT00711542"),
        ("query.cond", "bowel cancer", "NCT06252142"),
        ("query.term", "heart attack", "NCT00711542"),
        ("query.term", "bowel cancer", "NCT06252142"),
    ],
)
def test_an_area_widens_everyday_words_as_the_list_page_does(client, words, monkeypatch, param, text, nct_id):
    found = listed(client, **{param: text})
    assert nct_id in found
    response = client.get("/api/v2/studies", {param: text, "countTotal": "true", "fields": "NCTId"})
    assert response.json()["totalCount"] == len(found)
    monkeypatch.setattr(search, "AREA_WIDENINGS", {})
    assert nct_id not in listed(client, **{param: text})


def test_a_misspelled_condition_is_corrected_when_it_finds_nothing(client, words):
    found = listed(client, **{"query.cond": "diabetis"})
    assert "NCT06784375" in found
    assert found == listed(client, **{"query.cond": "diabetes"})
    response = client.get("/api/v2/studies", {"query.cond": "diabetis", "countTotal": "true", "fields": "NCTId"})
    assert response.json()["totalCount"] == len(found)


def test_the_location_area_knows_a_countrys_other_names(client, ctgov_protocols, monkeypatch):
    in_netherlands = {
        nct_id
        for nct_id, protocol in ctgov_protocols.items()
        for site in protocol.get("contactsLocationsModule", {}).get("locations", [])
        if site.get("country") == "Netherlands"
    }
    assert in_netherlands
    assert (
        listed(client, **{"query.locn": "Holland"}) == in_netherlands == listed(client, **{"query.locn": "Netherlands"})
    )
    monkeypatch.setattr(search, "AREA_WIDENINGS", {})
    assert listed(client, **{"query.locn": "Holland"}) == set()


def test_a_widened_area_takes_a_fixed_number_of_queries(client, words, django_assert_max_num_queries):
    # Conditions are matched through their index (a query per phrase), the names read once,
    # whether the text finds anything checked once (for a correction), and whether the condition
    # names changed since a serving process last read their words (for the correction).
    expand.condition_words()
    with django_assert_max_num_queries(10):
        response = client.get("/api/v2/studies", {"query.cond": "heart attack", "query.intr": "Keytruda"})
    assert response.status_code == 200


def test_an_expressions_area_is_widened_in_every_expansion_but_term(client, words):
    assert "NCT00711542" in listed(client, **{"query.cond": 'AREA[ConditionSearch]"heart attack"'})
    assert "NCT00711542" in listed(client, **{"filter.advanced": 'AREA[ConditionSearch]"heart attack"'})
    # Term: the words as written, which the registry of 64 conditions has and the trial does not.
    term = listed(client, **{"filter.advanced": 'EXPANSION[Term]AREA[ConditionSearch]"heart attack"'})
    assert "NCT03840928" in term and "NCT00711542" not in term


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL planner setting")
def test_a_widened_areas_total_is_counted_through_the_index(client, words):
    # Dozens of facet tokens: counted by a table scan, a broad descriptor took seconds at registry scale.
    # (A condition query alone is counted on the links instead: test_search_counts.)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(
            "/api/v2/studies", {"query.cond": "heart attack", "query.term": "infarction", "countTotal": "true"}
        )
    assert response.json()["totalCount"] >= 1
    sql = [query["sql"] for query in queries.captured_queries]
    count = next(index for index, text in enumerate(sql) if text.startswith("SELECT COUNT(*)"))
    assert "'enable_seqscan', 'off'" in sql[count - 1]
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_seqscan')")
        assert cursor.fetchone()[0] == "on"
