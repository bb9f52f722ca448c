"""More related trials: computed, explained, kept current, and served on the tab and the API."""

import math
import re
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.urls import reverse

from trials import related, status
from trials.importers import SEED_DOCUMENT, import_paths
from trials.models import SimilarTrial, Trial
from trials.related import incremental, lists, scoring, store
from trials.templatetags import related_tags

RELATED_DATA = Path(__file__).resolve().parent / "data" / "related"
SEED_TOPICS = re.compile(r"bipolar|depress|interleukin[- ]?2|\bil-?2\b", re.IGNORECASE)
NEWCOMER = "NCT00661115"  # a vardenafil trial for erectile dysfunction, imported last


def similar_ids(nct_id: str) -> list[str]:
    return list(SimilarTrial.objects.filter(trial__nct_id=nct_id).values_list("other__nct_id", flat=True))


@pytest.fixture
def registry(db, ctgov_data):
    # The other real records make the background: how common a condition or a word is.
    files = [path for path in sorted(RELATED_DATA.glob("*.json")) if path.stem != NEWCOMER]
    report = import_paths([ctgov_data, *files, SEED_DOCUMENT])
    assert report.ok, report.failures
    related.after_import(report.changed)
    return Trial.objects.in_bulk(field_name="nct_id")


def test_the_seeds_more_related_trials_all_concern_its_topic(registry):
    seed = registry["NCT04133233"]
    listed = {item.nct_id for item in seed.related_trials.all()}
    found = SimilarTrial.objects.filter(trial=seed).select_related("other")
    assert len(found) >= 5
    for item in found:
        other = item.other
        assert other.nct_id != seed.nct_id and other.nct_id not in listed
        assert item.score >= related.MIN_SCORE
        assert SEED_TOPICS.search(" ".join([other.brief_title, *other.condition_names, *other.keywords])), other.nct_id
    # The seed has no conditions of its own: "Depressive Episode" in its title meets MeSH Depression.
    assert "Same condition: Depression" in found[0].reasons


def test_reasons_name_the_signals_that_matched(registry):
    found = SimilarTrial.objects.get(trial__nct_id="NCT00661596", other__nct_id="NCT00661297")
    assert found.reasons[0] == "Same condition: Erectile Dysfunction"
    assert found.reasons[1].startswith("Same intervention: ") and "Vardenafil" in found.reasons[1]
    assert "Same phase: Phase 3" in found.reasons
    # An unrelated trial is never offered just to fill the list.
    assert not SimilarTrial.objects.filter(trial__nct_id="NCT00661596", other__nct_id="NCT02387086").exists()


def test_importing_a_closer_trial_updates_existing_lists_without_a_rebuild(registry):
    assert NEWCOMER not in similar_ids("NCT00661596")
    with mock.patch.object(related.full, "rebuild", side_effect=AssertionError("a full rebuild")):
        report = import_paths([RELATED_DATA / f"{NEWCOMER}.json"])
        related.after_import(report.changed)
    assert report.changed == [NEWCOMER]
    assert NEWCOMER in similar_ids("NCT00661596")
    assert "NCT00661596" in similar_ids(NEWCOMER)
    # A rebuild from scratch agrees (other trials' weights may shift a little with the new counts).
    call_command("compute_related", "--all", "--no-progress")
    assert NEWCOMER in similar_ids("NCT00661596") and "NCT00661596" in similar_ids(NEWCOMER)


def test_a_condition_studied_in_a_population_lists_that_condition_first_and_the_population_alone_last(registry):
    # Stem cells for erectile function in men with diabetes: the diabetes trials on file share only its population.
    query = "NCT02745808"
    erectile = {"NCT02579148", "NCT02945462", "NCT00661596", "NCT00661297", "NCT00658177", "NCT00665054"}
    diabetes_only = {"NCT03929601", "NCT03941132"}

    def listed() -> list[SimilarTrial]:
        return list(SimilarTrial.objects.filter(trial__nct_id=query).select_related("other"))

    for found in (listed(), None):
        if found is None:  # the same after a refresh, which reads the stored index
            related.refresh([registry[query].id])
            found = listed()
        ids = [item.other.nct_id for item in found]
        assert ids[0] == "NCT02579148"
        assert found[0].reasons[0] == "Same condition: Erectile Dysfunction"
        assert found[0].reasons[1].startswith("Same population: Diabetes Mellitus")
        assert found[0].tier == scoring.Tier.BOTH
        shown_erectile = [index for index, nct_id in enumerate(ids) if nct_id in erectile]
        shown_diabetes = [index for index, nct_id in enumerate(ids) if nct_id in diabetes_only]
        assert len(shown_erectile) >= 3
        assert not shown_diabetes or min(shown_diabetes) > max(shown_erectile)
        # The tab shows them in that order: by tier, then score.
        shown = related.related_trials(Trial.objects.for_detail().get(nct_id=query)).more
        assert [item.other.nct_id for item in shown] == ids[: related.SHOWN]
        for item in found:
            if item.other.nct_id in diabetes_only:
                assert item.tier == scoring.Tier.POPULATION_ONLY
                assert item.reasons[0].startswith("Same population only: ")


