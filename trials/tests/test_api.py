"""/api/v2: ClinicalTrials.gov API v2 paths, parameters, shapes and errors."""

import csv
import io
import json
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trials.api.fields import json_selection, project
from trials.importers import import_paths

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_file(ctgov_data, seed_trial):
    report = import_paths([ctgov_data])
    assert report.ok
    return report.counts["created"] + 1


def get(client, url, **params):
    return client.get(url, params)


def test_version_follows_the_spec(client, on_file):
    body = client.get("/api/v2/version").json()
    assert set(body) == {"apiVersion", "dataTimestamp"}
    assert body["apiVersion"] == "2.0.5"
    assert len(body["dataTimestamp"]) == 19 and body["dataTimestamp"][10] == "T"


def test_a_study_in_the_registrys_shape(client, on_file, ctgov_data):
    original = json.loads((ctgov_data / "NCT00000410.json").read_text())
    body = client.get("/api/v2/studies/NCT00000410").json()
    assert body["protocolSection"]["identificationModule"] == original["protocolSection"]["identificationModule"]
    assert body["protocolSection"]["designModule"]["phases"] == ["PHASE4"]
    assert body["hasResults"] is False
    assert client.get("/trials/NCT00000410.json").json() == body


def test_a_study_id_in_the_specs_loose_syntax(client, on_file):
    assert client.get("/api/v2/studies/nct4133233").json()["protocolSection"]["identificationModule"]["nctId"] == (
        "NCT04133233"
    )


def test_unknown_study_is_a_plain_text_404(client, on_file):
    response = client.get("/api/v2/studies/NCT99999999")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/plain")
    assert "NCT99999999" in response.content.decode()


def test_pages_follow_next_page_tokens_to_the_end(client, on_file):
    seen, token, pages = [], None, 0
    while True:
        params = {"pageSize": 7, "countTotal": "true"}
        if token:
            params["pageToken"] = token
        body = client.get("/api/v2/studies", params).json()
        if pages == 0:
            assert body["totalCount"] == on_file
        else:
            assert "totalCount" not in body
        seen += [study["protocolSection"]["identificationModule"]["nctId"] for study in body["studies"]]
        pages += 1
        token = body.get("nextPageToken")
        if not token:
            break
    assert len(seen) == len(set(seen)) == on_file
    assert pages == -(-on_file // 7)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"filter.overallStatus": "COMPLETED|TERMINATED"}, lambda s: s["overallStatus"] in {"COMPLETED", "TERMINATED"}),
        (
            {"filter.overallStatus": "RECRUITING,NOT_YET_RECRUITING"},
            lambda s: s["overallStatus"].endswith("RECRUITING"),
        ),
    ],
)
def test_status_filters_take_pipe_or_comma_lists(client, on_file, params, expected):
    body = client.get("/api/v2/studies", {**params, "pageSize": 1000}).json()
    assert body["studies"]
    assert all(expected(study["protocolSection"]["statusModule"]) for study in body["studies"])


def test_queries_search_their_areas(client, on_file, ctgov_data):
    cond = client.get("/api/v2/studies", {"query.cond": "diabetes", "pageSize": 100}).json()
    # As a word or its singular ("Diabete Mellitus"), not inside another word ("Type1diabetes").
    word = re.compile(r"\bdiabetes?\b", re.IGNORECASE)
    expected = {
        path.stem
        for path in ctgov_data.glob("*.json")
        if word.search(" ".join(json.loads(path.read_text())["protocolSection"]["conditionsModule"]["conditions"]))
    }
    assert len(expected) > 3
    # And, widened as the list page's search, the trials the registry filed under Diabetes Mellitus.
    expected |= {path.stem for path in ctgov_data.glob("*.json") if '"id": "D003920"' in path.read_text()}
    assert {s["protocolSection"]["identificationModule"]["nctId"] for s in cond["studies"]} == expected
    term = client.get("/api/v2/studies", {"query.term": '"low dose" IL-2 -cancer', "countTotal": "true"}).json()
    assert "NCT04133233" in [s["protocolSection"]["identificationModule"]["nctId"] for s in term["studies"]]
    locn = client.get("/api/v2/studies", {"query.locn": "Créteil"}).json()
    assert [s["protocolSection"]["identificationModule"]["nctId"] for s in locn["studies"]] == ["NCT04133233"]
    ids = client.get("/api/v2/studies", {"filter.ids": "NCT00000410|nct4133233"}).json()
    assert {s["protocolSection"]["identificationModule"]["nctId"] for s in ids["studies"]} == {
        "NCT00000410",
        "NCT04133233",
    }


