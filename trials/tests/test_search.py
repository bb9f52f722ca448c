"""The search page and its filters, on both backends (SQLite and PostgreSQL)."""

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from trials import db, listing, status
from trials.importers import import_paths
from trials.models import Trial
from trials.search import index_scans

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search")


@pytest.fixture
def registry(seed_trial, ctgov_data, test_data):
    report = import_paths([ctgov_data, test_data / "NCT90000002.txt", test_data / "NCT90000003.txt"])
    assert report.ok, report.failures
    return Trial.objects.count()


def search(client, **params):
    response = client.get(reverse("trials:list"), params)
    html = response.content.decode()
    found = re.findall(r'<span class="nct">(NCT\d{8})</span>', html)
    return response, html, found


def test_the_researchers_search(client, registry):
    # "Phase 2 randomized IL-2 trials completed since 2020"
    response, html, found = search(
        client, q="IL-2", phase="PHASE2", allocation="RANDOMIZED", status="COMPLETED", completion_from="2020-01-01"
    )
    assert response.status_code == 200
    assert found == ["NCT04133233"]
    assert "1 trial for" in html


def test_the_patients_search(client, registry):
    # "Recruiting bipolar depression trials near Paris for a 40-year-old woman"
    params = {"q": "bipolar depression", "status": ["RECRUITING", "NOT_YET_RECRUITING"], "city": "Paris"}
    _, _, found = search(client, **params, country="France", age=40, sex="FEMALE")
    assert found == ["NCT90000003"]
    assert search(client, **params, age=60)[2] == []
    assert search(client, **params, age=40, sex="MALE")[2] == []
    assert search(client, **{**params, "city": "Lyon"}, age=40)[2] == []


def test_text_search_syntax(client, registry):
    assert "NCT04133233" in search(client, q='"low dose" il-2 -cancer')[2]
    assert "NCT04133233" not in search(client, q='"low dose" il-2 -bipolar')[2]
    either = set(search(client, q="bipolar OR diabetes")[2])
    assert {"NCT04133233", "NCT90000003"} <= either
    assert len(either) > 2
    # A backslash is a character like any other, not the start of an escape.
    for text in ("\\", "il-2\\", "bipolar \\ disorder"):
        response, _, _ = search(client, q=text)
        assert response.status_code == 200
    if connection.vendor == "postgresql":  # full text leaves punctuation out; substrings keep it
        assert "NCT04133233" in search(client, q="bipolar\\")[2]


def test_an_nct_id_jumps_to_the_trial(client, registry):
    response = client.get(reverse("trials:list"), {"q": "nct04133233"})
    assert response.status_code == 302
    assert response["Location"] == reverse("trials:detail", args=["NCT04133233"])


def test_filters_combine_and_show_in_the_url(client, registry):
    _, html, found = search(client, status="RECRUITING", phase="PHASE3")
    stored = Trial.objects.filter(overall_status="RECRUITING", phases__regex=r"(^|,)PHASE3(,|$)").exclude(
        status.lapsed()
    )
    assert sorted(found) == sorted(stored.values_list("nct_id", flat=True)[:25])
    assert 'value="RECRUITING" id="status-RECRUITING" checked' in html
    assert "status=RECRUITING" in html  # export and paging links keep the filters


def test_status_and_phase_counts_for_the_current_query(client, registry):
    _, html, _ = search(client, q="diabetes")
    matching = Trial.objects.filter(nct_id__in=search(client, q="diabetes", sort="updated")[2])
    completed = matching.filter(overall_status="COMPLETED").count()
    assert f'<label for="status-COMPLETED">Completed <span class="count">({completed})</span>' in html


def test_facets_show_counts_only_when_they_were_counted(client, registry, monkeypatch):

    _, html, _ = search(client, q="zzyzx")
    assert '<label for="status-RECRUITING">Recruiting <span class="count">(0)</span>' in html
    assert '<label for="phase-PHASE2">Phase 2 <span class="count">(0)</span>' in html
    # Too many matches to count: no facet says "(0)" for phases it did not count.
    monkeypatch.setattr(listing, "COUNT_LIMIT", 3)
    _, html, found = search(client, q="diabetes")
    assert len(found) > 3
    assert '<span class="count">' not in html


