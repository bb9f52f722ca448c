"""A trial's sites grouped and filtered (``trials.sites``), and their map (``trials.world_map``)."""

from __future__ import annotations

import gzip
import json

import pytest

from trials import sites, world_map
from trials.sites import SiteFilter, SiteRow


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
    assert site_filter.describe() == "in united states; recruiting"
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
