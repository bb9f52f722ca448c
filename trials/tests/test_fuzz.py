"""Hostile and random input: no 5xx, nothing reflected unescaped, nothing half-saved."""

import json
import random
import re
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trials.api.advanced import PIECES
from trials.api.aggregations import AGG_FILTERS
from trials.ctgov import StudyError, study_to_record
from trials.ctgov.records import RecordError
from trials.importers import import_paths
from trials.importers.page import DocumentError, parse_page
from trials.importers.writer import save_record
from trials.models import Site, Trial

pytestmark = pytest.mark.django_db

HOSTILE = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            '"><img src=x onerror=alert(1)>',
            "' OR 1=1 --",
            "'; DROP TABLE trials_trial; --",
            "%00",
            "\x00",
            "NCT",
            "-1",
            "1e308",
            str(10**30),
            "9" * 5000,
            "２０２０-01-01",
            "\u202eevil",
            "AREA[LastUpdatePostDate]RANGE[2023-01-15,MAX]",
            '"unbalanced',
            "OR OR AND NOT -",
            "trailing\\",
            "# not a comment",
        ]
    ),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
)
LIST_PARAMETERS = [
    "q", "status", "phase", "study_type", "allocation", "condition", "intervention", "sponsor", "sponsor_class",
    "country", "city", "age", "sex", "healthy_volunteers", "has_results", "start_from", "start_to",
    "completion_from", "completion_to", "updated_since", "sort", "page", "exact", "near", "within",
]  # fmt: skip
# Words that widen a search or get corrected, for hostile texts to surround.
EVERYDAY_WORDS = st.sampled_from(
    ["heart attack", "Heart Attacks", "bowel cancer", "alzheimer's", "alzheimers", "diabetis", "flu", "-flu",
     '"heart attack"', "OR", "NOT", "lung", "cancer", "ſtroke", "ALZHEIMERS'S", "'s"]
)  # fmt: skip
API_PARAMETERS = [
    "query.term", "query.cond", "query.intr", "query.locn", "query.spons", "filter.overallStatus", "filter.ids",
    "sort", "countTotal", "pageSize", "pageToken", "format", "markupFormat", "fields", "filter.advanced",
    "postFilter.advanced", "aggFilters", "filter.synonyms", "postFilter.synonyms", "filter.geo",
    "postFilter.geo", "geoDecay",
]  # fmt: skip
# Places, distances and countries almost right, for the location box, the country filter and filter.geo.
NUMBER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=-(10**6), max_value=10**6).map(str),
    st.sampled_from(["", "-0", "1e3", "0x10", "٣", "1_000", ".5", "5."]),
)
PLACE = st.one_of(
    HOSTILE,
    st.sampled_from(["Lyon", "Paris", "Springfield", "Boston, UK", "Boston, MA", "Lyon, Japan", ",", ", ,",
                     "São Paulo", "02115", "SW1A 1AA", "Saint-Étienne", "Lyonn", "Ünïcode", "Paris, Texas, US"]),
    st.tuples(NUMBER, NUMBER).map(",".join),
)  # fmt: skip
DISTANCE = st.one_of(
    HOSTILE, st.tuples(NUMBER, st.sampled_from(["", "km", "mi", "KM", " mi", "m", "miles"])).map("".join)
)
COUNTRY = st.one_of(
    HOSTILE, st.sampled_from(["USA", "U.S.", "uk", "Holland", "Korea, Republic of", "Türkiye", "Côte d’Ivoire"])
)
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def assert_safe(response, values):
    assert response.status_code < 500, response.content[:500]
    if not response.get("Content-Type", "").startswith("text/html"):
        # Plain text and JSON (served with nosniff) are not read as markup.
        return
    body = response.content.decode(errors="replace")
    for value in values:
        if "<script>" in value or "onerror=" in value:
            assert value not in body


@FUZZ
@given(params=st.lists(st.tuples(st.sampled_from(LIST_PARAMETERS), HOSTILE), max_size=6))
def test_the_search_page_survives_any_parameters(client, seed_trial, params):
    for url in ("/trials/", "/trials/export.json"):
        assert_safe(client.get(url, [*params]), [value for _, value in params])


@FUZZ
@given(words=st.lists(st.one_of(EVERYDAY_WORDS, HOSTILE), min_size=1, max_size=8), exact=st.sampled_from(["", "1"]))
def test_widened_and_corrected_searches_survive_anything(client, seed_trial, words, exact):
    text = " ".join(words)
    response = client.get("/trials/", {"q": text, "exact": exact})
    assert_safe(response, words)
    # Past the size caps a search is refused with its reason, never half run.
    assert response.status_code in (200, 400)


