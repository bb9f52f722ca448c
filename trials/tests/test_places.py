"""Search by place: the gazetteer, distances, `near`/`within` on the list page, countries by every name."""

from __future__ import annotations

import html as html_module
import json
import re
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import Count
from django.http import QueryDict
from django.urls import reverse

from trials import places, search
from trials.importers import import_paths
from trials.models import Site, Trial

pytestmark = pytest.mark.django_db

PLACES = Path(__file__).parent / "data" / "places"
LYON = (45.74906, 4.84789)  # GeoNames' Lyon, where the gazetteer puts it


@pytest.fixture
def records():
    report = import_paths([PLACES])
    assert report.ok, report.failures


def within_from_records(lat: float, lon: float, km: float) -> set[str]:
    """The answer from the records themselves: trials with a geoPoint within ``km``."""
    found = set()
    for path in PLACES.glob("*.json"):
        study = json.loads(path.read_text())["protocolSection"]
        for site in study.get("contactsLocationsModule", {}).get("locations", []):
            point = site.get("geoPoint")
            if point and places.haversine_km(lat, lon, point["lat"], point["lon"]) <= km:
                found.add(study["identificationModule"]["nctId"])
    return found


def listed(client, **params):
    response = client.get(reverse("trials:list"), params)
    html = response.content.decode()
    return response, html, re.findall(r'<span class="nct">(NCT\d{8})</span>', html)


def test_the_gazetteer_finds_cities_regions_and_countries_offline():
    lyon = places.locate("Lyon")
    assert (lyon.country, round(lyon.lat, 2), round(lyon.lon, 2)) == ("FR", 45.75, 4.85)
    assert places.locate("lyon, france") == lyon
    # Boston, Massachusetts is 14 times as populous as Boston, Lincolnshire: it is the one meant.
    assert places.locate("Boston").country == "US"
    assert places.locate("Boston, UK").country == "GB"
    assert places.locate("Boston, MA").region == places.locate("Boston, Massachusetts").region == "Massachusetts"
    assert places.locate("48.85, 2.35").lat == 48.85


def test_an_ambiguous_or_unknown_place_says_what_it_might_be():
    with pytest.raises(places.PlaceError) as ambiguous:
        places.locate("Springfield")
    labels = [choice.label for choice in ambiguous.value.choices]
    assert "Springfield, Illinois, United States" in labels and "Springfield, Missouri, United States" in labels
    assert places.locate("Springfield, Illinois").region == "Illinois"
    with pytest.raises(places.PlaceError) as misspelled:
        places.locate("Lyonn")
    assert "Lyon, France" in [choice.label for choice in misspelled.value.choices]
    for text in ("91,0", "Xqzvbw", "Lyon, Japan", "  ,  "):
        with pytest.raises(places.PlaceError):
            places.locate(text)


def test_countries_answer_to_every_name():
    for names, code in (
        (("USA", "US", "U.S.", "America", "United States of America", "united states"), "US"),
        (("UK", "Britain", "Great Britain", "United Kingdom"), "GB"),
        (("Holland", "Netherlands", "The Netherlands"), "NL"),
        (("South Korea", "Korea, Republic of", "Korea"), "KR"),
        (("Czechia", "Czech Republic"), "CZ"),
        (("Burma", "Myanmar"), "MM"),
        (("Ivory Coast", "Côte d’Ivoire", "Cote d'Ivoire"), "CI"),
        (("Turkey", "Türkiye", "Turkey (Türkiye)"), "TR"),
    ):
        assert {places.country_code(name) for name in names} == {code}, names
    # In a search text, two- and three-letter codes count only in capitals.
    assert places.named_in_text("UK") == "GB" and places.named_in_text("in") is None
    assert places.named_in_text("us") is None and places.named_in_text("Holland") == "NL"


def test_sql_distance_is_the_haversine_distance(records):
    circle = places.Circle(*LYON, 500)
    rows = (
        Site.objects.filter(circle.within()).annotate(km=circle.distance()).values_list("latitude", "longitude", "km")
    )
    assert rows
    for lat, lon, km in rows:
        assert km == pytest.approx(places.haversine_km(*LYON, lat, lon), abs=1e-6)


@pytest.mark.parametrize("within", ["50km", "200km", "400km", "250mi"])
def test_near_lists_the_trials_with_a_site_within_the_distance(client, records, within):
    value, unit = places.parse_distance(within)
    expected = within_from_records(*LYON, places.in_km(value, unit))
    response, html, trials = listed(client, near="Lyon", within=within)
    assert response.status_code == 200
    assert set(trials) == expected and expected
    assert "Lyon, France" in html


