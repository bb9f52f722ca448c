"""A trial's sites grouped and filtered (``trials.sites``), and their map (``trials.world_map``)."""

from __future__ import annotations

import gzip
import json

import pytest

from trials import sites, world_map
from trials.importers import import_paths
from trials.sites import SiteFilter, SiteRow
from trials.templatetags import site_tags


def row(pk, city, state, country, status="RECRUITING", latitude=None, longitude=None, facility="Clinic"):
    return SiteRow(pk, f"{facility} {pk}", city, state, "", country, status, latitude, longitude)


ROWS = [
    row(1, "Lyon", "", "France", latitude=45.75, longitude=4.85),
    row(2, "Boston", "Massachusetts", "United States", "SUSPENDED", 42.36, -71.06),
    row(3, "Austin", "Texas", "United States", latitude=30.27, longitude=-97.74),
    row(4, "Paris", "", "France", "COMPLETED"),
]


def test_groups_come_by_place_unless_an_ordering_is_given():
    groups = sites.grouped_sites(ROWS)
    assert [country.name for country in groups.countries] == ["France", "United States"]
    assert [region.name for region in groups.countries[1].regions] == ["Massachusetts", "Texas"]
    # Nearest first (as a ?near= page orders them): groups follow their first site.
    by_longitude = sites.grouped_sites(ROWS, ordering=lambda site: site.longitude or 0.0)
    assert [country.name for country in by_longitude.countries] == ["United States", "France"]
    assert [region.name for region in by_longitude.countries[0].regions] == ["Texas", "Massachusetts"]


def test_the_filter_keeps_matching_sites_and_counts_them():
    site_filter = SiteFilter.from_query({"site_country": "united states", "site_status": "recruiting"})
    groups = sites.grouped_sites(ROWS, site_filter)
    assert [entry.site.id for entry in groups.countries[0].regions[0].cities[0].sites] == [3]
    assert (groups.count, groups.recruiting, groups.total, groups.recruiting_total) == (1, 1, 4, 2)
    assert site_filter.describe() == "in the united states; recruiting"
    assert site_filter.query(region="Texas") == ("site_country=united+states&site_region=Texas&site_status=RECRUITING")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"site_status": "open"}, "“open” is not a site status"),
        ({"site_q": "x" * 201}, "at most 200 characters"),
    ],
)
def test_a_filter_that_cannot_be_read_says_why(query, message):
    with pytest.raises(ValueError, match=message):
        SiteFilter.from_query(query)


def test_past_sixty_sites_the_first_screen_is_listed_and_the_rest_counted():
    many = [row(n, f"City {n}", f"State {n // 10:02d}", "United States") for n in range(200)]
    groups = sites.grouped_sites(many)
    assert not groups.all_shown
    regions = groups.countries[0].regions
    listed = [region for region in regions if region.shown]
    assert [region.name for region in listed] == ["State 00", "State 01"]
    assert sum(region.count for region in listed) == 20
    assert regions[2].query == "site_country=United+States&site_region=State+02"


def test_the_map_draws_each_placed_site_once_recruiting_on_top():
    drawn = world_map.site_map(ROWS, "caption")
    assert (drawn.placed, drawn.recruiting, drawn.unplaced) == (3, 2, 1)
    assert 'aria-labelledby="caption"' in drawn.svg
    marks = drawn.svg.split('<path class="mark" d="')[1].split('"')[0]
    recruiting = drawn.svg.split('<path class="mark recruiting" d="')[1].split('"')[0]
    assert marks.count("h0") == 1 and recruiting.count("h0") == 2
    assert world_map.site_map([ROWS[3]], "caption") is None


def test_the_committed_outlines_are_what_the_vendored_atlas_converts_to(tmp_path):
    target = tmp_path / "world.json.gz"
    assert world_map.build_outlines(world_map.TOPOJSON_PATH, target) == 176
    assert target.read_bytes() == world_map.OUTLINES_PATH.read_bytes()
    names = [name for name, _, _ in json.loads(gzip.decompress(target.read_bytes()))["countries"]]
    assert "France" in names and "Antarctica" not in names


# The contiguous United States, then Honolulu twice (as far as the mainland's sites are spread), and Guam.
MAINLAND = [(40.7, -74.0), (41.9, -87.6), (29.8, -95.4), (34.1, -118.2), (47.6, -122.3), (39.7, -105.0)] * 4
FAR = [("Honolulu", "Hawaii", "United States", 21.3, -157.9)] * 2 + [("Tamuning", "", "Guam", 13.5, 144.8)]


