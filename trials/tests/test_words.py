"""Search by everyday words, MeSH synonyms and misspellings, on both backends."""

from __future__ import annotations

import difflib
import importlib
import re
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from trials import facets, search
from trials.importers import import_paths
from trials.models import Condition, Trial
from trials.search import expand, vocabulary

pytestmark = pytest.mark.django_db

WORDS = Path(__file__).parent / "data" / "words"


@pytest.fixture
def records():
    report = import_paths([WORDS])
    assert report.ok, report.failures


def found(client, **params):
    response = client.get(reverse("trials:list"), params)
    html = response.content.decode()
    return response, html, re.findall(r'<span class="nct">(NCT\d{8})</span>', html)


def test_a_phrase_finds_its_descriptor_by_entry_term_case_and_number():
    assert vocabulary.lookup("Heart Attacks").ui == "D009203"
    assert vocabulary.lookup("heart attack").name == "Myocardial Infarction"
    assert vocabulary.lookup("bowel cancer").ui == "D015179"
    assert vocabulary.lookup("alzheimers") == vocabulary.lookup("Alzheimer's") == vocabulary.lookup("alzheimer")
    assert vocabulary.lookup("women") is None
    # Longest phrase first: "lung cancer", then "aspirin"; "in" names nothing.
    spans = vocabulary.spans(["lung", "cancer", "in", "aspirin"])
    assert [(start, end, found.ui) for start, end, found in spans] == [(0, 2, "D008175"), (3, 4, "D001241")]


def test_our_own_words_each_name_a_known_descriptor_and_a_source():
    for phrase, descriptor in vocabulary.lay_terms():
        assert descriptor.ui in vocabulary.mesh_names(), phrase
        assert descriptor.source.strip() and not descriptor.from_mesh


def test_heart_attack_finds_the_myocardial_infarction_trial_by_its_mesh_terms(client, records):
    response, html, trials = found(client, q="heart attack")
    assert response.status_code == 200
    # Both are filed under the descriptor (the registry lists "Heart Attack" among its 64 conditions).
    assert set(trials) == {"NCT00711542", "NCT03840928"}
    assert "Myocardial Infarction" in html and "D009203" in html
    # Exact words: only the registry that writes the words.
    _, html, trials = found(client, q="heart attack", exact="1")
    assert trials == ["NCT03840928"]
    assert "Exact words only: no synonyms" in html


def test_everyday_words_mesh_lacks_find_their_trials(client, records):
    assert found(client, q="bowel cancer")[2][0] == "NCT06252142"
    assert found(client, q="alzheimers")[2][0] == "NCT04855630"
    assert "NCT06252142" not in found(client, q="bowel cancer", exact="1")[2]


def test_an_excluded_phrase_is_not_widened(client, records):
    backend = search.backend()
    assert [item.phrase for item in search.read("coronary heart attack", backend).added] == ["heart attack"]
    assert search.read('coronary -"heart attack"', backend).added == []
    assert search.read("heart attack", backend, exact=True).added == []
    assert "NCT00711542" in found(client, q="coronary heart attack")[2]


def test_a_misspelled_word_is_corrected_and_the_original_offered(client, records):
    response, html, trials = found(client, q="diabetis")
    assert response.status_code == 200
    assert "NCT06784375" in trials
    assert "Showing results for <strong>diabetes</strong>" in html
    assert "search instead for" in html and "exact=1" in html
    _, html, trials = found(client, q="diabetis", exact="1")
    assert trials == [] and "Showing results for" not in html


def test_correct_leaves_known_words_alone(records):
    assert search.correct("diabetis") == ("diabetes", [("diabetis", "diabetes")])
    assert search.correct("diabetes") is None
    assert search.correct("-diabetis") is None