def test_sorting_by_enrollment(client, registry):
    _, _, found = search(client, sort="enrollment")
    counts = [Trial.objects.get(nct_id=nct_id).enrollment_count or -1 for nct_id in found]
    assert counts == sorted(counts, reverse=True)


def test_snippets_highlight_the_matches(client, registry):
    _, html, _ = search(client, q="erenumab")
    assert re.search(r"<mark>[Ee]renumab</mark>", html)


def test_a_misspelled_condition_finds_the_close_match(client, registry):
    _, html, found = search(client, condition="diabetis")
    assert found
    assert "Diabetes" in re.search(r'<p class="notice">(.*?)</p>', html, re.S).group(1)


def test_a_misspelling_is_corrected_when_counting_gives_up(client, registry, monkeypatch):
    # Under load a count may give up (``within_time`` answers None): an empty first page still
    # says that nothing matched, so the misspelled word is corrected.
    monkeypatch.setattr(listing, "within_time", lambda query: None)
    response, html, found = search(client, q="diabetis")
    assert response.status_code == 200
    assert found
    assert "Showing results for <strong>diabetes</strong>" in html


@pytest.mark.skipif(connection.vendor != "postgresql", reason="only PostgreSQL counts within a time limit")
def test_a_count_that_gives_up_is_an_estimate_not_more_than_the_limit(client, registry, monkeypatch):
    # Under load the count gives up on a search the planner expects few trials for: the heading must not
    # claim "More than 2,000"; it gives the estimate, at least as many as the page shows.
    monkeypatch.setattr(listing, "within_time", lambda query: None)
    monkeypatch.setattr(listing, "estimate", lambda queryset: 3)
    response, html, found = search(client, status="COMPLETED")
    assert response.status_code == 200 and len(found) == listing.TRIALS_PER_PAGE
    heading = re.search(r'<h2 id="results-heading">(.*?)</h2>', html, re.S).group(1)
    assert heading.startswith(f"About {listing.TRIALS_PER_PAGE + 1} trials"), heading


def test_a_first_page_that_is_not_full_is_the_count(client, registry):
    with CaptureQueriesContext(connection) as queries:
        _, html, found = search(client, q="erenumab")
    assert 0 < len(found) < listing.TRIALS_PER_PAGE
    assert f'<h2 id="results-heading">{len(found)} trial' in html
    assert not [query["sql"] for query in queries if query["sql"].startswith("SELECT COUNT(*)")]


def test_a_search_counts_its_trials_and_their_facets_in_one_query(client, registry, monkeypatch):
    # The facets count the heading's trials: counting them and then each facet matched the text twice.
    monkeypatch.setattr(listing, "TRIALS_PER_PAGE", 2)  # a full first page: the count is not on it
    with CaptureQueriesContext(connection) as queries:
        _, html, found = search(client, q="diabetes")
    assert len(found) == 2
    count = int(re.search(r'<h2 id="results-heading">(\d+) trials', html).group(1))
    shown = re.findall(r'<label for="status-\w+">[^<]*<span class="count">\((\d+)\)</span>', html)
    assert count > 2 and sum(int(number) for number in shown) == count
    assert not [query["sql"] for query in queries if query["sql"].startswith("SELECT COUNT(*)")]


def test_a_text_that_finds_nothing_reads_no_page_and_a_known_count_is_not_asked_again(client, registry):
    # "zzyzxq" is a word no trial has and none is close to: the probe that found nothing is its count.
    with CaptureQueriesContext(connection) as queries:
        _, html, found = search(client, q="zzyzxq")
    assert found == [] and "0 trials for" in html
    reads = [
        query["sql"] for query in queries if query["sql"].startswith("SELECT") and '"trials_trial"' in query["sql"]
    ]
    assert len(reads) == 1 and '"trials_trial"."nct_id"' not in reads[0]
    # A text with an unknown word that finds trials: its grouped count says so, no probe beside it.
    with CaptureQueriesContext(connection) as queries:
        _, _, found = search(client, q="diabetes zzyzxq OR diabetes")
    assert found
    assert not [
        query["sql"]
        for query in queries
        if re.search(r"LIMIT \d+$", query["sql"]) and "COUNT" not in query["sql"] and '"nct_id"' not in query["sql"]
    ]