def test_the_map_crops_to_the_main_group_and_names_the_places_beyond_it():
    mainland = [
        row(n, "City", "State", "United States", latitude=lat, longitude=lon) for n, (lat, lon) in enumerate(MAINLAND)
    ]
    far = [row(100 + n, *place[:3], latitude=place[3], longitude=place[4]) for n, place in enumerate(FAR)]
    drawn = world_map.site_map(mainland + far, "caption")
    assert drawn.outside == [("Guam", 1)] and drawn.outside_count == 1
    assert (drawn.placed, drawn.recruiting) == (27, 27)
    # The view (size, scale and outlines) is the main group's alone, Hawaii with it.
    alone = world_map.site_map(mainland + far[:2], "caption")
    assert drawn.svg.split('<path class="mark')[0] == alone.svg.split('<path class="mark')[0]
    assert drawn.svg.count("h0") == alone.svg.count("h0")


def test_a_place_beyond_the_map_named_by_its_country_alone_reads_as_a_sentence_says_it():
    mainland = [
        row(n, "City", "State", "United States", latitude=lat, longitude=lon) for n, (lat, lon) in enumerate(MAINLAND)
    ]
    drawn = world_map.site_map(
        [*mainland, row(99, "Majuro", "", "Marshall Islands", latitude=7.1, longitude=171.4)], "c"
    )
    assert drawn.outside == [("the Marshall Islands", 1)]


def test_groups_of_sites_far_apart_are_all_drawn():
    # Half in the United States, half in Europe: no main group, the map shows both.
    europe = [(48.9, 2.4), (52.5, 13.4), (41.9, 12.5), (40.4, -3.7), (51.5, -0.1), (59.3, 18.1)] * 4
    rows = [row(n, "City", "", "X", latitude=lat, longitude=lon) for n, (lat, lon) in enumerate(MAINLAND + europe)]
    assert world_map.site_map(rows, "caption").outside == []
    # One far site among four is not few enough to leave out.
    few = [row(n, "City", "", "X", latitude=lat, longitude=lon) for n, (lat, lon) in enumerate(MAINLAND[:3])]
    assert world_map.site_map([*few, row(9, *FAR[2][:3], latitude=13.5, longitude=144.8)], "c").outside == []


def test_past_the_first_screen_a_country_is_its_counts_and_a_link_to_its_sites():
    many = [row(n, f"City {n}", f"Region {n % 3}", f"Country {n // 15:02d}") for n in range(150)]
    groups = sites.grouped_sites(many)
    shown = [country.name for country in groups.countries if country.shown]
    # The first three countries are split into regions; the first screen's sites are listed among them.
    assert shown == ["Country 00", "Country 01", "Country 02"] and 0 < groups.shown <= sites.SHOW_ALL
    later = groups.countries[3]
    assert (later.regions, later.open, later.count, later.query) == ([], False, 15, "site_country=Country+03")
    html = site_tags.site_groups(groups)
    assert (
        '<details class="site-country"><summary><span class="group-name">Country 03</span> — 15 sites, 15 recruiting'
        '</summary>\n<p class="site-link"><a href="?site_country=Country+03#locations-heading">'
        "List all 15 sites in Country 03</a></p>\n</details>"
    ) in html
    # Filtered to that country, its sites are listed.
    only = sites.grouped_sites(many, SiteFilter.from_query({"site_country": "Country 03"}))
    assert only.all_shown and only.shown == 15


def test_a_sites_contacts_are_written_linked_and_escaped():
    contact = sites.ContactRow(1, 1, "Dr <A>", "PRINCIPAL_INVESTIGATOR", "(816) 302-6797", "12", "a&b@x.org")
    assert contact.get_role_display() == "Principal Investigator"
    groups = sites.grouped_sites([row(1, "Lyon", "", "France")])
    groups.countries[0].regions[0].cities[0].sites[0].contacts.append(contact)
    html = site_tags.site_groups(groups)
    assert (
        '<ul class="contacts"><li><strong>Dr &lt;A&gt;</strong>, Principal Investigator<br>'
        '<a href="tel:8163026797;ext=12">(816) 302-6797</a> ext. 12<br><a href="mailto:a&amp;b@x.org">a&amp;b@x.org</a>'
        "</li></ul>"
    ) in html
    assert "Dr &lt;A&gt;</strong>, Principal Investigator, <a href" in site_tags.site_lines(groups)