def test_near_orders_by_nearest_site_and_names_it(client, records):
    response, html, trials = listed(client, near="Lyon", within="50km")
    # NCT03955198's site is at GeoNames' own point for Lyon (0 km); the two recruiting trials'
    # Saint-Charles clinic is 0.1 km off.
    assert trials == ["NCT03955198", "NCT04631133", "NCT05997121"]
    assert "Saint-Charles Clinic, Lyon — 0.1 km" in html
    # A trial's recruiting site is named, and measured, before a nearer one that does not recruit yet.
    _, html, trials = listed(client, near="Geneva", within="120km")
    assert "NCT05997121" in trials
    assert "Clinique Saint Charles, Lyon — 11" in html and "Beaulieu, Geneva — " not in html


def test_near_works_with_the_text_and_the_other_filters(client, records):
    _, _, everything = listed(client, near="Lyon", within="400km")
    _, _, recruiting = listed(client, near="Lyon", within="400km", status="RECRUITING")
    assert set(recruiting) == {"NCT04631133", "NCT05997121"} < set(everything)
    _, _, paris_only = listed(client, near="Paris", within="10km", country="France")
    assert set(paris_only) == within_from_records(48.85341, 2.3488, 10)
    _, _, sorted_by_update = listed(client, near="Lyon", within="400km", sort="updated")
    assert set(sorted_by_update) == set(everything)


def test_a_postal_code_or_coordinates_locate_the_registrys_own_sites(client, records):
    _, _, trials = listed(client, near="42.3584,-71.0598", within="5km")
    assert set(trials) == within_from_records(42.3584, -71.0598, 5) == {"NCT00179517", "NCT00499317", "NCT00512707"}
    site = Site.objects.filter(trial__nct_id="NCT00499317").first()
    _, _, trials = listed(client, near=site.zip, within="5km")
    assert "NCT00499317" in trials


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"near": "Lyon", "within": "-5km"}, "is not a distance"),
        ({"near": "Lyon", "within": "99999mi"}, "out of range"),
        ({"near": "Lyon", "within": "0km"}, "out of range"),
        ({"near": "Lyon", "within": "far"}, "is not a distance"),
        ({"near": "Xqzvbw"}, "We do not know a place called"),
        ({"near": "91,0"}, "is not a point on Earth"),
        ({"near": "Lyon\x00"}, "may not contain NUL"),
        ({"near": "L" * 101}, "at most 100 characters"),
    ],
)
def test_a_bad_place_or_distance_is_a_400_that_says_why(client, records, params, message):
    response, html, trials = listed(client, **params)
    assert response.status_code == 400
    assert message in html and not trials


@pytest.mark.parametrize("params", [{"within": "50km"}, {"near": " ", "within": "30mi", "q": "asthma"}])
def test_a_distance_without_a_place_is_left_out_and_said_so(client, records, params):
    # Links and feeds made before a place was removed keep answering, and the page says what it left out.
    response, html, trials = listed(client, **params)
    without = listed(client, **{key: value for key, value in params.items() if key not in ("near", "within")})[2]
    assert response.status_code == 200 and trials == without and trials
    assert f"The distance “{params['within']}” was left out" in html
    assert client.get(reverse("trials:feed"), params).status_code == 200


def test_dropping_the_place_drops_its_distance(client, records):
    # A search near a place that finds nothing offers to drop the place: without its distance,
    # which alone would be an error.
    response, html, trials = listed(client, q="zzyzx", near="Lyon", within="50km")
    assert response.status_code == 200 and not trials
    link = html_module.unescape(re.search(r'<a href="\?([^"]*)">Remove [^<]*: Lyon</a>', html).group(1))
    assert "within" not in link and "near" not in link
    assert listed(client, **dict(QueryDict(link).items()))[0].status_code == 200


def test_an_ambiguous_place_offers_its_choices_as_links(client, records):
    response, html, _ = listed(client, near="Springfield", within="50km")
    assert response.status_code == 400
    assert "Several places are called “Springfield”" in html
    assert "near=Springfield%2C+Illinois%2C+United+States" in html and "within=50km" in html


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        ("USA", {"NCT00179517", "NCT00499317", "NCT00512707"}),
        ("America", {"NCT00179517", "NCT00499317", "NCT00512707"}),
        ("Czech Republic", {"NCT00919022", "NCT04573296"}),
        ("czechia", {"NCT00919022", "NCT04573296"}),
        ("South Korea", {"NCT00489450", "NCT00712335"}),
        ("Türkiye", {"NCT05511155", "NCT02939495"}),
    ],
)
def test_the_country_filter_takes_every_name_of_a_country(client, records, country, expected):
    response, _, trials = listed(client, country=country)
    assert response.status_code == 200
    assert set(trials) == expected


