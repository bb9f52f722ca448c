"""/api/v2 ``filter.advanced`` and ``postFilter.advanced``: Essie expressions as filters.

Every answer is checked against the real records (``data/ctgov``), read here
as JSON without the importer or the filter code.
"""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

from trials.api.aggregations import AGG_FILTERS

from .api_lists import listed

pytestmark = pytest.mark.django_db


def found(client, expression: str, parameter: str = "filter.advanced") -> set[str]:
    return listed(client, **{parameter: expression})


def total(client, expression: str) -> int:
    response = client.get("/api/v2/studies", {"filter.advanced": expression, "countTotal": "true", "pageSize": 1})
    assert response.status_code == 200, response.content
    return response.json()["totalCount"]


def where(protocols: dict[str, dict], test) -> set[str]:
    return {nct_id for nct_id, protocol in protocols.items() if test(protocol)}


def last_update(protocol: dict) -> str:
    return protocol["statusModule"]["lastUpdatePostDateStruct"]["date"]


def phases(protocol: dict) -> list[str]:
    return protocol.get("designModule", {}).get("phases", [])


def status(protocol: dict) -> str:
    return protocol["statusModule"]["overallStatus"]


def start(protocol: dict) -> str:
    return protocol["statusModule"].get("startDateStruct", {}).get("date", "")


def test_a_registry_sync_range_finds_the_studies_updated_since_a_day(client, ctgov_protocols):
    dates = sorted(last_update(protocol) for protocol in ctgov_protocols.values())
    since = dates[len(dates) // 2]
    expected = where(ctgov_protocols, lambda protocol: last_update(protocol) >= since)
    assert 0 < len(expected) < len(ctgov_protocols)
    assert found(client, f"AREA[LastUpdatePostDate]RANGE[{since},MAX]") == expected
    assert total(client, f"AREA[LastUpdatePostDate]RANGE[{since}, MAX]") == len(expected)


def test_a_range_up_to_a_month_includes_the_whole_month(client, ctgov_protocols):
    expected = where(ctgov_protocols, lambda protocol: last_update(protocol)[:7] <= "2015-06")
    assert 0 < len(expected) < len(ctgov_protocols)
    assert found(client, "AREA[LastUpdatePostDate]RANGE[MIN, 2015-06]") == expected


def test_a_year_names_the_studies_started_in_it(client, ctgov_protocols):
    expected = where(ctgov_protocols, lambda protocol: start(protocol)[:4] == "2008")
    assert expected
    assert found(client, "AREA[StartDate]2008") == expected


def test_and_or_not_and_parentheses_combine_pieces(client, ctgov_protocols):
    expected = where(
        ctgov_protocols,
        lambda protocol: (
            status(protocol) == "COMPLETED"
            and ("PHASE2" in phases(protocol) or "PHASE3" in phases(protocol))
            and "PHASE4" not in phases(protocol)
        ),
    )
    assert expected
    expression = "AREA[OverallStatus]COMPLETED AND (AREA[Phase]PHASE2 OR AREA[Phase]PHASE3) AND NOT AREA[Phase]PHASE4"
    assert found(client, expression) == expected
    assert found(client, expression, "postFilter.advanced") == expected


def test_a_phase_is_one_of_the_codes_not_a_code_inside_another(client, ctgov_protocols):
    expected = where(ctgov_protocols, lambda protocol: "PHASE1" in phases(protocol))
    assert found(client, "AREA[Phase]PHASE1") == expected
    assert found(client, "AREA[Phase]Phase1") == expected


def test_a_quoted_phrase_is_matched_whole_in_a_piece(client, ctgov_protocols):
    def brief(protocol: dict) -> str:
        return protocol["identificationModule"]["briefTitle"].lower()

    expected = where(ctgov_protocols, lambda protocol: "erectile dysfunction" in brief(protocol))
    both = where(ctgov_protocols, lambda protocol: "erectile" in brief(protocol) and "dysfunction" in brief(protocol))
    assert expected
    assert found(client, 'AREA[BriefTitle]"erectile dysfunction"') == expected
    # The words in another order are not the phrase, but both words anywhere.
    assert found(client, 'AREA[BriefTitle]"dysfunction erectile"') == set()
    assert found(client, "AREA[BriefTitle](dysfunction erectile)") == both


def test_an_age_range_compares_in_years(client, ctgov_protocols):
    def minimum(protocol: dict) -> str:
        return protocol.get("eligibilityModule", {}).get("minimumAge", "")

    def years(protocol: dict) -> float | None:
        number, _, unit = minimum(protocol).partition(" ")
        per_year = {"Year": 1, "Years": 1, "Month": 12, "Months": 12, "Week": 52, "Weeks": 52}
        return int(number) / per_year[unit] if number else None

    expected = where(ctgov_protocols, lambda protocol: years(protocol) is not None and years(protocol) <= 16)
    assert len(expected) == 5  # 1 year, 3 and 5 years, 6 and 30 months
    assert found(client, "AREA[MinimumAge]RANGE[MIN, 16 years]") == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("AREA[Foo]bar", "unknown area 'Foo' at position 6"),
        ("cancer AND AREA[Nope]RANGE[1,2]", "unknown area 'Nope' at position 17"),
        ("AREA[StartDate]RANGE[2020-13-40, MAX]", "'2020-13-40' at position 22 is not a date for StartDate"),
        ("AREA[EnrollmentCount]lots", "'lots' at position 22 is not a number for EnrollmentCount"),
        ("AREA[EnrollmentCount]RANGE[1e308, MAX]", "'1e308' at position 28 is out of range for EnrollmentCount"),
        ("AREA[Phase]RANGE[PHASE1, PHASE2]", "RANGE does not apply to Phase at position 18"),
        ("cancer AND", "the expression ends too soon (at position 11)"),
        ("(cancer", "the expression ends too soon"),
        ("cancer)", "unexpected ')' at position 7"),
        ('"lung cancer', "unclosed quote at position 1"),
        ("EXPANSION[Wide]cancer", "unknown expansion 'Wide' at position 11"),
        ("AREA[StartDate]RANGE[2020]", "RANGE needs two bounds"),
        ("OR cancer", "unexpected 'OR' at position 1"),
        ("(" * 13 + "a" + ")" * 13, "parentheses nested deeper than 12"),
        (" ".join(["a"] * 101), "101 terms and operators; at most 100 are allowed"),
    ],
)
def test_a_malformed_expression_is_a_400_naming_what_and_where(client, db, expression, message):
    response = client.get("/api/v2/studies", {"filter.advanced": expression})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode().startswith("filter.advanced: ")
    assert message in response.content.decode()