def test_the_about_page_credits_mesh_and_lists_our_words(client):
    response = client.get(reverse("trials:about_data"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "NLM does not endorse this product" in html
    assert "bowel cancer" in html and "Colorectal Neoplasms (D015179)" in html
    assert reverse("trials:about_data") in client.get(reverse("trials:glossary")).content.decode()


def test_a_misspelled_drug_is_corrected_from_the_descriptors_names(seed_trial):
    # No condition on file is named like it: MeSH's names of drugs are the vocabulary.
    assert search.correct("metformine") == ("metformin", [("metformine", "metformin")])
    assert search.correct("exercise") is None


def test_widened_and_corrected_searches_take_fixed_queries(client, records, django_assert_max_num_queries):
    # Widening adds no query: a descriptor is a token of the search's index (on SQLite an
    # EXISTS on the MeSH terms' index). A search that
    # finds nothing asks whether the condition names on file changed (one query for all its words,
    # and one to read their words when they did) and, when a correction finds more, the page runs
    # again for it. The first page also reads the country picker's list, kept an hour.
    postgres = connection.vendor == "postgresql"
    for params, queries in (
        ({"q": "heart attack", "exact": "1"}, 18 if postgres else 9),
        ({"q": "heart attack"}, 19 if postgres else 10),
        ({"q": "diabetis"}, 25 if postgres else 13),
        ({"q": "diabetis hypertensoin"}, 25 if postgres else 13),
    ):
        with django_assert_max_num_queries(queries):
            response = client.get(reverse("trials:list"), params)
        assert response.status_code == 200


def test_a_renamed_condition_renews_the_words_corrected_to(records, monkeypatch):
    # Renamed in place: the same number of conditions, the same newest, the same first and last names.
    monkeypatch.setattr(expand, "NAMES_CHECKSUM_SECONDS", 0)  # their checksum asked every time
    Condition.objects.create(name="Myxoblastosis")
    assert "myxoblastosis" in expand.condition_words().words
    Condition.objects.filter(name="Myxoblastosis").update(name="Myxoblastesis")
    words = expand.condition_words().words
    assert "myxoblastesis" in words and "myxoblastosis" not in words


def test_a_correction_prefers_a_word_that_names_a_descriptor():
    # "diabetics" is closer in letters, "diabetes" names Diabetes Mellitus.
    assert expand._closest("diabetis", {"diabetic", "diabetics", "diabetes"}) == "diabetes"
    assert expand._closest("zzyzx", {"diabetes"}) is None


@pytest.mark.parametrize("word", ["diabetis", "alzhimers", "astma", "hypertensoin", "parkinsns", "metformine"])
def test_close_words_are_difflibs_closest_of_all_known_words(word):
    # Compared with the words sharing most letter pairs only, it finds what comparing with every word finds.
    everything = difflib.get_close_matches(word, vocabulary.known_words(), n=3, cutoff=expand.CORRECTION_CUTOFF)
    assert everything
    assert vocabulary.close_words(word, n=3, cutoff=expand.CORRECTION_CUTOFF) == everything


postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="facet tokens are PostgreSQL's")


@postgres_only
def test_a_trials_tokens_name_its_mesh_descriptors_after_import_and_after_a_staff_edit(records):
    trial = Trial.objects.get(nct_id="NCT00711542")
    filed = set(trial.mesh_terms.values_list("mesh_id", flat=True))
    # Assigned and ancestors, conditions and interventions: Myocardial Infarction and Heart Diseases.
    assert {"D009203", "D006331"} <= filed
    assert {token for token in trial.facet_tokens if token.startswith("D:")} == {
        facets.token(facets.MESH, ui).upper() for ui in filed
    }
    # A staff edit recomputes them from the stored rows.
    trial.mesh_terms.filter(mesh_id="D009203").delete()
    search.backend().update_vectors([trial.pk])
    trial.refresh_from_db()
    assert "D:D009203" not in trial.facet_tokens and "D:D006331" in trial.facet_tokens


def _plan_nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from _plan_nodes(child)


@postgres_only
def test_a_widened_search_matches_text_and_descriptor_on_the_search_index(records, monkeypatch):
    reading = search.read("heart attack", search.backend())
    widened = Trial.objects.filter(reading.q).order_by().values("pk")
    sql, params = widened.query.sql_with_params()
    with connection.cursor() as cursor:
        # A handful of trials: a sequential scan is cheaper, so the planner is told it is not
        # (at registry scale it is not), to show the index can answer the whole condition.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        nodes = list(_plan_nodes(cursor.fetchone()[0][0]["Plan"]))
    assert not [node for node in nodes if node["Node Type"] == "Seq Scan"]
    assert "BitmapOr" in {node["Node Type"] for node in nodes}
    # The phrase, the descriptor's token and its name: all three on the one GIN index.
    assert [node.get("Index Name") for node in nodes if node["Node Type"] == "Bitmap Index Scan"] == [
        "trials_trial_search_gin"
    ] * 3
    # The same trials as the descriptor's MeSH rows find.
    by_token = set(widened.values_list("nct_id", flat=True))
    monkeypatch.setattr(type(search.backend()), "has_facet_tokens", False)
    by_rows = Trial.objects.filter(search.read("heart attack", search.backend()).q)
    assert by_token == set(by_rows.values_list("nct_id", flat=True)) == {"NCT00711542", "NCT03840928"}


@postgres_only
def test_the_migration_writes_every_stored_trials_descriptor_tokens_a_batch_at_a_time(records, monkeypatch):
    migration = importlib.import_module("trials.migrations.0024_mesh_facet_tokens")
    expected = dict(Trial.objects.values_list("nct_id", "facet_tokens"))
    assert any("D:D009203" in tokens for tokens in expected.values())
    Trial.objects.update(facet_tokens=None)
    monkeypatch.setattr(migration, "BATCH", 2)  # five trials: three batches, the last one short
    with connection.schema_editor() as editor:
        migration.forwards(None, editor)
    assert dict(Trial.objects.values_list("nct_id", "facet_tokens")) == expected


RANKING = Path(__file__).parent / "data" / "ranking"


@pytest.mark.parametrize("exact", ["", "1"])
def test_a_trial_of_the_words_ranks_above_one_that_names_them_in_passing(client, exact):
    report = import_paths([RANKING])
    assert report.ok, report.failures
    # Found in the title and keywords of the one, the description of the other (with or without synonyms).
    assert found(client, q="lung cancer", exact=exact)[2] == ["NCT06230445", "NCT05838768"]
    backend = search.backend()
    ranks = dict(
        backend.ranked(backend.matching(Trial.objects.all(), "lung cancer"), "lung cancer", 10).values_list(
            "nct_id", "rank"
        )
    )
    # A match in the description only ranks below any in the title, conditions or interventions,
    # however the text ranking weighs them.
    assert ranks["NCT05838768"] < backend.head_rank <= ranks["NCT06230445"]


def test_a_word_of_a_condition_on_file_is_a_correction_as_soon_as_the_condition_is():
    assert search.correct("zorblaxitus") is None
    Condition.objects.create(name="Zorblaxitis Syndrome")
    assert search.correct("zorblaxitus") == ("zorblaxitis", [("zorblaxitus", "zorblaxitis")])
    # A word on file as it is is no misspelling.
    assert search.correct("zorblaxitis") is None


def test_correcting_several_words_reads_the_conditions_once(records, django_assert_num_queries):
    expand.condition_words()
    with django_assert_num_queries(1):
        assert search.correct("diabetis hypertensoin astma") is not None