@postgres_only
def test_a_texts_matches_are_read_through_the_index_and_the_setting_restored(db):
    def seqscan() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW enable_seqscan")
            return cursor.fetchone()[0]

    with index_scans():
        assert seqscan() == "off"
        with index_scans():
            assert seqscan() == "off"
        assert seqscan() == "off"
    assert seqscan() == "on"


def test_an_empty_result_suggests_what_to_loosen(client, registry):
    _, html, found = search(client, q="bipolar", status="WITHDRAWN")
    assert found == []
    assert "Remove Status: Withdrawn" in html


def test_a_condition_no_trial_has_finds_nothing(client, seed_trial):
    # No condition is named like it, so the filter matches nothing before any
    # query runs: there is no plan to estimate from either.
    response, html, found = search(client, condition="0")
    assert response.status_code == 200
    assert found == []
    assert "No trials match" in html


@pytest.mark.parametrize(
    "params",
    [
        {"status": "FINISHED"},
        {"age": "abc"},
        {"age": "-4"},
        {"start_from": "2022-01-01", "start_to": "2020-01-01"},
        {"updated_since": "yesterday"},
        {"page": "99"},
        {"page": "x"},
        {"sex": "OTHER"},
    ],
)
def test_invalid_filters_get_a_message_and_a_400(client, registry, params):
    response, html, _ = search(client, **params)
    assert response.status_code == 400
    assert 'role="alert"' in html


def test_exports_of_the_current_results(client, registry):
    rows = list(csv.reader(io.StringIO(client.get(reverse("trials:export_csv"), {"q": "diabetes"}).content.decode())))
    assert rows[0][0] == "NCT Number"
    assert {row[0] for row in rows[1:]} == set(search(client, q="diabetes", sort="updated")[2])
    body = client.get(reverse("trials:export_json"), {"status": "RECRUITING"}).json()
    assert body["totalCount"] == Trial.objects.filter(overall_status="RECRUITING").exclude(status.lapsed()).count()
    assert all(s["protocolSection"]["statusModule"]["overallStatus"] == "RECRUITING" for s in body["studies"])
    assert client.get(reverse("trials:export_csv"), {"age": "old"}).status_code == 400


def test_an_export_by_relevance_holds_every_match_not_only_the_ranked_ones(client, registry, monkeypatch):
    from trials import search as search_module

    monkeypatch.setattr(search_module, "RANK_CANDIDATES", 2)
    body = client.get(reverse("trials:export_json"), {"q": "diabetes"}).json()
    exported = [study["protocolSection"]["identificationModule"]["nctId"] for study in body["studies"]]
    assert body["totalCount"] > 2
    assert len(exported) == len(set(exported)) == body["totalCount"]
    assert set(exported) == set(search(client, q="diabetes", sort="updated")[2])
    # The best two first, as the page ranks them.
    assert exported[:2] == search(client, q="diabetes")[2]


def test_the_list_page_takes_a_fixed_number_of_queries(client, registry, django_assert_max_num_queries):
    for params in (
        {},
        {"q": "diabetes"},
        {"q": "cancer", "status": "COMPLETED", "age": 50, "country": "United States"},
    ):
        # On PostgreSQL the count and two facets run under a time limit: inside a caller's
        # transaction (here the test's) a savepoint and a release around each, 6 statements
        # more (the limit is set on the driver's connection, uncounted). The first page also
        # reads the country picker's list, kept an hour; a text, the other names the records
        # give its phrases (brand and generic), each time the text is read.
        with django_assert_max_num_queries(19 if connection.vendor == "postgresql" else 12):
            assert client.get(reverse("trials:list"), params).status_code == 200


@postgres_only
def test_postgres_ranks_title_matches_first(client, registry):
    _, _, found = search(client, q="diabetes")
    first = Trial.objects.get(nct_id=found[0])
    assert "diabetes" in first.brief_title.lower()