def sites(protocol: dict) -> list[dict]:
    return protocol.get("contactsLocationsModule", {}).get("locations", [])


def test_search_location_asks_every_term_of_one_site(client, ctgov_protocols):
    def toronto_and_us(protocol: dict) -> bool:
        cities = {site.get("city") for site in sites(protocol)}
        countries = {site.get("country") for site in sites(protocol)}
        return "Toronto" in cities and "United States" in countries

    def us_toronto(protocol: dict) -> bool:
        return any(site.get("city") == "Toronto" and site.get("country") == "United States" for site in sites(protocol))

    apart = where(ctgov_protocols, toronto_and_us)
    assert apart and not where(ctgov_protocols, us_toronto)
    assert found(client, 'AREA[LocationCity]Toronto AND AREA[LocationCountry]"United States"') == apart
    assert (
        found(client, 'SEARCH[Location](AREA[LocationCity]Toronto AND AREA[LocationCountry]"United States")') == set()
    )
    canadian = where(
        ctgov_protocols,
        lambda protocol: any(
            site.get("city") == "Toronto" and site.get("country") == "Canada" for site in sites(protocol)
        ),
    )
    assert found(client, "SEARCH[Location](Toronto AND AREA[LocationCountry]Canada)") == canadian


def test_missing_finds_the_studies_without_the_piece(client, ctgov_protocols):
    assert found(client, "AREA[WhyStopped]MISSING") == where(
        ctgov_protocols, lambda protocol: not protocol["statusModule"].get("whyStopped")
    )
    assert found(client, "AREA[Keyword]MISSING") == where(
        ctgov_protocols, lambda protocol: not protocol.get("conditionsModule", {}).get("keywords")
    )
    no_sites = where(ctgov_protocols, lambda protocol: not sites(protocol))
    assert no_sites
    assert found(client, "AREA[LocationCity]MISSING") == no_sites
    assert found(client, "NOT AREA[LocationCity]MISSING") == set(ctgov_protocols) - no_sites