def test_a_query_of_nct_ids_alone_ignores_filters(client, on_file):
    body = client.get(
        "/api/v2/studies", {"query.term": "NCT04133233, NCT00000410", "filter.overallStatus": "RECRUITING"}
    ).json()
    assert len(body["studies"]) == 2


def test_sort_by_enrollment_descending(client, on_file):
    body = client.get("/api/v2/studies", {"sort": "EnrollmentCount:desc", "pageSize": 20}).json()
    counts = [s["protocolSection"]["designModule"].get("enrollmentInfo", {}).get("count") for s in body["studies"]]
    assert counts == sorted(counts, reverse=True)


def test_csv_pages_carry_headers_and_the_registrys_columns(client, on_file):
    response = client.get("/api/v2/studies", {"format": "csv", "pageSize": 5, "countTotal": "true"})
    assert response["Content-Type"].startswith("text/csv")
    assert response["x-total-count"] == str(on_file)
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["NCT Number", "Study Title", "Study URL"]
    assert len(rows) == 6
    following = client.get(
        "/api/v2/studies", {"format": "csv", "pageSize": 5, "pageToken": response["x-next-page-token"]}
    )
    assert not following.content.decode().startswith("NCT Number")


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"query.bogus": "x"}, "query.bogus"),
        ({"filter.overallStatus": "FINISHED"}, "filter.overallStatus"),
        ({"filter.ids": "NCT0"}, "filter.ids"),
        ({"pageSize": "-3"}, "pageSize"),
        ({"pageSize": "ten"}, "pageSize"),
        ({"pageToken": "not-a-token"}, "pageToken"),
        ({"countTotal": "maybe"}, "countTotal"),
        ({"format": "xml"}, "format"),
        ({"markupFormat": "html"}, "markupFormat"),
        ({"sort": "Title"}, "sort"),
        ({"query.term": '"unbalanced'}, "query.term"),
    ],
)
def test_bad_parameters_get_a_plain_text_400_naming_them(client, on_file, params, parameter):
    response = client.get("/api/v2/studies", params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode().startswith(f"{parameter}:")


def test_an_apostrophe_is_part_of_a_word_and_head_is_answered(client, on_file):
    from trials.models import Condition

    Condition.objects.create(name="Crohn's Disease")
    response = client.get("/api/v2/studies", {"query.cond": "Crohn's", "query.term": "Parkinson's OR Crohn's"})
    assert response.status_code == 200
    assert client.head("/api/v2/studies").status_code == 200
    assert client.head("/api/v2/version").status_code == 200


def test_page_size_is_coerced_down_to_1000(client, on_file):
    assert len(client.get("/api/v2/studies", {"pageSize": 5000}).json()["studies"]) == on_file


def test_a_page_is_built_in_one_query_whatever_its_size(client, on_file, django_assert_num_queries):
    # The page's ids, then every study with all its tables packed in one query (``exports.export_studies``);
    # counting the total adds one. Studies kept in the shared cache need no second query.
    for size in (1, 100):
        cache.clear()
        with django_assert_num_queries(2):
            studies = client.get("/api/v2/studies", {"pageSize": size}).json()["studies"]
        assert len(studies) == min(size, on_file)
    with django_assert_num_queries(1):
        assert len(client.get("/api/v2/studies", {"pageSize": 100}).json()["studies"]) == min(100, on_file)
    cache.clear()
    with django_assert_num_queries(3):
        client.get("/api/v2/studies", {"pageSize": 1000, "countTotal": "true"})


@pytest.mark.parametrize("nct_id", ["NCT04267848", "NCT00301262", "NCT04133233"])
def test_a_study_takes_three_queries_however_large_its_record(client, on_file, django_assert_num_queries, nct_id):
    # Its version (``trials.caching``), its id, then the study: 1,148 sites and their contacts, or
    # posted results, all in one query.
    for url in (f"/api/v2/studies/{nct_id}", f"/trials/{nct_id}.json"):
        with django_assert_num_queries(3):
            study = client.get(url).json()
        assert study["protocolSection"]["identificationModule"]["nctId"] == nct_id
    sites = study["protocolSection"]["contactsLocationsModule"].get("locations", [])
    assert len(sites) == {"NCT04267848": 1148}.get(nct_id, len(sites))


def test_openapi_description_and_api_page(client, db):
    spec = client.get("/api/v2/openapi.json").json()
    assert spec["openapi"] == "3.0.3"
    assert set(spec["paths"]) == {
        "/studies",
        "/studies/{nctId}",
        "/studies/{nctId}/history",
        "/studies/metadata",
        "/studies/enums",
        "/studies/search-areas",
        "/stats/field/values",
        "/stats/field/sizes",
        "/stats/size",
        "/version",
    }
    names = [parameter["name"] for parameter in spec["paths"]["/studies"]["get"]["parameters"]]
    assert {"query.term", "query.cond", "query.intr", "query.locn", "filter.overallStatus", "pageToken"} <= set(names)
    page = client.get("/api/").content.decode()
    assert "/api/v2/openapi.json" in page
    assert 'href="/api/"' in client.get("/").content.decode()


@pytest.mark.parametrize("condition", ["diabetes", "erectile", "cancer", "no-such-illness"])
def test_a_condition_query_alone_is_counted_on_the_conditions(client, on_file, condition, monkeypatch):
    from trials import search

    counted_on_conditions = get(client, "/api/v2/studies", **{"query.cond": condition, "countTotal": "true"}).json()
    monkeypatch.setattr(search, "count_linked", lambda q: None)
    monkeypatch.setattr(search, "count_condition_area", lambda text: None)
    counted_on_trials = get(client, "/api/v2/studies", **{"query.cond": condition, "countTotal": "true"}).json()
    assert counted_on_conditions["totalCount"] == counted_on_trials["totalCount"]
    assert (counted_on_trials["totalCount"] > 0) == (condition != "no-such-illness")


@pytest.mark.parametrize(
    "decoded", ["offset: 10 ", "offset:١٠", "offset:1_0", "offset:010", "offset:+10", "offset:10\n"]
)
def test_a_page_token_the_server_never_issued_is_a_400(client, on_file, decoded):
    import base64

    token = base64.urlsafe_b64encode(decoded.encode()).decode().rstrip("=")
    response = client.get("/api/v2/studies", {"pageToken": token})
    assert response.status_code == 400
    assert response.content.decode() == "pageToken: not a token this server gave\n"


def test_an_issued_page_token_is_taken_as_issued_and_only_so(client, on_file):
    token = client.get("/api/v2/studies", {"pageSize": 3}).json()["nextPageToken"]
    assert client.get("/api/v2/studies", {"pageSize": 3, "pageToken": token}).status_code == 200
    # The same offset with base64 padding, or with other trailing bits, is not what was issued.
    for spelling in (token + "=", token[:-1] + chr(ord(token[-1]) + 1)):
        assert client.get("/api/v2/studies", {"pageSize": 3, "pageToken": spelling}).status_code == 400


def test_every_study_has_a_derived_section(client, on_file, ctgov_data):
    """Clients index into ``derivedSection`` unguarded: it is always there, with its three modules."""
    original = json.loads((ctgov_data / "NCT00000410.json").read_text())
    body = client.get("/api/v2/studies", {"pageSize": 1000}).json()
    assert len(body["studies"]) == on_file
    for study in body["studies"]:
        derived = study["derivedSection"]
        assert set(derived) == {"miscInfoModule", "conditionBrowseModule", "interventionBrowseModule"}
        assert len(derived["miscInfoModule"]["versionHolder"]) == 10
    study = client.get("/api/v2/studies/NCT00000410").json()
    meshes = original["derivedSection"]["conditionBrowseModule"]["meshes"]
    assert study["derivedSection"]["conditionBrowseModule"]["meshes"] == meshes


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ("NCTId|BriefTitle", {"identificationModule": {"nctId": "NCT00000410", "briefTitle": None}}),
        ("protocolSection.identificationModule.nctId", {"identificationModule": {"nctId": "NCT00000410"}}),
        (
            "nctid,OverallStatus",
            {"identificationModule": {"nctId": "NCT00000410"}, "statusModule": {"overallStatus": None}},
        ),
    ],
)
def test_fields_select_pieces_and_paths(client, on_file, ctgov_data, fields, expected):
    original = json.loads((ctgov_data / "NCT00000410.json").read_text())["protocolSection"]
    for module, elements in expected.items():
        for key in elements:
            elements[key] = original[module][key]
    body = client.get("/api/v2/studies/NCT00000410", {"fields": fields}).json()
    assert body == {"protocolSection": expected}