def test_the_country_picker_lists_the_countries_on_file_once_each(client, records):
    _, html, _ = listed(client)
    options = re.findall(r'<option value="([^"]+)">', html.split('id="country-choices"')[1].split("</datalist>")[0])
    assert "South Korea" in options and "Czechia" in options and "Turkey" in options
    assert "Korea, Republic of" not in options and "Czech Republic" not in options


def test_near_adds_one_query_for_the_nearest_sites(client, records, django_assert_max_num_queries):
    listed(client, q="surgery")  # the country picker's list, read once and kept
    with django_assert_max_num_queries(40) as plain:
        listed(client, status="COMPLETED")
    with django_assert_max_num_queries(40) as near:
        listed(client, status="COMPLETED", near="Lyon")
    # The filter is part of the same queries; the rows' nearest sites are one more.
    assert len(near.captured_queries) <= len(plain.captured_queries) + 2 + (connection.vendor == "postgresql")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Czechia", {"NCT00919022", "NCT04573296"}),
        ("South Korea", {"NCT00489450", "NCT00712335"}),
        ("Korea, Republic of", {"NCT00489450", "NCT00712335"}),
        ("USA", {"NCT00179517", "NCT00499317", "NCT00512707"}),
        ("Türkiye", {"NCT05511155", "NCT02939495"}),
    ],
)
def test_a_country_named_in_the_text_finds_its_sites(client, records, text, expected):
    response, html, trials = listed(client, q=text)
    assert response.status_code == 200
    assert set(trials) >= expected
    assert "names a country; trials with a site there match too" in html
    # In exact words, only the trials that write it.
    _, _, exact = listed(client, q=text, exact="1")
    assert not set(exact) >= expected


def test_a_short_word_is_not_read_as_a_country(client, records):
    assert search.read("pain in the us", search.backend()).countries == []
    assert search.read("pain UK", search.backend()).countries == [("UK", "United Kingdom")]


def api_ids(client, **params) -> list[str]:
    response = client.get("/api/v2/studies", {"pageSize": 100, "fields": "NCTId", **params})
    assert response.status_code == 200, response.content
    return [study["protocolSection"]["identificationModule"]["nctId"] for study in response.json()["studies"]]


@pytest.mark.parametrize("distance", ["50km", "400km", "250mi", "250"])
def test_the_api_geo_filters_answer_what_the_list_page_does(client, records, distance):
    value, unit = places.parse_distance(distance, default_unit="mi")
    expected = within_from_records(*LYON, places.in_km(value, unit))
    point = "45.74906,4.84789"
    _, _, page = listed(client, near=point, within=f"{value:g}{unit}")
    assert set(page) == expected
    assert set(api_ids(client, **{"filter.geo": f"distance({point},{distance})"})) == expected
    assert set(api_ids(client, **{"postFilter.geo": f"distance({point},{distance})"})) == expected


def test_the_api_orders_by_distance_with_geo_decay(client, records):
    geo = {"filter.geo": "distance(48.85341,2.3488,500km)"}  # Paris, where three trials have a site
    ids = api_ids(client, **geo)
    assert ids[:3] == ["NCT00804895", "NCT00914277", "NCT04631133"]  # 0 km each, then by NCT ID
    assert ids[3:] == ["NCT03955198", "NCT05997121"]  # Rouen (112 km), then Nancy (282 km)
    # Within the offset, distances tie: NCT ID order.
    assert api_ids(client, **geo, geoDecay="func:gauss,scale:50km,offset:400km,decay:0.5") == sorted(ids)
    # An explicit sort wins over distance.
    assert api_ids(client, **geo, sort="EnrollmentCount") != ids
    assert set(api_ids(client, **geo, sort="EnrollmentCount")) == set(ids)