@postgres_only
def test_postgres_search_ignores_accents_and_stems(client, registry):
    assert "NCT04133233" in search(client, q="hopitaux")[2]
    # "reduces" in the summary, "erenumab" in title and interventions: found through their stems.
    assert search(client, q="erenumabs reducing")[2] == ["NCT90000003"]


@postgres_only
def test_admin_edits_keep_the_search_vector_current(seed_trial):
    from trials import search as search_module

    seed_trial.brief_title = "Zygomatic arch repair"
    seed_trial.save()
    search_module.backend().update_vectors([seed_trial.pk])
    assert list(
        search_module.backend().matching(Trial.objects.all(), "zygomatic").values_list("nct_id", flat=True)
    ) == ["NCT04133233"]


def test_past_the_count_limit_the_estimate_is_shown_without_facets(client, registry, monkeypatch):

    completed = Trial.objects.filter(overall_status="COMPLETED").count()
    assert completed > 5
    _, html, found = search(client, status="COMPLETED")
    assert f"{completed} trials" in html and 'Completed <span class="count">' in html
    monkeypatch.setattr(listing, "COUNT_LIMIT", 5)
    # Pages of five: a first page that is not full would give the count itself.
    monkeypatch.setattr(listing, "TRIALS_PER_PAGE", 5)
    _, html, found = search(client, status="COMPLETED")
    if connection.vendor == "postgresql":
        # The planner's estimate of the matches, said to be one.
        estimated = int(re.search(r"About ([\d,]+) trials", html).group(1).replace(",", ""))
        assert completed / 2 <= estimated <= completed * 2
    else:
        # No estimate: as many as were counted.
        assert f"{completed} trials" in html
    assert len(found) == 5
    assert 'for="status-COMPLETED">Completed</label>' in html  # no count beside it


@postgres_only
def test_the_estimate_alone_answers_when_the_planner_expects_very_many(client, registry, monkeypatch):

    monkeypatch.setattr(listing, "CONFIDENT_ESTIMATE", 1)
    monkeypatch.setattr(listing, "TRIALS_PER_PAGE", 2)  # a full first page: the count is not on it
    counts = []
    monkeypatch.setattr(listing, "within_time", lambda query: counts.append(query) or query())
    _, html, found = search(client, status="COMPLETED")
    assert "About " in html and found
    assert counts == []  # nothing was counted