@pytest.mark.parametrize(
    ("query", "target"),
    [
        ("country=France", "site_country=France"),
        (
            "country=United+States&region=Texas&site_status=RECRUITING",
            "site_country=United+States&site_region=Texas&site_status=RECRUITING",
        ),
        ("site_country=Spain&country=France", "site_country=Spain"),
    ],
)
def test_the_former_site_filter_names_move_for_good_to_the_current_ones(client, seed_trial, query, target):
    response = client.get(f"/trials/NCT04133233/?{query}")
    assert response.status_code == 301
    assert response["Location"] == f"/trials/NCT04133233/?{target}"


def test_the_1148_site_record_lists_a_screen_of_sites_and_maps_the_mainland(
    db, client, ctgov_data, django_assert_num_queries
):
    assert import_paths([ctgov_data / "NCT04267848.json"]).ok
    # The trial with its sites and their contacts in one query, which gives the page its version.
    with django_assert_num_queries(1):
        html = client.get("/trials/NCT04267848/").content.decode()
    assert "Map of 1,144 sites" in html
    assert "31 sites lie beyond its edges: 21 in Hawaii, United States; 9 in Alaska, United States; 1 in Guam." in html
    assert 0 < html.count('<li class="site">') <= sites.SHOW_ALL
    assert len(html.encode()) < 80_000


def test_a_page_reads_its_sites_and_contacts_in_the_trials_own_query(db, django_assert_num_queries):
    from trials.models import Site, Trial
    from trials.models.queries import PAGE_RELATIONS
    from trials.tests.factories import make_trial

    trial = make_trial("NCT90000300", size=3)
    first = trial.sites.order_by("id").first()
    # Out of id order by position, and a whole degree, which PostgreSQL's JSON writes without its ".0".
    Site.objects.filter(pk=first.pk).update(position=9, latitude=48.0, longitude=2.5)
    with django_assert_num_queries(1):
        read = Trial.objects.one_with_rows("NCT90000300", PAGE_RELATIONS, sites.SITES_AND_CONTACTS)
        rows = sites.site_rows(read)
        groups = sites.grouped_sites(rows)
        central = sites.with_contacts(groups, read)
    stored = Site.objects.filter(trial=trial).order_by("position", "id").values_list(*SiteRow._fields[:-1])
    assert [row[:-1] for row in rows] == list(stored)
    assert rows[-1].id == first.pk and type(rows[-1].latitude) is float
    assert [contact.name for contact in central] == ["Central"]
    listed = {entry.site.facility: [contact.name for contact in entry.contacts] for entry in _entries(groups)}
    assert listed == {"Hospital 0": ["Nurse 0"], "Hospital 1": ["Nurse 1"], "Hospital 2": ["Nurse 2"]}
    # A filter that lists no site leaves every site's contacts aside, the central ones kept.
    none = sites.grouped_sites(rows, SiteFilter(country="Nowhere"))
    assert [contact.name for contact in sites.with_contacts(none, read)] == ["Central"]
    assert not _entries(none)


def _entries(groups: sites.SiteGroups) -> list[sites.SiteEntry]:
    return [
        entry
        for country in groups.countries
        for region in country.regions
        for city in region.cities
        for entry in city.sites
    ]


def test_a_country_is_named_in_running_text_as_english_says_it(db, client, ctgov_data):
    # NCT00215631: one site, in the Netherlands; NCT05949684: sites in 24 countries, Czechia and the United States
    # among those past its first screen.
    assert import_paths([ctgov_data / "NCT00215631.json", ctgov_data / "NCT05949684.json"]).ok
    html = client.get("/trials/NCT00215631/?site_country=United+States").content.decode()
    assert "No site of this trial is in the United States." in html
    assert (
        "1 of 1 sites in the Netherlands."
        in client.get("/trials/NCT00215631/?site_country=Netherlands").content.decode()
    )
    html = client.get("/trials/NCT05949684/").content.decode()
    assert "List all 39 sites in the United States</a>" in html and "List all 3 sites in Czechia</a>" in html
    # Headings and choices keep the name.
    assert '<span class="group-name">United States</span>' in html and ">United States (39)</option>" in html
