"""An ambiguous place on a trial's page, in Chromium: its choices are links, as on the list page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from trials.importers import import_paths

from .conftest import VIEWPORTS, axe_violations, screenshot
from .data import TEST_DATA

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", VIEWPORTS)
def test_an_ambiguous_place_on_a_trials_page_offers_links_to_each_choice(new_page, width):
    report = import_paths([TEST_DATA / "places"])
    assert report.ok, report.failures
    page = new_page(VIEWPORTS[width], bypass_csp=True)
    page.goto("/trials/NCT00179517/?near=Springfield&within=50km")
    notice = page.locator("#sites-near")
    expect(notice).to_contain_text("Several places are called “Springfield”")
    expect(notice.locator(".place-choices a").first).to_be_visible()
    screenshot(page, f"trial-near-ambiguous-{width}")
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[width]["width"]
    notice.get_by_role("link", name="Springfield, Illinois, United States").click()
    heading = page.locator("#sites-near-heading")
    expect(heading).to_have_text("Sites within 50 km of Springfield, Illinois, United States")