@postgres_only
def test_a_page_past_the_end_of_an_estimate_is_a_clear_400(client, registry, monkeypatch):

    completed = Trial.objects.filter(overall_status="COMPLETED").count()
    monkeypatch.setattr(listing, "COUNT_LIMIT", 1)
    monkeypatch.setattr(listing, "estimate", lambda queryset: 10 * completed + 100)
    response, html, _ = search(client, status="COMPLETED", page=(completed // 25) + 5)
    assert response.status_code == 400
    assert "the results have fewer pages" in html


def test_relevance_ranking_pages_through_its_candidates(client, registry, monkeypatch):
    from trials import search as search_module

    monkeypatch.setattr(search_module, "RANK_CANDIDATES", 2)
    _, html, found = search(client, q="diabetes")
    assert len(found) == 2
    assert "sort by last update to go through all of them" in html
    assert len(search(client, q="diabetes", sort="updated")[2]) > 2


def test_facets_count_every_match_not_only_the_ranked_ones(registry, monkeypatch):
    from django.http import QueryDict

    from trials import search as search_module

    monkeypatch.setattr(search_module, "RANK_CANDIDATES", 2)
    results = listing.search_trials(QueryDict("q=diabetes"), page_number=None)
    assert results.count > 2
    assert sum(results.status_counts.values()) == results.count


@postgres_only
def test_facet_tokens_written_on_import_equal_those_made_from_the_stored_rows(registry):
    from trials.search import FACETS_FROM_ROWS

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.nct_id FROM trials_trial AS t WHERE t.facet_tokens IS DISTINCT FROM {FACETS_FROM_ROWS}"
        )
        assert cursor.fetchall() == []
    tokens = Trial.objects.get(nct_id="NCT04133233").facet_tokens
    assert {"S:COMPLETED", "P:PHASE2", "T:INTERVENTIONAL", "X:FEMALE", "X:MALE", "N:FRANCE", "M:FRANCE|CRÉTEIL"} <= set(
        tokens
    )


FILTER_CASES = [
    {"status": ["RECRUITING", "COMPLETED"]},
    {"phase": ["PHASE1"]},
    {"phase": ["EARLY_PHASE1", "PHASE4"]},
    {"study_type": ["OBSERVATIONAL"]},
    {"allocation": ["RANDOMIZED"]},
    {"sponsor_class": ["INDUSTRY", "NIH"]},
    {"sex": "FEMALE"},
    {"sex": "MALE"},
    {"healthy_volunteers": "yes"},
    {"healthy_volunteers": "no"},
    {"has_results": "yes"},
    {"country": "united states"},
    {"city": "PARIS"},
    {"country": "France", "city": "paris"},
    {"intervention": "Drug"},
    {"condition": "diabetes"},
    {"condition": "bipolr"},
    {"q": "cancer", "status": "COMPLETED", "phase": "PHASE3"},
    {"q": "study", "sex": "MALE", "healthy_volunteers": "no", "has_results": "no", "allocation": "RANDOMIZED"},
]


@postgres_only
@pytest.mark.parametrize("params", FILTER_CASES)
def test_filters_on_facet_tokens_find_what_the_columns_find(registry, params, monkeypatch):
    from django.http import QueryDict

    from trials import search as search_module
    from trials.filters import TrialFilter

    data = QueryDict(mutable=True)
    for name, value in params.items():
        data.setlist(name, value if isinstance(value, list) else [value])

    def found() -> list[str]:
        filterset = TrialFilter(data, queryset=Trial.objects.all())
        assert filterset.is_valid(), filterset.errors
        filterset.qs  # noqa: B018 - runs the filters
        return sorted(filterset.matches.values_list("nct_id", flat=True))

    on_tokens = found()
    # With a text every filter is on tokens; without one, those of joined rows.
    assert ('"facet_tokens" &&' in str(TrialFilter(data, queryset=Trial.objects.all()).qs.query)) == (
        "q" in params or {"country", "city", "condition", "intervention", "sponsor_class"} & set(params) != set()
    )
    monkeypatch.setattr(search_module.PostgresBackend, "has_facet_tokens", False)
    assert on_tokens == found()
    assert on_tokens or params in ({"phase": ["EARLY_PHASE1", "PHASE4"]},)


@postgres_only
def test_a_staff_edit_updates_the_facet_tokens(seed_trial):
    from trials import search as search_module

    seed_trial.overall_status = "SUSPENDED"
    seed_trial.save()
    search_module.backend().update_vectors([seed_trial.pk])
    seed_trial.refresh_from_db()
    assert "S:SUSPENDED" in seed_trial.facet_tokens and "S:COMPLETED" not in seed_trial.facet_tokens


def test_a_page_read_by_its_ids_first_holds_the_trials_of_that_page(client, registry):
    ordered = list(Trial.objects.order_by(*Trial._meta.ordering).values_list("nct_id", flat=True))
    assert len(ordered) > 50
    assert search(client)[2] == ordered[:25]
    assert search(client, page=2)[2] == ordered[25:50]
    completed = [nct_id for nct_id in ordered if Trial.objects.get(nct_id=nct_id).overall_status == "COMPLETED"]
    assert len(completed) > 25  # page 2 holds some
    assert search(client, status="COMPLETED", page=2)[2] == completed[25:50]


@postgres_only
@pytest.mark.django_db
def test_a_counts_time_limit_ends_with_the_count():
    # Inside a caller's transaction (here the test's), a limit set for the
    # transaction would outlive the count's savepoint and cut short whatever
    # the caller runs next.
    def timeout() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            return cursor.fetchone()[0]

    before = timeout()
    assert db.within_time(Trial.objects.count) == 0
    assert timeout() == before != f"{db.COUNT_TIMEOUT_MS}ms"
