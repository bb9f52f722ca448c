"""The bundled sample of real records that a first run loads."""

from __future__ import annotations

import gzip

import orjson
import pytest
from django.core.management import call_command

from trials.models import Site, Trial
from trials.sample import SAMPLE_PATH, sample_ids


@pytest.fixture(scope="module")
def studies() -> list[dict]:
    return orjson.loads(gzip.decompress(SAMPLE_PATH.read_bytes()))


def test_the_sample_holds_hundreds_of_varied_real_records(studies):
    protocols = [study["protocolSection"] for study in studies]
    statuses = {protocol["statusModule"]["overallStatus"] for protocol in protocols}
    countries = {
        site.get("country")
        for protocol in protocols
        for site in protocol.get("contactsLocationsModule", {}).get("locations", [])
    }

    assert len(studies) == len(set(sample_ids())) == 300
    # Every status of a study (the expanded-access ones, AVAILABLE and the like, are in none of the shared records).
    assert statuses == {
        "ACTIVE_NOT_RECRUITING",
        "COMPLETED",
        "ENROLLING_BY_INVITATION",
        "NOT_YET_RECRUITING",
        "RECRUITING",
        "SUSPENDED",
        "TERMINATED",
        "WITHDRAWN",
        "UNKNOWN",
    }
    assert sum(study.get("hasResults", False) for study in studies) >= 60
    assert sum(protocol["designModule"]["studyType"] == "OBSERVATIONAL" for protocol in protocols) >= 50
    assert len(countries) >= 40
    assert SAMPLE_PATH.stat().st_size < 2 * 2**20


def test_the_sample_loads_once(db, capsys, django_assert_max_num_queries):
    call_command("load_sample")
    assert "300 created, 0 updated, 0 unchanged, 0 failed" in capsys.readouterr().out
    assert Trial.objects.count() == 300
    assert Site.objects.filter(trial__nct_id="NCT04267848").count() == 1148

    with django_assert_max_num_queries(1):
        call_command("load_sample")
    assert capsys.readouterr().out == "Sample: already on file.\n"
