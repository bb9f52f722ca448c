"""Distance ordering read ring by ring (PostgreSQL): the same pages as sorting every trial in the circle."""

from __future__ import annotations

import random

import pytest
from django.db import connection

from trials import places
from trials.models import Site, Trial
from trials.places import nearest, points
from trials.tests.factories import make_trial

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="rings read the PostgreSQL points table"),
]

CENTRE = (45.75, 4.85)
# A dense point at the centre, and points at growing distances around it (about 1 to 40 km).
POINTS = [CENTRE] + [(45.75 + 0.01 * n * (-1) ** n, 4.85 + 0.013 * n) for n in range(1, 30)]
RECRUITING = "RECRUITING"


@pytest.fixture
def trials():
    """Sixty trials: most at the dense centre, some recruiting only far off, one with no site in reach."""
    chance = random.Random(18)
    made = [make_trial(f"NCT9{n:07d}", size=1) for n in range(60)]
    Site.objects.all().delete()
    sites = []
    for trial in made:
        spots = [CENTRE] if chance.random() < 0.6 else []
        spots += chance.sample(POINTS[1:], chance.randint(0, 4))
        spots = spots or [chance.choice(POINTS)]
        for lat, lon in spots:
            for _ in range(chance.randint(1, 3)):  # a few sites on one point, as the registry has
                status = RECRUITING if chance.random() < 0.3 else "COMPLETED"
                sites.append(Site(trial=trial, facility="Site", latitude=lat, longitude=lon, status=status))
    Site.objects.bulk_create(sites)
    return made


@pytest.fixture
def small_rings(monkeypatch):
    """Rings of a few sites, so that sixty trials make several rings and a dense point."""
    monkeypatch.setattr(points, "FIRST_RING_SITES", 6)
    monkeypatch.setattr(points, "RING_SITES_PER_TRIAL", 1)
    monkeypatch.setattr(points, "DENSE_POINT_SITES", 20)
    monkeypatch.setattr(points, "MAX_RINGS", 5)
    monkeypatch.setattr(points, "RING_GROWTH", 2)


def sorted_everything(ordered, start: int, stop: int) -> list:
    """The same slice, read by sorting every trial in the circle (the ordering's own query)."""
    return list(ordered[start:stop])


@pytest.mark.parametrize("recruiting_first", [True, False])
@pytest.mark.parametrize("km", [5.0, 30.0, 100.0])
def test_pages_read_by_rings_are_the_pages_of_the_whole_ordering(trials, small_rings, recruiting_first, km):
    circle = places.Circle(*CENTRE, km)
    assert len(list(points.rings(circle, 5, lambda half: half))) > 2
    ordered = places.order_by_distance(Trial.objects.all(), circle, recruiting_first)
    rows = ordered.values_list("pk", nearest.NEAREST_KM)
    total = len(sorted_everything(rows, 0, 1000))
    assert total > 30
    for start, stop in [(0, 5), (5, 10), (0, 25), (20, 45), (total - 3, total + 5), (0, 1000)]:
        assert places.page(rows, start, stop) == sorted_everything(rows, start, stop)
    assert [trial.pk for trial in places.page(ordered, 3, 9)] == [row[0] for row in sorted_everything(rows, 3, 9)]


def test_a_trial_lists_at_its_nearest_recruiting_site(trials, small_rings):
    near, far, out_of_reach = CENTRE, (46.02, 4.85), (48.85, 2.35)
    Site.objects.filter(trial__in=trials[:2]).delete()
    Site.objects.bulk_create(
        [
            Site(trial=trials[0], latitude=near[0], longitude=near[1], status="COMPLETED"),
            Site(trial=trials[0], latitude=far[0], longitude=far[1], status=RECRUITING),
            Site(trial=trials[1], latitude=near[0], longitude=near[1], status="COMPLETED"),
            Site(trial=trials[1], latitude=out_of_reach[0], longitude=out_of_reach[1], status=RECRUITING),
        ]
    )
    circle = places.Circle(*CENTRE, 100)
    ordered = places.order_by_distance(Trial.objects.all(), circle).values_list("pk", nearest.NEAREST_KM)
    rows = places.page(ordered, 0, 99)
    assert rows == sorted_everything(ordered, 0, 99)
    by_id = dict(rows)
    assert by_id[trials[0].pk] == pytest.approx(places.haversine_km(*CENTRE, *far))
    assert [pk for pk, _ in rows].count(trials[0].pk) == 1
    # Its recruiting site out of reach, a trial lists at its nearest site.
    assert by_id[trials[1].pk] == 0


def test_filters_and_geo_decay_hold_in_every_ring(trials, small_rings):
    circle = places.Circle(*CENTRE, 60)
    recruiting = Trial.objects.filter(sites__status=RECRUITING).distinct().values("pk")
    ordered = places.order_by_distance(Trial.objects.filter(pk__in=recruiting), circle, False, 2.0, 10.0)
    rows = ordered.values_list("pk", "nct_id")
    for start, stop in [(0, 7), (7, 14), (0, 100)]:
        assert places.page(rows, start, stop) == sorted_everything(rows, start, stop)


def test_a_filter_added_after_the_ordering_holds(trials, small_rings):
    circle = places.Circle(*CENTRE, 60)
    wanted = [trial.pk for trial in trials[::3]]
    ordered = places.order_by_distance(Trial.objects.all(), circle).filter(pk__in=wanted)
    rows = ordered.values_list("pk", nearest.NEAREST_KM)
    expected = places.order_by_distance(Trial.objects.filter(pk__in=wanted), circle)
    expected = expected.values_list("pk", nearest.NEAREST_KM)
    assert 5 < len(sorted_everything(expected, 0, 100)) < len(trials) // 2
    for start, stop in [(0, 5), (5, 10), (0, 100)]:
        assert places.page(rows, start, stop) == sorted_everything(expected, start, stop)
    assert [trial.pk for trial in places.page(ordered, 0, 5)] == [pk for pk, _ in sorted_everything(expected, 0, 5)]


def test_deep_pages_sort_the_whole_circle(trials, small_rings, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(nearest, "RINGS_UP_TO", 20)
    rows = places.order_by_distance(Trial.objects.all(), places.Circle(*CENTRE, 40)).values_list("pk", "nct_id")
    expected = sorted_everything(rows, 20, 25)
    with django_assert_num_queries(1):  # the circle's points are measured already
        assert places.page(rows, 20, 25) == expected


def test_a_page_at_a_dense_point_reads_a_few_queries(trials, small_rings, django_assert_max_num_queries):
    circle = places.Circle(*CENTRE, 40)
    ordered = places.order_by_distance(Trial.objects.all(), circle)
    # The points, each ring read (at most MAX_RINGS, a dense one between two settings), then the page's rows.
    with django_assert_max_num_queries(1 + 3 * points.MAX_RINGS + 1):
        assert len(places.page(ordered.values_list("pk", "nct_id"), 0, 10)) == 10
