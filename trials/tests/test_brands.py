"""Brand and generic names: the registry's otherNames say which names are one intervention; on both backends."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.urls import reverse

from trials import search
from trials.importers import import_paths
from trials.models import Intervention, InterventionAlias
from trials.search import aliases

pytestmark = pytest.mark.django_db

BRANDS = Path(__file__).parent / "data" / "brands"
# Calls its pembrolizumab "Keytruda" (and its lenvatinib "Lenvima").
NAMES_THE_BRAND = "NCT05078931"
# Gives pembrolizumab among 15 drugs, with no other name, and never writes "Keytruda".
GENERIC_ONLY = "NCT06532149"


@pytest.fixture
def records():
    report = import_paths([BRANDS])
    assert report.ok, report.failures


def listed(client, **params) -> tuple[str, list[str]]:
    response = client.get(reverse("trials:list"), params)
    assert response.status_code == 200
    html = response.content.decode()
    return html, re.findall(r'<span class="nct">(NCT\d{8})</span>', html)


def pairs(nct_id: str) -> set[tuple[str, str]]:
    return set(InterventionAlias.objects.filter(trial__nct_id=nct_id).values_list("name", "alias"))


def test_rows_keep_real_other_names_once():
    rows = aliases.rows(
        [("Pembrolizumab", ["Keytruda", "KEYTRUDA®", "No other names", "pembrolizumabs", "MK-3475"]), ("x", ["y"])]
    )
    # The registered mark and case respell the same name; "No other names" says there is none;
    # a plural respells the name itself; names shorter than three letters are too ambiguous.
    assert [(row["name"], row["alias"], row["alias_key"]) for row in rows] == [
        ("Pembrolizumab", "Keytruda", "keytruda"),
        ("Pembrolizumab", "MK-3475", "mk 3475"),
    ]


def test_the_import_writes_what_each_record_says_and_replaces_it_when_the_record_changes(records, tmp_path):
    assert pairs(NAMES_THE_BRAND) == {("Pembrolizumab", "Keytruda"), ("Lenvatinib", "Lenvima")}
    assert ("Brigatinib", "ALUNBRIG") in pairs(GENERIC_ONLY)
    assert not InterventionAlias.objects.filter(trial__nct_id=GENERIC_ONLY, name="Pembrolizumab").exists()

    study = json.loads((BRANDS / f"{NAMES_THE_BRAND}.json").read_text())
    for item in study["protocolSection"]["armsInterventionsModule"]["interventions"]:
        item["otherNames"] = ["MK-3475"] if item["name"] == "Pembrolizumab" else []
    (tmp_path / f"{NAMES_THE_BRAND}.json").write_text(json.dumps(study))
    report = import_paths([tmp_path])
    assert report.ok and report.changed == [NAMES_THE_BRAND]
    assert pairs(NAMES_THE_BRAND) == {("Pembrolizumab", "MK-3475")}
    # The other trial's rows are untouched.
    assert ("Brigatinib", "ALUNBRIG") in pairs(GENERIC_ONLY)


def test_a_brand_finds_the_trials_of_its_generic_and_says_so(client, records):
    html, trials = listed(client, q="keytruda")
    assert set(trials) == {NAMES_THE_BRAND, GENERIC_ONLY}
    assert "<strong>Pembrolizumab</strong>: generic of “keytruda” in 1 record on file" in html
    # In exact words, only the record that writes the brand.
    assert listed(client, q="keytruda", exact="1")[1] == [NAMES_THE_BRAND]


def test_a_generic_finds_the_trials_that_give_only_its_brand(client, records):
    reading = search.read("lenvatinib", search.backend())
    assert [(item.phrase, [alias.name for alias in item.names]) for item in reading.also_called] == [
        ("lenvatinib", ["Lenvima"])
    ]
    assert reading.also_called[0].names[0].generic is False
    html, trials = listed(client, q="Lenvima")
    assert trials == [NAMES_THE_BRAND]
    html, _ = listed(client, q="lenvatinib")
    assert "<strong>Lenvima</strong> (1 record): brand or other name of “lenvatinib” on file" in html


def test_a_brand_among_other_words_is_widened_alone(client, records):
    # "keytruda" is widened, "sexual" still has to match: only the study of sexual health.
    assert listed(client, q="keytruda sexual")[1] == [GENERIC_ONLY]
    assert listed(client, q="-keytruda pembrolizumab")[1] == [GENERIC_ONLY]


def test_the_api_areas_that_search_interventions_widen_a_brand(client, records):
    def api(**params) -> set[str]:
        response = client.get("/api/v2/studies", {"fields": "NCTId", **params})
        assert response.status_code == 200, response.content
        return {study["protocolSection"]["identificationModule"]["nctId"] for study in response.json()["studies"]}

    assert api(**{"query.intr": "Keytruda"}) == {NAMES_THE_BRAND, GENERIC_ONLY}
    assert api(**{"query.term": "Keytruda"}) == {NAMES_THE_BRAND, GENERIC_ONLY}
    # The conditions area does not search interventions: nothing to widen.
    assert api(**{"query.cond": "Keytruda"}) == set()
    assert api(**{"query.intr": "Keytruda OR nothingcalledthis"}) == {NAMES_THE_BRAND, GENERIC_ONLY}


def test_a_staff_edit_of_other_names_rebuilds_the_trials_rows(records):
    item = Intervention.objects.get(trial__nct_id=GENERIC_ONLY, name="Pembrolizumab")
    item.other_names = ["Keytruda"]
    item.save()
    aliases.refresh([item.trial_id])
    assert ("Pembrolizumab", "Keytruda") in pairs(GENERIC_ONLY)
    assert ("Brigatinib", "ALUNBRIG") in pairs(GENERIC_ONLY)
    assert aliases.lookup({"keytruda"})["keytruda"][0].trials == 2


def test_the_migration_fills_the_table_from_the_stored_interventions(records):
    migration = importlib.import_module("trials.migrations.0026_intervention_aliases")
    before = sorted(InterventionAlias.objects.values_list("trial_id", "name_key", "alias_key"))
    InterventionAlias.objects.all().delete()
    migration.fill(apps, None)
    assert sorted(InterventionAlias.objects.values_list("trial_id", "name_key", "alias_key")) == before


def test_the_names_of_every_phrase_are_read_in_one_query(records, django_assert_num_queries):
    with django_assert_num_queries(1):
        search.read("keytruda lung cancer", search.backend())