def test_the_api_csv_lists_the_studies_by_distance_too(client, records):
    geo = {"filter.geo": "distance(48.85341,2.3488,500km)"}
    response = client.get("/api/v2/studies", {**geo, "format": "csv", "fields": "NCT Number", "countTotal": "true"})
    assert response.status_code == 200
    assert response.content.decode().splitlines()[1:] == api_ids(client, **geo)
    assert response["x-total-count"] == "5"


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"filter.geo": "distance(45.7,4.8)"}, "filter.geo"),
        ({"filter.geo": "distance(91,4.8,5km)"}, "filter.geo"),
        ({"postFilter.geo": "distance(45.7,4.8,-5km)"}, "postFilter.geo"),
        ({"filter.geo": "circle(45.7,4.8,5km)"}, "filter.geo"),
        ({"filter.geo": "distance(nan,4.8,5km)"}, "filter.geo"),
        ({"geoDecay": "func:cubic,scale:1km,offset:0km,decay:0.5"}, "geoDecay"),
        ({"geoDecay": "func:exp,scale:0km,offset:0km,decay:0.5"}, "geoDecay"),
        ({"geoDecay": "func:exp,scale:10km,offset:0km,decay:1.5"}, "geoDecay"),
    ],
)
def test_a_malformed_geo_parameter_is_a_400_naming_it(client, params, named):
    response = client.get("/api/v2/studies", params)
    assert response.status_code == 400
    assert response.content.decode().startswith(f"{named}: ")


def test_the_whole_search_form_submits_with_its_any_choices(client, records):
    # The form sends every select, "Any" as an empty value; the place search must get through.
    form = {"q": "", "near": "Lyon", "within": "50km", "study_type": "", "allocation": "", "sponsor_class": ""}
    response, _, trials = listed(client, **form)
    assert response.status_code == 200
    assert set(trials) == within_from_records(*LYON, 50)


def test_with_a_place_the_sort_menu_defaults_to_distance(client, records):
    _, html, trials = listed(client, near="Lyon", within="400km", sort="")
    menu = html.split('id="id_sort"')[1].split("</select>")[0]
    assert menu.index('<option value="">Distance</option>') < menu.index('value="updated"')
    _, _, by_distance = listed(client, near="Lyon", within="400km", sort="distance")
    assert trials == by_distance


def test_where_the_registry_has_sites_settles_a_shared_name(records):
    # Barcelona, Spain is only twice as populous as Barcelona, Venezuela: a choice to make...
    with pytest.raises(places.PlaceError) as ambiguous:
        places.locate("Barcelona")
    assert {choice.country for choice in ambiguous.value.choices} == {"ES", "VE"}
    # ...until the registry has a site there.
    trial = Site.objects.first().trial
    Site.objects.create(trial=trial, city="Barcelona", country="Spain", latitude=41.38879, longitude=2.15899)
    # A located place is kept a while (the cache), the error alike...
    with pytest.raises(places.PlaceError):
        places.locate("Barcelona")
    cache.clear()
    assert places.locate("Barcelona").country == "ES"


def test_the_about_page_credits_geonames(client, db):
    html = client.get(reverse("trials:about_data")).content.decode()
    assert "GeoNames" in html and "CC BY 4.0" in html


def sites_from_records(nct_id: str, lat: float, lon: float, km: float) -> list[tuple[str, str]]:
    """The answer from the record itself: (facility, distance shown) of its sites within ``km``, nearest first."""
    study = json.loads((PLACES / f"{nct_id}.json").read_text())["protocolSection"]
    measured = sorted(
        (places.haversine_km(lat, lon, site["geoPoint"]["lat"], site["geoPoint"]["lon"]), position, site["facility"])
        for position, site in enumerate(study["contactsLocationsModule"]["locations"])
        if "geoPoint" in site
    )
    return [(facility, places.format_km(distance)) for distance, _, facility in measured if distance <= km]


def test_a_near_list_links_to_each_trial_with_its_sites_there_nearest_first(client, records):
    _, html, trials = listed(client, near="Lyon", within="250km")
    assert "NCT03955198" in trials
    link = "/trials/NCT03955198/?near=Lyon%2C+France&amp;within=250+km#sites-near"
    assert link in html
    response = client.get(link.replace("&amp;", "&"))
    assert response.status_code == 200
    page = response.content.decode()
    block = page.split('id="sites-near"')[1].split("</section>")[0]
    assert "Sites within 250 km of Lyon, France" in block
    shown = re.findall(r"<strong>([^<]+)</strong>, [^—]+ — ([\d.,]+ km)", block)
    expected = sites_from_records("NCT03955198", *LYON, 250)
    # Lyon Sud (0 km), then Dijon, Avignon and Auxerre; its four sites farther away are not listed here.
    assert shown == expected and len(expected) == 4
    assert expected[0] == ("Centre Hospitalier Universitaire Lyon Sud", "0.0 km")
    # The farther sites are in the groups below, with every other.
    groups = page.split('id="sites-near"')[1].split("</section>", 1)[1]
    farther = sites_from_records("NCT03955198", *LYON, 20_000)[4:]
    assert len(farther) == 4 and all(facility in groups for facility, _ in farther)