def test_a_branch_in_fields_brings_its_descendants(client, on_file, ctgov_data):
    original = json.loads((ctgov_data / "NCT00000410.json").read_text())
    for fields in ("IdentificationModule", "protocolSection.identificationModule"):
        body = client.get("/api/v2/studies/NCT00000410", {"fields": fields}).json()
        assert body == {
            "protocolSection": {"identificationModule": original["protocolSection"]["identificationModule"]}
        }
    sites = client.get("/api/v2/studies/NCT00000410", {"fields": "LocationCity|HasResults"}).json()
    assert set(sites) == {"protocolSection", "hasResults"}
    assert [site["city"] for site in sites["protocolSection"]["contactsLocationsModule"]["locations"]] == [
        site["city"] for site in original["protocolSection"]["contactsLocationsModule"]["locations"]
    ]


def test_fields_on_a_page_of_studies(client, on_file):
    body = client.get("/api/v2/studies", {"fields": "NCTId", "pageSize": 1000}).json()
    assert len(body["studies"]) == on_file
    assert all(list(study) == ["protocolSection"] for study in body["studies"])
    assert all(list(study["protocolSection"]["identificationModule"]) == ["nctId"] for study in body["studies"])


def test_fields_for_csv_are_the_downloads_column_names(client, on_file):
    response = client.get("/api/v2/studies", {"format": "csv", "fields": "Study Status|NCT Number", "pageSize": 3})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["NCT Number", "Study Status"]
    assert len(rows) == 4 and all(row[0].startswith("NCT") for row in rows[1:])
    one = client.get("/api/v2/studies/NCT00000410", {"format": "csv", "fields": "Study Title"}).content.decode()
    assert one.splitlines()[0] == "Study Title"