@FUZZ
@given(params=st.lists(st.tuples(st.sampled_from(API_PARAMETERS), HOSTILE), max_size=6))
def test_the_api_survives_any_parameters(client, seed_trial, params):
    assert_safe(client.get("/api/v2/studies", [*params]), [value for _, value in params])


# The pieces of Essie, to be put together in any order, and nonsense between them.
ESSIE_PARTS = st.one_of(
    st.sampled_from(sorted(piece.name for piece in PIECES.values())).map(lambda name: f"AREA[{name}]"),
    st.sampled_from(
        ["AND", "OR", "NOT", "(", ")", '"', "MISSING", "RANGE[MIN,MAX]", "RANGE[2020-01,2021]", "RANGE[1, 16 years]",
         "RANGE[,]", "RANGE[a,b,c]", "EXPANSION[Concept]", "EXPANSION[Lossy]", "EXPANSION[]", "COVERAGE[FullMatch]",
         "SEARCH[Location]", "SEARCH[Location](", "AREA[", "]", "[", "2024-02-30", "PHASE2", "true", "0", "-1e9",
         "heart attack", '"lung cancer"', "RECRUITING", "Toronto", "AREA[]", "AREA[Foo]", "99999999999",
         "RANGE[1e308,MAX]", "\\", "%", "_"]
    ),
    st.text(max_size=12),
)  # fmt: skip
AGG_PARTS = st.one_of(
    st.sampled_from([f"{name}:{key}" for name, options in AGG_FILTERS.items() for key in options]),
    st.sampled_from(list(AGG_FILTERS)),
    st.sampled_from([",", "|", " ", ":", "status:", ":rec", "phase:2 3 9", "ConditionSearch:D007172", "x:1651367"]),
    st.text(max_size=10),
)


@FUZZ
@given(parts=st.lists(ESSIE_PARTS, min_size=1, max_size=14), separator=st.sampled_from(["", " "]))
def test_any_advanced_expression_is_answered_or_refused_never_a_500(client, seed_trial, parts, separator):
    expression = separator.join(parts)
    for name in ("filter.advanced", "postFilter.advanced"):
        response = client.get("/api/v2/studies", {name: expression, "countTotal": "true"})
        assert response.status_code in (200, 400), (expression, response.content[:300])
        if response.status_code == 400:  # naming the parameter, or the characters no parameter may hold
            assert response.content.decode().startswith((f"{name}: ", "Parameters may not contain"))


@FUZZ
@given(parts=st.lists(AGG_PARTS, min_size=1, max_size=8))
def test_any_agg_filters_or_synonyms_are_answered_or_refused_never_a_500(client, seed_trial, parts):
    value = "".join(parts)
    for name in ("aggFilters", "filter.synonyms"):
        response = client.get("/api/v2/studies", {name: value})
        assert response.status_code in (200, 400), (value, response.content[:300])


@FUZZ
@given(path=HOSTILE)
def test_trial_and_api_paths_survive_anything(client, seed_trial, path):
    for url in (f"/trials/{path}/", f"/api/v2/studies/{path}", f"/trials/{path}.json"):
        try:
            response = client.get(url)
        except ValueError:
            continue  # the test client itself refuses some paths (e.g. NUL)
        assert_safe(response, [path])


