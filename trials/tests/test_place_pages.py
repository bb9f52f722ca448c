"""A place asked for on a trial's page (``?near=``): its choices when ambiguous, places named with their region."""

from __future__ import annotations

from html import unescape
from pathlib import Path

import pytest
from django.urls import reverse

from trials.importers import import_paths

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