def test_fields_for_csv_also_take_the_pieces_of_each_column(client, on_file):
    """As the registry does: a piece selects every column made of it, in the download's order."""
    response = client.get(
        "/api/v2/studies/NCT00000410", {"format": "csv", "fields": "OverallStatus|NCTId|DesignMasking"}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["NCT Number", "Study URL", "Study Status", "Study Design"]
    assert rows[1][:3] == ["NCT00000410", "https://clinicaltrials.gov/study/NCT00000410", "COMPLETED"]


def test_list_pieces_are_named_by_one_item_as_the_registry_names_them(client, on_file):
    body = client.get("/api/v2/studies/NCT00000410", {"fields": "Condition|Phase|Reference"}).json()
    assert body["protocolSection"]["designModule"] == {"phases": ["PHASE4"]}
    assert set(body["protocolSection"]) == {"conditionsModule", "designModule", "referencesModule"}
    plural = client.get("/api/v2/studies/NCT00000410", {"fields": "Conditions|Phases|References"}).json()
    assert plural == body
    nodes = {node["piece"] for _, node in _walk_nodes(client.get("/api/v2/studies/metadata").json())}
    assert {"Condition", "Phase", "StdAge", "ArmGroupInterventionName", "DesignWhoMasked"} <= nodes
    assert not {"Conditions", "Phases", "MaskingWhoMasked"} & nodes


@pytest.mark.parametrize(
    ("url", "params", "named"),
    [
        ("/api/v2/studies", {"fields": "NCTId|NoSuchPiece"}, "NoSuchPiece"),
        ("/api/v2/studies/NCT00000410", {"fields": "protocolSection.nowhere"}, "protocolSection.nowhere"),
        ("/api/v2/studies", {"fields": "NCTId|Keyword", "format": "csv"}, "Keyword"),
        ("/api/v2/studies", {"fields": ""}, "fields"),
    ],
)
def test_unknown_fields_get_a_400_naming_them(client, on_file, url, params, named):
    response = client.get(url, params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert named in response.content.decode() and "fields" in response.content.decode()


def test_legacy_markup_is_the_text_without_markdowns_escapes(client, on_file, ctgov_data):
    original = json.loads((ctgov_data / "NCT00090376.json").read_text())["protocolSection"]
    markdown = original["eligibilityModule"]["eligibilityCriteria"]
    assert "\\>" in markdown
    default = client.get("/api/v2/studies/NCT00090376").json()["protocolSection"]
    assert default["eligibilityModule"]["eligibilityCriteria"] == markdown
    legacy = client.get("/api/v2/studies/NCT00090376", {"markupFormat": "legacy"}).json()["protocolSection"]
    criteria = legacy["eligibilityModule"]["eligibilityCriteria"]
    assert criteria == markdown.replace("\\>", ">").replace("\\<", "<").replace("\\[", "[").replace("\\]", "]")
    assert "\\" not in criteria and "\n1. " in criteria
    assert legacy["identificationModule"] == default["identificationModule"]
    page = client.get("/api/v2/studies", {"markupFormat": "legacy", "filter.ids": "NCT00090376"}).json()
    assert page["studies"][0]["protocolSection"]["eligibilityModule"]["eligibilityCriteria"] == criteria


def _walk_nodes(nodes, parents=()):
    for node in nodes:
        path = (*parents, node["name"])
        yield ".".join(path), node
        yield from _walk_nodes(node.get("children", []), path)


def test_metadata_describes_every_element_the_export_writes(client, on_file):
    response = client.get("/api/v2/studies/metadata")
    assert response.status_code == 200
    nodes = dict(_walk_nodes(response.json()))
    assert nodes["protocolSection.identificationModule.nctId"]["piece"] == "NCTId"
    assert nodes["protocolSection.statusModule.overallStatus"] | {} == {
        "name": "overallStatus",
        "piece": "OverallStatus",
        "sourceType": "ENUM",
        "type": "Status",
        "isEnum": True,
    }
    assert nodes["protocolSection.eligibilityModule.eligibilityCriteria"]["type"] == "markup"
    assert nodes["protocolSection.contactsLocationsModule.locations"]["nested"] is True
    assert all({"name", "piece", "sourceType", "type"} <= set(node) for node in nodes.values())
    # Every piece the metadata names is one that fields takes, and selects that node.
    study = client.get("/api/v2/studies/NCT00000410").json()
    for path, node in nodes.items():
        if "children" not in node and path.startswith("protocolSection.identificationModule"):
            body = client.get("/api/v2/studies/NCT00000410", {"fields": node["piece"]})
            assert body.status_code == 200, node["piece"]
            assert set(body.json()) <= set(study)
    assert client.get("/api/v2/studies/metadata", {"includeIndexedOnly": "maybe"}).status_code == 400


def test_enums_list_each_type_its_pieces_and_values(client, db):
    body = client.get("/api/v2/studies/enums").json()
    types = {item["type"]: item for item in body}
    assert types["Status"]["pieces"] == ["OverallStatus", "LastKnownStatus"]
    assert {"value": "RECRUITING", "legacyValue": "Recruiting"} in types["Status"]["values"]
    assert "EnrollmentType" in types["EnrollmentType"]["pieces"]
    assert "EnrollmentType" not in types["DateType"]["pieces"]
    assert [item["value"] for item in types["Phase"]["values"]] == [
        "NA",
        "EARLY_PHASE1",
        "PHASE1",
        "PHASE2",
        "PHASE3",
        "PHASE4",
    ]
    assert client.get("/api/v2/studies/enums", {"x": "1"}).status_code == 400


def test_query_parameters_take_essie_expressions(client, on_file, ctgov_data):
    """As the spec says of every ``query.*``: ``AREA[...]`` works there as in ``filter.advanced``."""
    phase3 = sorted(
        path.stem
        for path in ctgov_data.glob("*.json")
        if "PHASE3" in json.loads(path.read_text())["protocolSection"].get("designModule", {}).get("phases", [])
    )

    def found(params):
        body = client.get("/api/v2/studies", {**params, "fields": "NCTId", "pageSize": 1000}).json()
        return sorted(study["protocolSection"]["identificationModule"]["nctId"] for study in body["studies"])

    assert phase3 and found({"query.term": "AREA[Phase]PHASE3"}) == phase3
    assert found({"query.cond": "AREA[Phase]PHASE3"}) == phase3
    assert found({"query.term": "AREA[Phase]PHASE3 AND NOT AREA[Phase]PHASE3"}) == []
    refused = client.get("/api/v2/studies", {"query.cond": "AREA[NoSuchPiece]x"})
    assert refused.status_code == 400 and refused.content.decode().startswith("query.cond: unknown area 'NoSuchPiece'")


def test_sort_by_number_of_arms(client, on_file, ctgov_data):
    arms = {
        path.stem: len(
            json.loads(path.read_text())["protocolSection"].get("armsInterventionsModule", {}).get("armGroups", [])
        )
        for path in ctgov_data.glob("*.json")
    }
    body = client.get("/api/v2/studies", {"sort": "NumArmGroups:desc", "fields": "NCTId", "pageSize": 1000}).json()
    order = [study["protocolSection"]["identificationModule"]["nctId"] for study in body["studies"]]
    listed = [arms.get(nct_id, 0) for nct_id in order if nct_id in arms]
    assert listed == sorted(listed, reverse=True) and listed[0] == max(arms.values())


def test_every_example_on_the_api_page_answers(client, on_file):
    """The page's links into /api/v2 are examples a reader will follow: each must be answered."""
    import re
    from html import unescape

    page = client.get("/api/").content.decode()
    links = sorted({unescape(href) for href in re.findall(r'href="(/api/v2/[^"]*)"', page)})
    assert len(links) >= 15
    for href in links:
        assert client.get(href).status_code == 200, href
    body = client.get("/api/v2/studies", {"query.term": "AREA[Phase]PHASE3", "countTotal": "true"}).json()
    assert body["totalCount"] > 0


def test_fields_of_the_trial_row_alone_give_what_the_whole_studies_hold(client, on_file):
    """Read from the trial rows without their tables, the elements are those of the whole records."""
    whole = client.get("/api/v2/studies", {"pageSize": 1000}).json()["studies"]
    fields = "NCTId|BriefTitle|StartDate|DesignMasking|HasResults|versionHolder"
    narrow = client.get("/api/v2/studies", {"pageSize": 1000, "fields": fields}).json()["studies"]
    assert len(narrow) == len(whole) == on_file
    for full, selected in zip(whole, narrow, strict=True):
        protocol = full["protocolSection"]
        expected = {
            "protocolSection": {
                "identificationModule": {key: protocol["identificationModule"][key] for key in ("nctId", "briefTitle")},
                **(
                    {"statusModule": {"startDateStruct": {"date": protocol["statusModule"]["startDateStruct"]["date"]}}}
                    if "startDateStruct" in protocol["statusModule"]
                    else {}
                ),
            },
            "derivedSection": {"miscInfoModule": full["derivedSection"]["miscInfoModule"]},
            "hasResults": full["hasResults"],
        }
        masking = protocol.get("designModule", {}).get("designInfo", {}).get("maskingInfo", {}).get("masking")
        if masking:
            expected["protocolSection"]["designModule"] = {"designInfo": {"maskingInfo": {"masking": masking}}}
        assert selected == expected


@pytest.mark.parametrize(
    ("fields", "read", "unread"),
    [
        ("StatusModule|DescriptionModule", "detailed_description", "eligibility_criteria"),
        ("DesignModule|EligibilityModule|OversightModule", "eligibility_criteria", "detailed_description"),
        (
            "protocolSection.statusModule.startDateStruct.type|CompletionDate|versionHolder",
            "start_date_type",
            "brief_title",
        ),
    ],
)
def test_modules_of_the_trial_row_read_only_their_columns_and_give_the_whole_studies_elements(
    client, on_file, fields, read, unread
):
    """A selection inside the trial row reads just its columns, and answers as a projection of the whole study."""
    whole = client.get("/api/v2/studies", {"pageSize": 1000}).json()["studies"]
    selection = json_selection(fields.split("|"))
    cache.clear()  # the whole studies just kept would answer without a read
    with CaptureQueriesContext(connection) as queries:
        narrow = client.get("/api/v2/studies", {"pageSize": 1000, "fields": fields}).json()["studies"]
    assert narrow == [project(study, selection) or {} for study in whole]
    sql = " ".join(query["sql"] for query in queries)
    assert f'"{read}"' in sql and f'"{unread}"' not in sql
