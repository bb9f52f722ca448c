"""/api/v2/stats/field/values and /stats/field/sizes, counted against the record files themselves."""

import json
from collections import Counter

import pytest

from trials.importers import import_paths

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_file(ctgov_data, seed_trial):
    report = import_paths([ctgov_data])
    assert report.ok
    return report.counts["created"] + 1


def test_field_value_stats_agree_with_the_records_on_file(client, on_file, ctgov_data, seed_trial):
    """Counted from the record files themselves, not through the database."""
    from collections import Counter

    documents = [json.loads(path.read_text()) for path in sorted(ctgov_data.glob("*.json"))]
    studies = [document for document in documents if "protocolSection" in document]
    statuses = Counter(study["protocolSection"]["statusModule"]["overallStatus"] for study in studies)
    statuses[seed_trial.overall_status] += 1
    body = client.get("/api/v2/stats/field/values", {"fields": "OverallStatus|HealthyVolunteers"}).json()
    by_piece = {item["piece"]: item for item in body}
    assert by_piece["OverallStatus"]["type"] == "ENUM"
    assert {value["value"]: value["studiesCount"] for value in by_piece["OverallStatus"]["topValues"]} == dict(statuses)
    assert by_piece["OverallStatus"]["missingStudiesCount"] == 0
    healthy = Counter(
        study["protocolSection"].get("eligibilityModule", {}).get("healthyVolunteers") for study in studies
    )
    healthy[seed_trial.healthy_volunteers] += 1
    assert (by_piece["HealthyVolunteers"]["trueCount"], by_piece["HealthyVolunteers"]["falseCount"]) == (
        healthy[True],
        healthy[False],
    )
    everything = client.get("/api/v2/stats/field/values", {"types": "BOOLEAN"}).json()
    assert everything and all(item["type"] == "BOOLEAN" for item in everything)


def test_every_field_value_stat_comes_in_two_queries_for_the_row_and_two_per_list(
    client, on_file, django_assert_num_queries
):
    """Without ``fields``: the trial row's elements counted together, each as it is when asked alone."""
    with django_assert_num_queries(2 + 2 * 3):
        everything = client.get("/api/v2/stats/field/values").json()
    by_piece = {item["piece"]: item for item in everything}
    assert len(everything) > 40 and len(by_piece) == len(everything)
    for piece in ("OverallStatus", "Phase", "HealthyVolunteers", "HasResults", "EnrollmentCount", "StudyFirstPostDate"):
        alone = client.get("/api/v2/stats/field/values", {"fields": piece}).json()
        assert alone == [by_piece[piece]], piece
    with django_assert_num_queries(1):
        assert client.get("/api/v2/stats/field/values", {"types": "BOOLEAN|ENUM"}).status_code == 200


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"fields": "NoSuchPiece"}, "NoSuchPiece"),
        ({"fields": "BriefTitle"}, "BriefTitle"),
        ({"fields": "BriefSummary"}, "BriefSummary"),
        ({"fields": "InterventionDescription"}, "InterventionDescription"),
        ({"types": "COLOUR"}, "COLOUR"),
        ({"fields": ""}, "fields"),
    ],
)
def test_field_value_stats_refuse_what_they_cannot_answer(client, db, params, named):
    response = client.get("/api/v2/stats/field/values", params)
    assert response.status_code == 400
    assert named in response.content.decode()


def test_list_sizes_agree_with_the_records_on_file(client, on_file, ctgov_data, seed_trial):
    """Counted from the record files themselves, not through the database."""
    from collections import Counter

    documents = [json.loads(path.read_text()) for path in sorted(ctgov_data.glob("*.json"))]
    studies = [document["protocolSection"] for document in documents if "protocolSection" in document]
    seed = client.get(f"/api/v2/studies/{seed_trial.nct_id}").json()["protocolSection"]
    expected = {
        "Condition": Counter(len(s.get("conditionsModule", {}).get("conditions", [])) for s in [*studies, seed]),
        "Location": Counter(len(s.get("contactsLocationsModule", {}).get("locations", [])) for s in [*studies, seed]),
    }
    body = client.get(
        "/api/v2/stats/field/sizes", {"fields": "Conditions|protocolSection.contactsLocationsModule.locations"}
    )
    assert body.status_code == 200
    for item in body.json():
        counts = expected[item["piece"]]
        del counts[0]  # a study without the list has no size
        assert {size["size"]: size["studiesCount"] for size in item["topSizes"]} == dict(counts)
        assert (item["minSize"], item["maxSize"], item["uniqueSizesCount"]) == (min(counts), max(counts), len(counts))
    assert len(client.get("/api/v2/stats/field/sizes").json()) > 10
    refused = client.get("/api/v2/stats/field/sizes", {"fields": "BriefTitle"})
    assert refused.status_code == 400 and "BriefTitle" in refused.content.decode()


def _protocols(client, ctgov_data, seed_trial) -> list[dict]:
    """Each study's protocol: the record files as they are, and the seed trial as the export writes it."""
    documents = [json.loads(path.read_text()) for path in sorted(ctgov_data.glob("*.json"))]
    seed = client.get(f"/api/v2/studies/{seed_trial.nct_id}").json()
    return [document["protocolSection"] for document in [*documents, seed] if "protocolSection" in document]


def _held(protocols: list[dict], values) -> tuple[Counter, int]:
    """The studies holding each value (a study once per value), and the studies holding none."""
    counts: Counter = Counter()
    missing = 0
    for protocol in protocols:
        held = set(values(protocol))
        counts.update(held)
        missing += not held
    return counts, missing


