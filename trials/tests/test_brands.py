"""Brand and generic names: the registry's otherNames say which names are one intervention; on both backends."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection
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


GUARDS = Path(__file__).parent / "data" / "aliases"
# Lists "Pembrolizumab" as another name of adagrasib, beside pembrolizumab's own entry.
COMBINATION = "NCT04613596"
# Gives fludarabine the other name "Flu"; "Fludara" in the other.
FLU_AS_FLUDARABINE, FLUDARA = "NCT01949129", "NCT05589896"
INFLUENZA_VACCINE = "NCT02967393"


@pytest.fixture
def guarded():
    report = import_paths([BRANDS, GUARDS])
    assert report.ok, report.failures


def test_rows_leave_out_names_a_record_with_several_interventions_does_not_attribute_plainly():
    rows = aliases.rows(
        [
            ("Adagrasib", ["Pembrolizumab"]),  # the name of another of its interventions
            ("Pembrolizumab", []),
            ("Drug A", ["XY-101"]),  # listed under two interventions
            ("Drug B", ["XY-101", "Brandol"]),
        ]
    )
    assert [(row["name"], row["alias"]) for row in rows] == [("Drug B", "Brandol")]


def test_the_vocabulary_disputes_an_abbreviation_or_another_drugs_name():
    # "Flu" names influenza: an abbreviation never stands against the vocabulary's word.
    assert not aliases.agreed("fludarabine", "flu", 50)
    # MeSH lists the brand as the generic's entry term, or lists one name and not the other.
    assert aliases.agreed("paclitaxel", "taxol", 1)
    assert aliases.agreed("pembrolizumab", "keytruda", 1)
    # Two descriptors of their own: one record is not enough to say they are one intervention.
    assert not aliases.agreed("vitamin d", "cholecalciferol", 1)
    assert aliases.agreed("vitamin d", "cholecalciferol", 2)


def test_the_import_drops_a_combinations_partner_listed_as_an_other_name(guarded):
    assert not InterventionAlias.objects.filter(trial__nct_id=COMBINATION, alias_key="pembrolizumab").exists()
    assert aliases.lookup({"pembrolizumab"})["pembrolizumab"] == [aliases.Alias("Keytruda", False, 1)]


def test_one_record_does_not_make_an_established_name_another_drugs_other_name(guarded):
    # Stored as the database held it before import guarded it: the look-up still leaves it out,
    # once two records give pembrolizumab as an intervention's own name.
    trial_ids = dict(Intervention.objects.values_list("trial__nct_id", "trial_id"))
    InterventionAlias.objects.create(
        trial_id=trial_ids[COMBINATION],
        name="Adagrasib",
        name_key="adagrasib",
        alias="Pembrolizumab",
        alias_key="pembrolizumab",
    )
    assert "Adagrasib" in [alias.name for alias in aliases.lookup({"pembrolizumab"})["pembrolizumab"]]
    InterventionAlias.objects.create(
        trial_id=trial_ids[GENERIC_ONLY],
        name="Pembrolizumab",
        name_key="pembrolizumab",
        alias="MK-3475",
        alias_key="mk 3475",
    )
    assert [alias.name for alias in aliases.lookup({"pembrolizumab"})["pembrolizumab"]] == ["Keytruda", "MK-3475"]
    # Read from the other side, adagrasib's only other name is the pair itself: nothing disputes it.
    assert "Pembrolizumab" in [alias.name for alias in aliases.lookup({"adagrasib"})["adagrasib"]]


def test_pembrolizumab_is_not_said_to_be_the_generic_of_adagrasib(client, guarded):
    html, trials = listed(client, q="pembrolizumab")
    assert "<strong>Keytruda</strong>" in html
    assert "<strong>Adagrasib</strong>" not in html
    assert COMBINATION in trials


def test_flu_finds_influenza_not_fludarabines_trials(client, guarded):
    assert search.read("flu", search.backend()).also_called == []
    html, trials = listed(client, q="flu")
    assert trials[0] == INFLUENZA_VACCINE
    assert "<strong>Fludarabine</strong>" not in html
    if connection.vendor == "postgresql":
        # By words: the record that writes "Flu"; not the brand's trial through fludarabine (on SQLite
        # every text holding "flu" matches, "Fludara" among them).
        assert FLUDARA not in trials
    # The brand still finds the generic's trials.
    html, trials = listed(client, q="Fludara")
    assert {FLUDARA, FLU_AS_FLUDARABINE} <= set(trials)
    assert "<strong>Fludarabine</strong>: generic of" in html