def test_the_condition_the_intervention_treats_is_the_subject_though_the_list_and_title_name_it_second(registry):
    # "Testosterone Therapy and Bone Quality in Men With Diabetes and Hypogonadism" lists type 2 diabetes first.
    query = "NCT03887936"
    hypogonadism = {"NCT02514629", "NCT00421460", "NCT01123278", "NCT00244023", "NCT01419236", "NCT00848497"}
    with mock.patch.object(related.full, "rebuild", side_effect=AssertionError("a full rebuild")):
        report = import_paths(sorted((RELATED_DATA / "hypogonadism").glob("*.json")))
        related.after_import(report.changed)
    assert report.ok and query in report.changed
    for rebuilt in (False, True):
        if rebuilt:  # a rebuild from scratch agrees with the refresh after the import
            call_command("compute_related", "--all", "--no-progress")
        found = list(SimilarTrial.objects.filter(trial__nct_id=query).select_related("other"))
        top = [item.other.nct_id for item in found[:5]]
        assert set(top) <= hypogonadism, top
        assert all(item.reasons[0] == "Same condition: Hypogonadism" for item in found[:5])
        # The diabetes trials on file share only the population: listed, if at all, as that.
        for item in found:
            assert item.reasons[0] == "Same condition: Hypogonadism" or item.tier == scoring.Tier.POPULATION_ONLY


def test_a_trial_whose_main_condition_no_other_has_lists_those_sharing_its_population(registry):
    query = "NCT06297239"  # a registry of lipoprotein(a) in people with hypercholesterolemia and more
    with mock.patch.object(related.full, "rebuild", side_effect=AssertionError("a full rebuild")):
        report = import_paths(sorted((RELATED_DATA / "population-only").glob("*.json")))
        related.after_import(report.changed)
    assert report.ok and query in report.changed
    lists = {}
    for rebuilt in (False, True):
        if rebuilt:  # a rebuild from scratch agrees with the refresh after the import
            call_command("compute_related", "--all", "--no-progress")
        found = list(SimilarTrial.objects.filter(trial__nct_id=query).select_related("other"))
        lists[rebuilt] = [item.other.nct_id for item in found]
        assert "NCT05923281" in lists[rebuilt]
        # Each scores under the minimum and says what it shares: the population alone.
        for item in found:
            assert item.tier == scoring.Tier.POPULATION_ONLY and item.score < related.MIN_SCORE
            assert item.reasons[0].startswith("Same population only: "), item.reasons
    assert lists[False] == lists[True]
    # Where another trial studies the main condition, the population alone does not fill (the hypogonadism test).
    assert scoring.population_condition(
        ["c:lp a", "c:hypercholesterolemia", "p:c:hypercholesterolemia", "m:D006937", "p:m:D006937"],
        {"c:lp a": "Lp(A)", "c:hypercholesterolemia": "Hypercholesterolemia", "m:D006937": "Hypercholesterolemia"},
    ) == ("c:hypercholesterolemia", "m:D006937")


def test_a_condition_s_name_is_read_against_mesh_entry_terms():
    assert store._entry_terms("Chronic Kidney Disease and Hypertension") == (
        ("D051436", "chronic kidney disease"),
        ("D006973", "hypertension"),
    )
    # Not by a word that says nothing alone.
    assert store._entry_terms("Blastic Plasmacytoid Dendritic Cell Neoplasm") == ()


def test_the_related_tab_explains_each_trial(client, registry):
    html = client.get(reverse("trials:related", args=["NCT04133233"])).content.decode()
    more = html.split('id="similar-heading"')[1]
    first = SimilarTrial.objects.filter(trial=registry["NCT04133233"]).select_related("other").first()
    assert f'href="{reverse("trials:detail", args=[first.other.nct_id])}"' in more
    assert " · ".join(first.reasons) in more


