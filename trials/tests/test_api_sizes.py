"""/api/v2/stats/size: the studies' JSON sizes, stored on the trials and summarised."""

from __future__ import annotations

import statistics

import pytest

from trials.api.sizes import PERCENTILES
from trials.importers import import_paths
from trials.models import Trial

pytestmark = pytest.mark.django_db


@pytest.fixture
def sizes(client, ctgov_data) -> dict[str, int]:
    """Each study's size as /studies/{nctId} sends it, read from the endpoint itself."""
    assert import_paths([ctgov_data]).ok
    return {
        nct_id: len(client.get(f"/api/v2/studies/{nct_id}").content)
        for nct_id in Trial.objects.values_list("nct_id", flat=True)
    }


def test_stats_size_agrees_with_the_studies_as_sent(client, sizes, ctgov_data):
    answer = client.get("/api/v2/stats/size").json()
    assert answer["totalStudies"] == len(sizes) == len(list(ctgov_data.glob("NCT*.json")))
    assert answer["averageSizeBytes"] == round(statistics.fmean(sizes.values()))
    largest = sorted(sizes.items(), key=lambda item: (-item[1], item[0]))[:10]
    assert [(item["id"], item["sizeBytes"]) for item in answer["largestStudies"]] == largest
    ordered = sorted(sizes.values())
    assert answer["percentiles"]["50"] == ordered[-(-50 * len(ordered) // 100) - 1]
    assert list(answer["percentiles"]) == [str(p) for p in PERCENTILES]
    assert sum(item["studiesCount"] for item in answer["ranges"]) == len(sizes)
    small = sum(1 for size in sizes.values() if size < 5 * 1024)
    assert answer["ranges"][0] == {"sizeRange": "0KB-5KB", "studiesCount": small}
    assert answer["ranges"][-1]["sizeRange"] == "1MB+"


def test_stats_size_reads_stored_sizes_in_a_fixed_number_of_queries(client, sizes, django_assert_max_num_queries):
    client.get("/api/v2/stats/size")  # measures what the import left unmeasured
    with django_assert_max_num_queries(12):
        assert client.get("/api/v2/stats/size").json()["totalStudies"] == len(sizes)


def test_a_changed_trial_is_measured_again(client, sizes):
    client.get("/api/v2/stats/size")
    trial = Trial.objects.get(nct_id="NCT00000410")
    trial.detailed_description += " " + "x" * 5000
    trial.save()
    grown = len(client.get("/api/v2/studies/NCT00000410").content)
    assert grown > sizes["NCT00000410"] + 5000
    answer = client.get("/api/v2/stats/size").json()
    assert Trial.objects.get(nct_id="NCT00000410").json_size == grown
    others = sum(size for nct_id, size in sizes.items() if nct_id != "NCT00000410")
    assert answer["averageSizeBytes"] == round((others + grown) / len(sizes))


def test_stats_size_takes_no_parameters(client, db):
    response = client.get("/api/v2/stats/size", {"fields": "x"})
    assert response.status_code == 400
    assert response.content.decode() == "fields: unknown or unsupported parameter\n"