def mutate_lines(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    for _ in range(rng.randint(1, 6)):
        index = rng.randrange(len(lines))
        action = rng.choice(["drop", "duplicate", "swap", "garble", "blank"])
        if action == "drop" and len(lines) > 1:
            lines.pop(index)
        elif action == "duplicate":
            lines.insert(index, lines[index])
        elif action == "swap":
            other = rng.randrange(len(lines))
            lines[index], lines[other] = lines[other], lines[index]
        elif action == "garble":
            lines[index] = "".join(rng.sample(lines[index], len(lines[index]))) + rng.choice(["", "\\>", "Ω", ":"])
        else:
            lines[index] = ""
    return "\n".join(lines)


@FUZZ
@given(seed=st.integers(min_value=0, max_value=10**9))
def test_the_page_parser_imports_or_rejects_mutated_pages_whole(seed_text, seed):
    text = mutate_lines(seed_text, random.Random(seed))
    try:
        record = parse_page(text)
    except DocumentError:
        assert not Trial.objects.exists()
        return
    try:
        save_record(record)
    except RecordError:
        assert not Trial.objects.exists() and not Site.objects.exists()
    Trial.objects.all().delete()


def mutate_study(study, rng: random.Random):
    """Delete keys, swap in wrong types, or empty lists, anywhere in the study."""
    nodes = [study]
    for node in nodes:
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
        nodes.extend(child for child in children if isinstance(child, (dict, list)))
    for _ in range(rng.randint(1, 5)):
        node = rng.choice([node for node in nodes if isinstance(node, dict) and node] or [study])
        if not node:
            continue
        key = rng.choice(list(node))
        node[key] = rng.choice([None, 7, -1, "", "x" * 2000, [], {}, ["a"], True, 1.5, "NOT_A_CODE"])
    return study


@FUZZ
@given(seed=st.integers(min_value=0, max_value=10**9))
def test_the_json_importer_imports_or_rejects_mutated_studies_whole(ctgov_data, seed):
    rng = random.Random(seed)
    path = rng.choice(sorted(ctgov_data.glob("*.json")))
    study = mutate_study(json.loads(path.read_text(encoding="utf-8")), rng)
    try:
        record = study_to_record(study)
        save_record(record)
    except (StudyError, RecordError):
        assert not Trial.objects.exists() and not Site.objects.exists()
    Trial.objects.all().delete()


@FUZZ
@given(near=PLACE, within=DISTANCE, country=COUNTRY, q=st.one_of(COUNTRY, HOSTILE))
def test_places_distances_and_countries_never_break_the_list(client, seed_trial, near, within, country, q):
    params = {"near": near, "within": within, "country": country, "q": q}
    response = client.get("/trials/", params)
    assert_safe(response, params.values())
    assert response.status_code in (200, 400)


@FUZZ
@given(lat=NUMBER, lon=NUMBER, distance=DISTANCE, decay=st.one_of(HOSTILE, DISTANCE))
def test_geo_filters_never_break_the_api(client, seed_trial, lat, lon, distance, decay):
    for name in ("filter.geo", "postFilter.geo"):
        geo = f"distance({lat},{lon},{distance})"
        response = client.get(
            "/api/v2/studies", {name: geo, "geoDecay": f"func:exp,scale:{decay},offset:0mi,decay:0.5"}
        )
        assert_safe(response, [geo, decay])
        assert response.status_code in (200, 400)


@FUZZ
@given(
    params=st.lists(st.tuples(st.sampled_from(["compare", "from", "to", "version"]), HOSTILE), max_size=4),
    digits=st.sampled_from(["1", "²", "٣", "1,1", "0", "1,2,3", ""]),
)
def test_the_history_tab_and_api_survive_any_version_numbers(client, seed_trial, params, digits):
    page = client.get("/trials/NCT04133233/history/", [*params, ("compare", digits)])
    assert_safe(page, [value for _, value in params])
    assert page.status_code in (200, 400)
    for value in [*(value for _, value in params), digits]:
        response = client.get("/api/v2/studies/NCT04133233/history", {"version": value})
        assert response.status_code in (200, 400, 404), value


BRAND_WORDS = st.sampled_from(
    ["Keytruda", "KEYTRUDA®", "keytruda's", "pembrolizumab", "Lenvima", "lenvatinib", "-Keytruda", '"Keytruda"',
     "ALUNBRIG", "Lorlatinib 100 mg", "OR", "NOT"]
)  # fmt: skip


@pytest.fixture
def brand_records(db):
    report = import_paths([Path(__file__).parent / "data" / "brands"])
    assert report.ok, report.failures


@FUZZ
@given(
    words=st.lists(st.one_of(BRAND_WORDS, EVERYDAY_WORDS, HOSTILE), min_size=1, max_size=8),
    area=st.sampled_from(["query.term", "query.intr", "query.patient", "query.cond"]),
)
def test_brand_names_among_anything_never_break_search(client, brand_records, words, area):
    text = " ".join(words)
    response = client.get("/trials/", {"q": text})
    assert_safe(response, words)
    assert response.status_code in (200, 400)
    response = client.get("/api/v2/studies", {area: text, "fields": "NCTId"})
    assert response.status_code in (200, 400), response.content[:500]


def test_a_filter_repeated_a_thousand_times_is_one_suggestion_on_a_page_of_ordinary_size(
    client, seed_trial, django_assert_max_num_queries
):
    # A single-valued filter reads the last value; each distinct status once. Each
    # value its own link, every link repeating them all, made a page of megabytes.
    repeated = {"country": ["Atlantis"] * 900, "status": ["WITHDRAWN"] * 60 + ["SUSPENDED"] * 30}
    with CaptureQueriesContext(connection) as once:
        client.get("/trials/", {"country": "Atlantis", "status": ["WITHDRAWN", "SUSPENDED"]})
    assert len(once) <= (23 if connection.vendor == "postgresql" else 11)  # the list page's ceiling
    with django_assert_max_num_queries(len(once)):
        response = client.get("/trials/", repeated)
    html = response.content.decode()
    assert response.status_code == 200
    assert "No trials match" in html
    assert re.findall(r"Remove ([^<]*)</a>", html) == ["Country: Atlantis", "Status: Withdrawn", "Status: Suspended"]
    assert len(response.content) < 300_000
