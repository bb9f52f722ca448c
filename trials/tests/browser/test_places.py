"""Search near a place, in Chromium, at a phone's width and a desktop's: rows, choices, reflow, axe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from trials.importers import import_paths

from .conftest import SCREENSHOTS, VIEWPORTS, axe_violations, screenshot
from .data import TEST_DATA

pytestmark = pytest.mark.django_db(transaction=True)


def load_places() -> None:
    report = import_paths([TEST_DATA / "places"])
    assert report.ok, report.failures


@pytest.mark.parametrize("width", VIEWPORTS)
def test_a_place_search_names_each_trials_nearest_site(new_page, width):
    load_places()
    page = new_page(VIEWPORTS[width], bypass_csp=True)  # axe is injected as a script
    page.goto("/trials/")
    page.get_by_label("Near").fill("Lyon")
    page.get_by_label("within").fill("50km")
    page.locator(".place-row").get_by_role("button", name="Search").click()
    expect(page.locator(".place-notice")).to_contain_text("within 50 km of Lyon, France")
    expect(page.locator(".nct")).to_have_text(["NCT03955198", "NCT04631133", "NCT05997121"])  # nearest first
    expect(page.locator(".nearest").first).to_have_text(
        "Nearest site: Centre Hospitalier Universitaire Lyon Sud, Lyon — 0.0 km"
    )
    screenshot(page, f"near-lyon-{width}")
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[width]["width"]


@pytest.mark.parametrize("width", VIEWPORTS)
def test_an_ambiguous_place_offers_links_to_each_choice(new_page, width):
    load_places()
    page = new_page(VIEWPORTS[width], bypass_csp=True)
    page.goto("/trials/?near=Springfield&within=50km")
    expect(page.get_by_role("alert")).to_contain_text("Several places are called “Springfield”")
    screenshot(page, f"near-ambiguous-{width}")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Springfield, Illinois, United States").click()
    expect(page.locator(".place-notice")).to_contain_text("Springfield, Illinois, United States")


@pytest.mark.parametrize("width", VIEWPORTS)
def test_a_row_leads_to_the_trials_sites_near_the_place_nearest_first(new_page, width):
    load_places()
    page = new_page(VIEWPORTS[width], bypass_csp=True)
    page.goto("/trials/?near=Lyon&within=250km")
    page.locator("article.trial-card").first.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/trials/NCT03955198/\?near=.*#sites-near$"))
    near = page.locator("#sites-near")
    expect(near.get_by_role("heading")).to_have_text("Sites within 250 km of Lyon, France")
    expect(near.locator("li.site").first).to_contain_text("Lyon — 0.0 km")
    screenshot(page, f"trial-sites-near-{width}")
    near.screenshot(path=str(SCREENSHOTS / f"trial-sites-near-list-{width}.png"))
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[width]["width"]