def test_list_element_stats_count_the_studies_holding_each_value(
    client, on_file, ctgov_data, seed_trial, django_assert_num_queries
):
    """Counted from the record files themselves, not through the database."""
    from trials.api.stats import TOP_VALUES

    protocols = _protocols(client, ctgov_data, seed_trial)
    arms = "protocolSection.armsInterventionsModule.armGroups.interventionNames"
    expected = {
        "Phase": _held(protocols, lambda p: p.get("designModule", {}).get("phases", [])),
        "Condition": _held(protocols, lambda p: p.get("conditionsModule", {}).get("conditions", [])),
        "InterventionName": _held(
            protocols, lambda p: [i["name"] for i in p.get("armsInterventionsModule", {}).get("interventions", [])]
        ),
        "ArmGroupInterventionName": _held(
            protocols,
            lambda p: [
                name
                for arm in p.get("armsInterventionsModule", {}).get("armGroups", [])
                for name in arm.get("interventionNames", [])
            ],
        ),
    }
    # Two queries for each list of names (the values' counts, the studies with none), one for Phase.
    with django_assert_num_queries(7):
        response = client.get("/api/v2/stats/field/values", {"fields": f"Phase|Condition|InterventionName|{arms}"})
    assert response.status_code == 200
    body = {item["piece"]: item for item in response.json()}
    assert list(body) == ["Phase", "Condition", "ArmGroupInterventionName", "InterventionName"]
    assert body["Phase"]["type"] == "ENUM" and body["Condition"]["type"] == "STRING"
    assert body["ArmGroupInterventionName"]["field"] == arms
    for piece, (counts, missing) in expected.items():
        item = body[piece]
        assert (item["missingStudiesCount"], item["uniqueValuesCount"]) == (missing, len(counts)), piece
        top = {value["value"]: value["studiesCount"] for value in item["topValues"]}
        assert len(top) == min(len(counts), TOP_VALUES)
        assert all(counts[value] == n for value, n in top.items()), piece
        assert sorted(top.values(), reverse=True) == sorted(counts.values(), reverse=True)[: len(top)]
    assert set(expected["Phase"][0]) <= {"EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4", "NA"}
    assert any(n > 1 for n in expected["Condition"][0].values())  # the data does count a value across studies
    names = client.get("/api/v2/stats/field/values", {"types": "STRING"}).json()
    assert [item["piece"] for item in names] == ["Condition", "ArmGroupInterventionName", "InterventionName"]


def test_sizes_of_lists_of_values_agree_with_the_records_on_file(client, on_file, ctgov_data, seed_trial):
    protocols = _protocols(client, ctgov_data, seed_trial)
    phases = Counter(len(p.get("designModule", {}).get("phases", [])) for p in protocols)
    del phases[0]
    arm_sizes: Counter = Counter()
    for protocol in protocols:
        arms = protocol.get("armsInterventionsModule", {}).get("armGroups", [])
        arm_sizes.update({len(arm["interventionNames"]) for arm in arms if arm.get("interventionNames")})
    arms = "protocolSection.armsInterventionsModule.armGroups.interventionNames"
    response = client.get("/api/v2/stats/field/sizes", {"fields": f"Phase|{arms}"})
    assert response.status_code == 200
    body = {item["piece"]: item for item in response.json()}
    for piece, counts in (("Phase", phases), ("ArmGroupInterventionName", arm_sizes)):
        item = body[piece]
        assert {size["size"]: size["studiesCount"] for size in item["topSizes"]} == dict(counts), piece
        assert (item["minSize"], item["maxSize"], item["uniqueSizesCount"]) == (min(counts), max(counts), len(counts))
    assert max(phases) == 2 and max(arm_sizes) > 1
    assert body["ArmGroupInterventionName"]["field"] == arms


def test_number_and_date_stats_agree_with_the_records_on_file(client, on_file, ctgov_data, seed_trial):
    documents = [json.loads(path.read_text()) for path in sorted(ctgov_data.glob("*.json"))]
    seed = client.get(f"/api/v2/studies/{seed_trial.nct_id}").json()
    protocols = [document["protocolSection"] for document in [*documents, seed]]
    counts = [
        p["designModule"]["enrollmentInfo"]["count"]
        for p in protocols
        if "count" in p["designModule"].get("enrollmentInfo", {})
    ]
    posted = [
        p["statusModule"]["studyFirstPostDateStruct"]["date"]
        for p in protocols
        if "studyFirstPostDateStruct" in p["statusModule"]
    ]
    body = client.get("/api/v2/stats/field/values", {"fields": "EnrollmentCount|StudyFirstPostDate"}).json()
    by_piece = {item["piece"]: item for item in body}
    assert by_piece["EnrollmentCount"] == {
        "type": "INTEGER",
        "piece": "EnrollmentCount",
        "field": "protocolSection.designModule.enrollmentInfo.count",
        "missingStudiesCount": len(protocols) - len(counts),
        "min": min(counts),
        "max": max(counts),
        "avg": pytest.approx(sum(counts) / len(counts)),
    }
    assert by_piece["StudyFirstPostDate"]["type"] == "DATE"
    assert (by_piece["StudyFirstPostDate"]["min"], by_piece["StudyFirstPostDate"]["max"]) == (min(posted), max(posted))
    assert by_piece["StudyFirstPostDate"]["formats"] == ["yyyy-MM-dd"]
    assert by_piece["StudyFirstPostDate"]["missingStudiesCount"] == len(protocols) - len(posted)
    numbers = client.get("/api/v2/stats/field/values", {"types": "INTEGER|NUMBER"}).json()
    assert numbers and {item["type"] for item in numbers} <= {"INTEGER", "NUMBER"}
