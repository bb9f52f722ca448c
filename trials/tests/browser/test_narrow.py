"""At 320 and 390 px the home page and the list read without sideways scrolling, on real records with long words."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from trials.importers import import_paths

from .conftest import SCREENSHOTS, screenshot
from .data import TEST_DATA, load_site
from .test_phones import PHONES, overflow

pytestmark = pytest.mark.django_db(transaction=True)

# Real records whose intervention names are long unbroken words (data/narrow/README.md).
LONG_WORDS = sorted((TEST_DATA / "narrow").glob("NCT*.json"))


@pytest.fixture
def long_words():
    load_site()
    report = import_paths(LONG_WORDS)
    assert report.ok, report.failures


def sideways(page, url: str, width: int) -> str:
    """Empty when the page fits ``width``, else how wide it is and what sticks out."""
    assert page.goto(url).status == 200, url
    scroll = page.evaluate("document.documentElement.scrollWidth")
    return "" if scroll <= width else f"{url} at {width}: {scroll} px wide: {overflow(page)}"


@pytest.mark.parametrize("width", PHONES)
def test_the_home_page_and_the_list_fit_a_phone_with_long_words(new_page, long_words, width):
    viewport = PHONES[width]
    page = new_page(viewport)
    urls = ["/", "/trials/", "/trials/?q=pemetrexed", "/trials/?q=baxdrostat"]
    problems = [problem for url in urls if (problem := sideways(page, url, viewport["width"]))]
    page.goto("/trials/?q=pemetrexed")
    expect(page.get_by_text("TY-9591 80mg QD+pemetrexed+Cisplatin/Carboplatin", exact=False)).to_be_visible()
    screenshot(page, f"list-long-words-{width}")
    # Labels stay whole beside the values that wrap: "Interventions" on one line.
    label = page.locator(".facts-inline dt", has_text="Interventions").first
    lines = "el => { const r = document.createRange(); r.selectNodeContents(el); return r.getClientRects().length; }"
    assert label.evaluate(lines) == 1
    page.goto("/")
    screenshot(page, f"home-{width}")
    page.screenshot(path=str(SCREENSHOTS / f"home-{width}-top.png"))
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("width", PHONES)
def test_the_home_search_form_fits_with_its_button_in_view(new_page, long_words, width):
    viewport = PHONES[width]
    page = new_page(viewport)
    page.goto("/")
    button = page.locator(".hero form").get_by_role("button", name="Search")
    box = button.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    field = page.locator("#home-q").bounding_box()
    assert field["x"] + field["width"] <= box["x"]


def test_results_captions_read_whole_inside_their_scroll_box_at_320(new_page):
    assert import_paths([TEST_DATA / "ctgov" / "NCT04280705.json"]).ok
    viewport = PHONES["320"]
    page = new_page(viewport)
    page.goto("/trials/NCT04280705/results/")
    # Every caption's text is within the part of its box that shows, at any scroll position.
    cut = page.evaluate(
        """() => [...document.querySelectorAll(".table-scroll caption")].flatMap(caption => {
            const box = caption.closest(".table-scroll").getBoundingClientRect();
            const range = document.createRange();
            range.selectNodeContents(caption);
            const rects = [...range.getClientRects()];
            return rects.some(r => r.width > 0 && (r.left < box.left - 0.5 || r.right > box.right + 0.5))
                ? [caption.textContent.slice(0, 60)] : [];
        })"""
    )
    assert cut == []
    page.locator("#events-serious-caption").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "results-captions-320-events.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
