"""The search text's grammar (trials/search/query.py) alone: no database."""

from __future__ import annotations

import pytest

from trials.search.query import (
    QuerySyntaxError,
    check_size,
    nct_id_from_token,
    only_nct_ids,
    parse_query,
    trailing_place,
    wanted_terms,
)


def test_terms_and_quoted_phrases_must_all_match():
    assert parse_query('"heart failure" diabetes AND elderly') == [
        [("heart failure", False), ("diabetes", False), ("elderly", False)]
    ]


def test_or_splits_alternatives_and_parentheses_are_dropped():
    assert parse_query("(asthma OR copd) adults") == [[("asthma", False)], [("copd", False), ("adults", False)]]
    assert parse_query("asthma or copd") == [[("asthma", False), ("or", False), ("copd", False)]]


def test_a_minus_or_not_excludes_only_the_next_term():
    assert parse_query('cancer -smoking NOT "lung cancer" adults') == [
        [("cancer", False), ("smoking", True), ("lung cancer", True), ("adults", False)]
    ]
    assert parse_query("covid-19 -") == [[("covid-19", False), ("-", False)]]


def test_an_apostrophe_a_backslash_and_a_hash_are_plain_characters():
    assert parse_query("Crohn's disease") == [[("Crohn's", False), ("disease", False)]]
    assert parse_query("Alzheimer's OR Parkinson's") == [[("Alzheimer's", False)], [("Parkinson's", False)]]
    assert parse_query(r"IL\6 #1") == [[("IL\\6", False), ("#1", False)]]


def test_unbalanced_quotes_are_an_error_when_strict_and_ignored_when_lenient():
    with pytest.raises(QuerySyntaxError, match="unbalanced quotes"):
        parse_query('"heart failure')
    assert parse_query('"heart failure', strict=False) == [[("heart", False), ("failure", False)]]


def test_a_text_of_operators_alone_has_no_terms():
    with pytest.raises(QuerySyntaxError, match="the query has no terms"):
        parse_query("OR NOT ()")
    assert parse_query("OR NOT ()", strict=False) == []
    assert parse_query("   ") == []


def test_wanted_terms_leave_out_the_excluded_ones():
    assert wanted_terms('asthma -smoking OR "lung cancer') == ["asthma", "lung", "cancer"]


def test_an_nct_id_is_recognised_however_it_is_typed():
    assert nct_id_from_token(" nct4133233 ") == "NCT04133233"
    assert nct_id_from_token("NCT04133233") == "NCT04133233"
    assert nct_id_from_token("NCT0000000012") == "NCT00000012"
    assert nct_id_from_token("NCT123456789") is None  # nine digits
    assert nct_id_from_token("NCT0") is None
    assert nct_id_from_token("NCT04133233x") is None


def test_only_nct_ids_when_the_text_holds_nothing_else():
    assert only_nct_ids("NCT04133233, nct1  NCT90000003") == ["NCT04133233", "NCT00000001", "NCT90000003"]
    assert only_nct_ids("NCT04133233 asthma") is None
    assert only_nct_ids(" , ") is None


def test_the_size_caps_count_alternatives_and_terms_as_the_lenient_parser_reads_them(settings):
    settings.SEARCH_MAX_ALTERNATIVES = 2
    settings.SEARCH_MAX_TERMS = 4
    check_size("a b OR c d")
    check_size('"a b c d e f" g h')  # a phrase is one term
    with pytest.raises(QuerySyntaxError, match=r"^3 alternatives joined by OR; at most 2 are allowed$"):
        check_size("a OR b OR c")
    with pytest.raises(QuerySyntaxError, match=r"^5 terms; at most 4 are allowed$"):
        check_size('a b c "d e')  # unbalanced: read as five words


@pytest.mark.parametrize(
    ("text", "words", "phrase", "place"),
    [
        ("heart attack near Boston", "heart attack", "near Boston", "Boston"),
        ("diabetes in Lyon", "diabetes", "in Lyon", "Lyon"),
        # "trials" before the place only says what is wanted.
        ("asthma trials near 02115", "asthma", "near 02115", "02115"),
        # The last connector counts; a place may name its region or country.
        ("pain in the chest near Boston, MA", "pain in the chest", "near Boston, MA", "Boston, MA"),
        ("NEAR  New   York", "", "near New York", "New York"),
        ("pain close to Lyon", "pain", "close to Lyon", "Lyon"),
    ],
)
def test_a_text_ending_in_a_place_is_split_before_it(text, words, phrase, place):
    split = trailing_place(text)
    assert (split.words, split.phrase, split.place) == (words, phrase, place)


@pytest.mark.parametrize(
    "text",
    ["flu", '"cancer in Paris"', "cancer OR near Boston", "cancer NOT in Boston", "pain in -Boston", "pain in Asia"],
)
def test_a_quoted_excluded_or_continental_place_is_not_split(text):
    assert trailing_place(text) is None


def test_a_place_in_quotes_is_how_it_is_searched_as_words():
    split = trailing_place("heart attack near Boston")
    assert split.as_words == 'heart attack near "Boston"'
    assert trailing_place(split.as_words) is None