def test_a_bare_term_is_the_full_text_search(client, ctgov_protocols):
    response = client.get("/api/v2/studies", {"pageSize": 1000, "fields": "NCTId", "query.term": "sildenafil"})
    by_query = {study["protocolSection"]["identificationModule"]["nctId"] for study in response.json()["studies"]}
    assert by_query
    assert found(client, "sildenafil") == by_query
    assert found(client, "NOT sildenafil") == set(ctgov_protocols) - by_query


def test_concept_expansion_adds_the_descriptor_the_words_name(client, ctgov_protocols):
    def conditions(protocol: dict) -> str:
        return " ".join(protocol.get("conditionsModule", {}).get("conditions", [])).lower()

    impotence = where(ctgov_protocols, lambda protocol: "impotence" in conditions(protocol))
    widened = where(
        ctgov_protocols,
        lambda protocol: "impotence" in conditions(protocol) or "erectile dysfunction" in conditions(protocol),
    )
    assert impotence < widened
    assert found(client, "AREA[Condition]impotence") == impotence
    assert found(client, "EXPANSION[None]AREA[Condition]impotence") == impotence
    assert found(client, "EXPANSION[Concept]AREA[Condition]impotence") == widened


def test_relaxation_and_lossy_loosen_a_phrase(client, ctgov_protocols):
    def brief(protocol: dict) -> str:
        return protocol["identificationModule"]["briefTitle"].lower()

    both = where(ctgov_protocols, lambda protocol: "erectile" in brief(protocol) and "dysfunction" in brief(protocol))
    either = where(ctgov_protocols, lambda protocol: "erectile" in brief(protocol) or "dysfunction" in brief(protocol))
    assert found(client, 'EXPANSION[Relaxation]AREA[BriefTitle]"dysfunction erectile"') == both
    assert found(client, 'EXPANSION[Lossy]AREA[BriefTitle]"dysfunction erectile"') == either


def test_coverage_matches_a_whole_value_or_its_start(client, ctgov_protocols):
    def sponsor(protocol: dict) -> str:
        return protocol["sponsorCollaboratorsModule"]["leadSponsor"]["name"]

    assert found(client, 'COVERAGE[FullMatch]AREA[LeadSponsorName]"Pfizer"') == where(
        ctgov_protocols, lambda protocol: sponsor(protocol).lower() == "pfizer"
    )
    assert found(client, "COVERAGE[StartsWith]AREA[LeadSponsorName]Univ") == where(
        ctgov_protocols, lambda protocol: sponsor(protocol).lower().startswith("univ")
    )


def test_numbers_and_yes_no_pieces(client, ctgov_protocols):
    def enrollment(protocol: dict) -> int | None:
        return protocol.get("designModule", {}).get("enrollmentInfo", {}).get("count")

    assert found(client, "AREA[EnrollmentCount]RANGE[100, 500]") == where(
        ctgov_protocols, lambda protocol: enrollment(protocol) is not None and 100 <= enrollment(protocol) <= 500
    )
    assert found(client, "AREA[HealthyVolunteers]true") == where(
        ctgov_protocols, lambda protocol: protocol.get("eligibilityModule", {}).get("healthyVolunteers") is True
    )


def test_a_search_area_is_a_piece(client, ctgov_protocols):
    response = client.get("/api/v2/studies", {"pageSize": 1000, "fields": "NCTId", "query.cond": "impotence"})
    by_query = {study["protocolSection"]["identificationModule"]["nctId"] for study in response.json()["studies"]}
    assert by_query
    assert found(client, "AREA[ConditionSearch]impotence") == by_query


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("SEARCH[Location](AREA[Phase]PHASE2)", "area 'Phase' at position 23 is not a piece of a location"),
        ("SEARCH[Site](Boston)", "unknown search scope 'Site' at position 8"),
        ("AREA[ConditionSearch]MISSING", "MISSING does not apply to the search area ConditionSearch at position 6"),
        ("AREA[HealthyVolunteers]maybe", "'maybe' at position 24 is not true or false for HealthyVolunteers"),
        ("AREA[MinimumAge]RANGE[young, MAX]", "'young' at position 23 is not an age for MinimumAge"),
    ],
)
def test_a_piece_used_wrongly_is_a_400_naming_it(client, db, expression, message):
    response = client.get("/api/v2/studies", {"postFilter.advanced": expression})
    assert response.status_code == 400
    assert response.content.decode().startswith(f"postFilter.advanced: {message}")