def test_a_closed_trial_offers_similar_ones_a_patient_could_join(client, registry):
    url = reverse("trials:related", args=["NCT00661596"])

    def recruiting_now() -> str:
        html = client.get(url).content.decode()
        return html.split('id="recruiting-heading"')[1] if 'id="recruiting-heading"' in html else ""

    assert "NCT00661297" not in recruiting_now()
    # A similar trial opens (as an update of its record would say).
    Trial.objects.filter(nct_id="NCT00661297").update(
        overall_status="RECRUITING", status_verified_date=status.month_back(status.today(), 0)
    )
    call_command("compute_related", "NCT00661297")
    recruiting = recruiting_now()
    assert "NCT00661297" in recruiting
    assert "NCT00658177" not in recruiting  # similar too, but completed


def test_a_trial_with_nothing_similar_says_so(client, db):
    report = import_paths([RELATED_DATA / "NCT00661596.json", RELATED_DATA / "NCT02387086.json"])
    related.after_import(report.changed)
    html = client.get(reverse("trials:related", args=["NCT00661596"])).content.decode()
    assert "No other trial on file is similar enough to list" in html
    assert 'id="recruiting-heading"' not in html


def test_the_related_api_gives_the_same_lists(client, registry):
    response = client.get("/api/v2/studies/NCT04133233/related")
    assert response.status_code == 200
    body = response.json()
    assert body["nctId"] == "NCT04133233"
    assert [item["nctId"] for item in body["listed"]][:2] == ["NCT03396744", "NCT01383967"]
    assert body["listed"][0]["onFile"] is False
    stored = list(SimilarTrial.objects.filter(trial=registry["NCT04133233"]).select_related("other")[:10])
    assert [item["nctId"] for item in body["moreRelated"]] == [item.other.nct_id for item in stored]
    first = body["moreRelated"][0]
    assert set(first) == {"nctId", "briefTitle", "overallStatus", "phases", "score", "reasons"}
    assert first["reasons"] == stored[0].reasons
    assert {item["overallStatus"] for item in body["recruitingNow"]} <= {"RECRUITING", "NOT_YET_RECRUITING"}
    assert client.get("/api/v2/studies/NCT09999999/related").status_code == 404
    assert client.get("/api/v2/studies/NCT04133233/related?page=2").status_code == 400


def test_compute_related_names_unknown_trials(registry):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="NCT09999999"):
        call_command("compute_related", "NCT09999999")
    with pytest.raises(CommandError):
        call_command("compute_related")
    call_command("compute_related", "nct00661596")
    assert similar_ids("NCT00661596")


def test_a_trial_whose_main_condition_five_others_share_lists_five(registry):
    space = related.load_space()
    nct_of = {trial.id: nct_id for nct_id, trial in registry.items()}
    counts = dict.fromkeys(registry, 0)
    for nct_id in SimilarTrial.objects.values_list("trial__nct_id", flat=True):
        counts[nct_id] += 1
    shared = [
        nct_of[space.trial_ids[row]]
        for row in range(len(space.trial_ids))
        if len(space.sharing_main_condition(row)) >= related.COVERAGE
    ]
    assert len(shared) > 40
    assert {nct_id: counts[nct_id] for nct_id in shared if counts[nct_id] < related.COVERAGE} == {}
    # A cluster-headache trial: a cluster-headache trial scoring under the minimum still fills its list.
    filled = SimilarTrial.objects.get(trial__nct_id="NCT00203242", other__nct_id="NCT00205894")
    assert filled.score < related.MIN_SCORE
    assert filled.reasons[0] == "Same condition: Cluster Headache"


def test_a_refresh_fills_a_short_list_as_the_rebuild_does(registry):
    def lists(trial_ids) -> dict[int, set[int]]:
        found = {trial_id: set() for trial_id in trial_ids}
        for trial_id, other_id in SimilarTrial.objects.filter(trial_id__in=trial_ids).values_list(
            "trial_id", "other_id"
        ):
            found[trial_id].add(other_id)
        return found

    # The lists the rebuild filled from their main condition: some of their trials score under the minimum.
    filled = sorted(set(SimilarTrial.objects.filter(score__lt=related.MIN_SCORE).values_list("trial_id", flat=True)))
    assert len(filled) > 10
    rebuilt = lists(filled)
    with mock.patch.object(related.full, "rebuild", side_effect=AssertionError("a full rebuild")):
        for trial_id in filled:
            related.refresh([trial_id])
    refreshed = lists(filled)
    assert {t: others for t, others in refreshed.items() if others != rebuilt[t]} == {}
    filled_one = SimilarTrial.objects.get(trial__nct_id="NCT00203242", other__nct_id="NCT00205894")
    assert filled_one.score < related.MIN_SCORE
    assert filled_one.reasons[0] == "Same condition: Cluster Headache"