def test_the_sites_near_a_place_cost_the_trial_page_no_query(client, records, django_assert_max_num_queries):
    url = reverse("trials:detail", args=["NCT05997121"])
    client.get(url)
    with django_assert_max_num_queries(40) as plain:
        client.get(url, {"unused": "1"})  # not from the shared cache
    with django_assert_max_num_queries(40) as near:
        response = client.get(url, {"near": "45.74906,4.84789", "within": "120km"})
    assert len(near.captured_queries) <= len(plain.captured_queries) + 1  # the gazetteer's look-up at most
    block = response.content.decode().split('id="sites-near"')[1].split("</section>")[0]
    # Nearest first, whatever the status: the Lyon clinic (recruiting), then Geneva (not yet).
    assert re.findall(r"<strong>([^<]+)</strong>", block) == ["Clinique Saint Charles", "Clinicque Générale Beaulieu"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"near": "Xqzvbw"}, "We do not know a place called"),
        ({"near": "Lyon", "within": "-5km"}, "is not a distance"),
        ({"near": "Lyon", "within": "99999mi"}, "out of range"),
        ({"near": "L" * 101}, "at most 100 characters"),
        ({"near": "Springfield"}, "Several places are called"),
    ],
)
def test_a_trial_page_near_a_bad_place_is_a_400_that_says_why(client, records, params, message):
    response = client.get(reverse("trials:detail", args=["NCT03955198"]), params)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and "Centre Georges-Francois Leclerc" in html  # the sites, by country
    # Control characters are refused before any page is made.
    response = client.get(reverse("trials:detail", args=["NCT03955198"]), {**params, "near": "Lyon\x00"})
    assert response.status_code == 400 and b"may not contain NUL" in response.content


def test_a_trial_page_says_when_no_site_is_near(client, records):
    response = client.get(reverse("trials:detail", args=["NCT00179517"]), {"near": "Lyon", "within": "50km"})
    assert response.status_code == 200
    assert "None of this trial's sites lies within 50 km of Lyon, France" in response.content.decode()


postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL table")


def site_points() -> list[tuple[float, float, int]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT latitude, longitude, sites FROM trials_site_point ORDER BY 1, 2")
        return cursor.fetchall()


def points_of_sites() -> list[tuple[float, float, int]]:
    """The answer from the sites themselves: each point once, with its number of sites."""
    grouped = (
        Site.objects.filter(latitude__isnull=False, longitude__isnull=False)
        .values_list("latitude", "longitude")
        .annotate(sites=Count("id"))
        .order_by("latitude", "longitude")
    )
    return list(grouped)


@postgresql_only
def test_the_sites_points_stay_exact_through_imports_edits_and_deletions(records):
    assert site_points() == points_of_sites() and len(site_points()) > 10
    report = import_paths([PLACES])  # the same records again: every trial's children rewritten
    assert report.ok and site_points() == points_of_sites()
    site = Site.objects.filter(latitude__isnull=False).first()
    site.latitude, site.longitude = 35.6895, 139.69171  # moved to Tokyo, as an editor would
    site.save()
    assert (35.6895, 139.69171, 1) in site_points() and site_points() == points_of_sites()
    Site.objects.filter(trial=site.trial).update(latitude=None)
    assert not [point for point in site_points() if point[:2] == (35.6895, 139.69171)]
    assert site_points() == points_of_sites()
    Trial.objects.filter(nct_id__in=["NCT03955198", "NCT05997121"]).delete()
    assert site_points() == points_of_sites()
    Site.objects.all().delete()
    assert site_points() == []
    Trial.objects.all().delete()
    report = import_paths([PLACES], bulk=True)  # COPY, with the sites' indexes built afterwards
    assert report.ok and site_points() == points_of_sites() and len(site_points()) > 10
    with connection.cursor() as cursor:  # as Django's flush empties the tables between tests
        cursor.execute("TRUNCATE trials_site CASCADE")
    assert site_points() == []


def test_a_site_moved_by_an_edit_is_found_at_its_new_place(client, records):
    site = Site.objects.filter(trial__nct_id="NCT00179517", latitude__isnull=False).first()
    site.latitude, site.longitude = 35.6895, 139.69171
    site.save()
    _, html, trials = listed(client, near="35.6895,139.69171", within="10km")
    assert trials == ["NCT00179517"]
    assert f"{site.facility}, {site.city} — 0.0 km" in html
