"""A place typed at the end of the search box ("erectile dysfunction near Boston") searched as ``near``."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from django.urls import reverse

from trials.importers import import_paths

pytestmark = pytest.mark.django_db

PLACES = Path(__file__).parent / "data" / "places"
# The records writing "erectile dysfunction" with a site in Boston (NCT00499317 in its criteria only);
# NCT00914277 (Paris), NCT00489450 (Seoul) and NCT02939495 (Istanbul) write it too.
BOSTON_ED = {"NCT00179517", "NCT00499317", "NCT00512707"}


@pytest.fixture
def records():
    report = import_paths([PLACES])
    assert report.ok, report.failures


def listed(client, **params):
    response = client.get(reverse("trials:list"), params)
    html = unescape(response.content.decode())
    return response, html, re.findall(r'<span class="nct">(NCT\d{8})</span>', html)


@pytest.mark.parametrize(
    "text",
    ["erectile dysfunction near Boston", "erectile dysfunction in Boston", "erectile dysfunction trials near 02115"],
)
def test_a_known_place_ending_the_text_is_searched_near(client, records, text):
    response, html, trials = listed(client, q=text)
    assert response.status_code == 200
    assert set(trials) == BOSTON_ED
    # As the location box finds them, in the same order (nearest first).
    _, _, asked_near = listed(client, q="erectile dysfunction", near=text.split()[-1])
    assert trials == asked_near
    assert re.search(r"“(near|in) (Boston|02115)” names a place; trials with a site within 100 km of it match", html)
    assert "Trials with a site within 100 km of" in html and "Boston" in html


def test_the_words_before_the_place_are_still_searched(client, records):
    # Lyon's trials within 100 km treat back pain, disc degeneration and lung cancer: one tests durvalumab.
    _, _, near_lyon = listed(client, q="in Lyon")
    assert set(near_lyon) == {"NCT03955198", "NCT04631133", "NCT05997121"}
    _, html, trials = listed(client, q="durvalumab in Lyon")
    assert trials == ["NCT03955198"]
    assert "<strong>Lyon, France</strong>: “in Lyon” names a place" in html


def test_the_place_alone_lists_the_trials_near_it(client, records):
    _, _, trials = listed(client, q="near Lyon", within="50km")
    _, _, asked_near = listed(client, near="Lyon", within="50km")
    assert trials == asked_near and trials


@pytest.mark.parametrize(
    "text",
    [
        "erectile dysfunction in men",  # not a place the gazetteer knows
        "erectile dysfunction near Springfield",  # several places: not read as one
        'erectile dysfunction near "Boston"',  # quoted: words
    ],
)
def test_an_unknown_ambiguous_or_quoted_place_stays_words(client, records, text):
    response, html, trials = listed(client, q=text)
    assert response.status_code == 200
    assert "names a place" not in html and "Several places" not in html
    assert "Boston" not in text or trials == []  # no record writes "Boston" with those words


def test_the_box_for_places_wins_over_the_text(client, records):
    _, html, trials = listed(client, q="erectile dysfunction near Boston", near="Paris", within="20km")
    assert "names a place" not in html
    assert trials == []  # "near" and "Boston" are words, and no Paris trial writes them


def test_the_place_can_be_searched_as_words_instead(client, records):
    _, html, _ = listed(client, q="erectile dysfunction near Boston")
    assert '<a href="?q=erectile+dysfunction+near+%22Boston%22">Search “near Boston” as words</a>' in html
    # Its distance goes with it: a distance from no place is an error.
    _, html, _ = listed(client, q="erectile dysfunction near Boston", within="50km")
    assert '<a href="?q=erectile+dysfunction+near+%22Boston%22">Search “near Boston” as words</a>' in html
    _, html, _ = listed(client, q="erectile dysfunction near Boston", exact="1")
    # In exact words too the place is a place; the link to expand keeps it in the text.
    assert "names a place" in html