def test_a_trial_saved_later_fills_the_short_lists_of_its_main_condition(registry):
    # The cluster-headache trial's list was filled with one scoring under the minimum; as if that one came later:
    short, later = registry["NCT00203242"], registry["NCT00205894"]
    SimilarTrial.objects.filter(trial=short, other=later).delete()
    assert later.nct_id not in similar_ids(short.nct_id)
    with mock.patch.object(related.full, "rebuild", side_effect=AssertionError("a full rebuild")):
        related.refresh([later.id])
    filled = SimilarTrial.objects.get(trial=short, other=later)
    assert filled.score < related.MIN_SCORE
    assert filled.reasons[0] == "Same condition: Cluster Headache"


def test_a_refresh_of_a_record_without_mesh_terms_lists_what_the_rebuild_lists(registry, monkeypatch):
    # A page document or a staff entry has no MeSH terms: its conditions are read against the terms on file.
    bare = list(Trial.objects.exclude(mesh_terms__domain="CONDITION").order_by("nct_id").values_list("id", "nct_id"))
    assert "NCT04133233" in {nct_id for _, nct_id in bare}
    call_command("compute_related", "--all", "--no-progress")
    rebuilt = {nct_id: similar_ids(nct_id) for _, nct_id in bare}
    # As another process would: the terms it reads the records against are the ones the rebuild stored.
    monkeypatch.setattr(store, "_mesh_cache", (-math.inf, [], {}))
    stored = dict(store.condition_mesh_names())
    assert stored == store.condition_mesh_names(fresh=True)
    monkeypatch.setattr(store, "_mesh_cache", (-math.inf, [], {}))
    monkeypatch.setattr(store, "_known_cache", None)
    with mock.patch.object(related.full, "rebuild", side_effect=AssertionError("a full rebuild")):
        for trial_id, _ in bare:
            related.refresh([trial_id])
    assert {nct_id: similar_ids(nct_id) for _, nct_id in bare} == rebuilt
    assert "Same condition: Depression" in SimilarTrial.objects.filter(trial__nct_id="NCT04133233").first().reasons


def test_a_refresh_fills_from_the_trials_the_rebuild_fills_from(registry):
    # Those that study the trial's main condition; those listing it for their population only when few study it.
    space = related.load_space()
    nct_of = {trial.id: nct_id for nct_id, trial in registry.items()}
    ids = set(space.trial_ids)
    listed = incremental._listed_between(ids, set(), incremental._trial_facts(ids))
    vectors = incremental._stored_vectors(ids)
    differ = {}
    for item in store.load_features(space.trial_ids):
        row = space.trial_ids.index(item.trial_id)
        rebuilt = {space.trial_ids[match.other_id] for match in space.fillers(row)}
        rebuilt = {other for other in rebuilt if (item.trial_id, other) not in listed}
        aspect = incremental._aspects_of({item.trial_id: item.counts}, {}, item.labels).get(item.trial_id)
        found = incremental._fillers(item.trial_id, vectors[item.trial_id], item, aspect, listed)[0]
        if {match.other_id for match in found} != rebuilt:
            differ[nct_of[item.trial_id]] = sorted(nct_of[other] for other in rebuilt ^ {m.other_id for m in found})
    assert differ == {}


def test_the_other_tabs_point_to_recruiting_trials_by_the_related_tabs_own_rule(
    registry, monkeypatch, django_assert_num_queries
):
    Trial.objects.filter(nct_id="NCT00661297").update(
        overall_status="RECRUITING", status_verified_date=status.month_back(status.today(), 0)
    )
    call_command("compute_related", "NCT00661297")
    closed, opened = (Trial.objects.for_detail().get(nct_id=nct_id) for nct_id in ("NCT00661596", "NCT00661297"))
    assert [item.other.nct_id for item in related.related_trials(closed).recruiting] == ["NCT00661297"]
    with django_assert_num_queries(1):
        assert related_tags.recruiting_alternatives(closed) is True
    with django_assert_num_queries(0):
        assert related_tags.recruiting_alternatives(opened) is False
    # One rule: were it to take none, the tab would list none and no other tab would point there.
    monkeypatch.setattr(lists, "recruiting_now", lambda trial, similar: [])
    assert related.related_trials(closed).recruiting == []
    assert related_tags.recruiting_alternatives(closed) is False
