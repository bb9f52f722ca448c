"""The pages around the trials, in Chromium at a phone's widths: search, a missing page, the API's guide.

And "Could I take part?" given an age nobody can be.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from trials.models import Trial
from trials.tests.factories import make_trial

from .conftest import DESKTOP, PHONE
from .data import load_site

pytestmark = pytest.mark.django_db(transaction=True)

SMALL_PHONE = {"width": 320, "height": 568}
WIDTHS = {"320": SMALL_PHONE, "390": PHONE, "1280": DESKTOP}


def same_line(first, second) -> bool:
    """Whether two elements' boxes share a horizontal band (one line of the layout)."""
    a, b = first.bounding_box(), second.bounding_box()
    return a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


@pytest.mark.parametrize("width", WIDTHS, ids=list(WIDTHS))
def test_the_distance_keeps_its_label_beside_it_at_every_width(new_page, width):
    load_site()
    page = new_page(WIDTHS[width])
    page.goto("/trials/?near=45.75,4.85&within=50km")
    within = page.get_by_label("within", exact=True)
    label = page.locator("label[for=id_within]")
    expect(within).to_have_value("50km")
    assert same_line(label, within), (label.bounding_box(), within.bounding_box())
    assert same_line(within, page.locator(".place-row button")), "the Search button leaves its box"
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width]["width"]


@pytest.mark.parametrize("width", ["320", "390"])
def test_a_missing_page_on_a_phone_has_one_search_box_that_fits(new_page, width):
    load_site()
    page = new_page(WIDTHS[width])
    assert page.goto("/no-such-page/").status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    boxes = page.locator("input[name=q]")
    expect(boxes).to_have_count(1)
    assert same_line(boxes, page.locator("main form button")), "the button drops under its box"
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width]["width"]
    boxes.fill("depression")
    boxes.press("Enter")
    expect(page).to_have_url("/trials/?q=depression")


def test_an_unknown_trial_also_has_one_search_box(new_page):
    load_site()
    page = new_page(PHONE)
    assert page.goto("/trials/NCT99999999/").status == 404
    expect(page.locator("input[name=q]")).to_have_count(1)


def test_every_example_of_the_api_guide_answers(page):
    load_site()
    page.goto("/api/")
    hrefs = page.locator("main a[href^='/api/v2/']").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert len(hrefs) >= 10
    # An address written with a raw space is not a URL; the browser mends it, other clients do not.
    assert [href for href in hrefs if " " in href] == []
    for href in hrefs:
        response = page.request.get(href)
        assert response.status == 200, (href, response.text()[:200])


@pytest.mark.parametrize(
    ("typed", "unit"),
    [("-3", "years"), ("1e3", "years"), ("2000", "months")],
)
def test_could_i_take_part_refuses_an_age_nobody_can_be(page, typed, unit):
    site = load_site()
    Trial.objects.filter(pk=site.trial.pk).update(overall_status="RECRUITING", status_verified_date="")
    page.goto(f"/trials/{site.trial.nct_id}/eligibility/")
    page.get_by_label("Your age", exact=True).fill(typed)
    page.get_by_label("Age given in").select_option(unit)
    expect(page.locator(".take-part-results li")).to_have_text(
        [f"? Not known: enter an age of 0 or more, up to 130 years; “{typed}” is not one."]
    )
    page.get_by_label("Your age", exact=True).fill("40")
    page.get_by_label("Age given in").select_option("years")
    expect(page.locator(".take-part-results li").first).to_contain_text("You meet this: age 40 years")


def test_the_api_guide_names_the_distance_filter(page):
    load_site()
    page.goto("/api/")
    expect(page.locator("main dl").first).to_contain_text("filter.geo")


def test_words_and_a_place_that_find_nothing_point_to_the_near_box(page):
    load_site()
    page.goto("/trials/?q=bipolar+depression+Atlantis")
    expect(page.locator(".empty")).to_contain_text("Looking near a place? Put it in the “Near” box")
    page.goto("/trials/?q=xyzzy&near=45.75,4.85")
    expect(page.locator(".empty")).to_be_visible()
    expect(page.locator(".empty")).not_to_contain_text("Looking near a place?")


def test_the_pages_of_an_unfiltered_list_link_to_plain_page_numbers(page):
    for number in range(30):
        make_trial(f"NCT9000{number:04d}", size=1)
    page.goto("/trials/?page=2")
    expect(page.get_by_role("link", name="Previous")).to_have_attribute("href", "?page=1")
    page.goto("/trials/?q=generated")
    expect(page.get_by_role("link", name="Next")).to_have_attribute("href", "?q=generated&page=2")
    page.get_by_role("link", name="Next").click()
    expect(page.locator(".pagination [aria-current=page]")).to_have_text("Page 2 of 2")


def test_the_mesh_attribution_reads_as_a_quote_the_width_of_a_phone(new_page):
    load_site()
    page = new_page(SMALL_PHONE)
    page.goto("/about/data/")
    quote = page.locator("blockquote").filter(has_text="Contains MeSH® 2024 data")
    expect(quote).to_contain_text("NLM does not endorse this product")
    box = quote.bounding_box()
    assert box["width"] >= 280, box  # the default 40 px margins left it 208 px of 320
    assert quote.evaluate("el => getComputedStyle(el).borderLeftStyle") == "solid"