def test_agg_filters_tick_the_registry_search_pages_options(client, ctgov_protocols, ctgov_data):
    study_results = {
        study["protocolSection"]["identificationModule"]["nctId"]: study.get("hasResults", False)
        for study in (json.loads(path.read_text()) for path in ctgov_data.glob("NCT*.json"))
    }
    expected = where(ctgov_protocols, lambda protocol: status(protocol) == "COMPLETED")
    expected = {nct_id for nct_id in expected if study_results[nct_id]}
    assert expected
    assert listed(client, aggFilters="results:with,status:com") == expected
    two_or_three = where(ctgov_protocols, lambda protocol: {"PHASE2", "PHASE3"} & set(phases(protocol)))
    assert listed(client, aggFilters="phase:2 3") == two_or_three
    assert listed(client, aggFilters="phase:2|phase:3") == where(
        ctgov_protocols, lambda protocol: {"PHASE2", "PHASE3"} <= set(phases(protocol))
    )


def test_agg_filters_sex_f_includes_trials_for_all(client, ctgov_protocols):
    def sex(protocol: dict) -> str:
        return protocol.get("eligibilityModule", {}).get("sex", "")

    expected = where(ctgov_protocols, lambda protocol: sex(protocol) in ("FEMALE", "ALL"))
    assert expected and expected != set(ctgov_protocols)
    assert listed(client, aggFilters="sex:f") == expected


def test_filter_synonyms_keep_what_a_mesh_descriptor_finds(client, ctgov_protocols, ctgov_data):
    meshes = {}
    for path in ctgov_data.glob("NCT*.json"):
        study = json.loads(path.read_text())
        browse = study.get("derivedSection", {}).get("conditionBrowseModule", {})
        meshes[study["protocolSection"]["identificationModule"]["nctId"]] = {m["id"] for m in browse.get("meshes", [])}

    def conditions(protocol: dict) -> str:
        return " ".join(protocol.get("conditionsModule", {}).get("conditions", [])).lower()

    expected = {
        nct_id
        for nct_id, protocol in ctgov_protocols.items()
        if "erectile dysfunction" in conditions(protocol) or "D007172" in meshes[nct_id]
    }
    assert expected
    assert listed(client, **{"filter.synonyms": "ConditionSearch:D007172"}) == expected
    assert listed(client, **{"postFilter.synonyms": "ConditionSearch:D007172"}) == expected


@pytest.mark.parametrize(
    ("parameter", "value", "message"),
    [
        ("aggFilters", "nope:x", "aggFilters: unknown filter 'nope'; filters: status, phase"),
        ("aggFilters", "status:com zzz", "aggFilters: unknown option zzz of status; options: not, rec"),
        ("aggFilters", "status", "aggFilters: expected filter_id:options, not 'status'"),
        ("filter.synonyms", "ConditionSearch:1651367", "is not a MeSH descriptor UI (e.g. D007172); the registry's"),
        ("filter.synonyms", "Elsewhere:D007172", "filter.synonyms: unknown area 'Elsewhere'; areas: BasicSearch"),
        ("postFilter.synonyms", "ConditionSearch:D999999", "postFilter.synonyms: no MeSH descriptor D999999 is known"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(client, db, parameter, value, message):
    response = client.get("/api/v2/studies", {parameter: value})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_api_page_lists_every_agg_filter_and_its_examples_answer(client, seed_trial):
    page = client.get("/api/").content.decode()
    for name, options in AGG_FILTERS.items():
        assert f'<th scope="row"><code>{name}</code></th>' in page
        assert all(f"<code>{key}</code>" in page for key in options)
    examples = [
        unescape(href) for href in re.findall(r'href="(/api/v2/studies\?[^"]*(?:advanced|aggFilters)[^"]*)"', page)
    ]
    assert len(examples) == 4
    for href in examples:
        assert client.get(href).status_code == 200, href


def test_the_total_of_a_condition_query_counts_the_agg_filters_too(client, ctgov_protocols):
    params = {"query.cond": "erectile", "aggFilters": "status:com"}
    found_ids = listed(client, **params)
    assert 0 < len(found_ids) < len(listed(client, **{"query.cond": "erectile"}))
    response = client.get("/api/v2/studies", {**params, "countTotal": "true", "pageSize": 1})
    assert response.json()["totalCount"] == len(found_ids)
