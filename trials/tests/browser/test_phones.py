"""On a phone, every tab of every record in the test data reads without sideways scrolling and passes axe."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from trials.importers import import_paths

from .conftest import DESKTOP, SCREENSHOTS, axe_violations
from .data import TEST_DATA, load_site

pytestmark = pytest.mark.django_db(transaction=True)

PHONES = {"320": {"width": 320, "height": 568}, "390": {"width": 390, "height": 844}}
TABS = ["", "design/", "eligibility/", "results/", "related/", "print/"]
RECORDS = sorted(TEST_DATA.glob("ctgov/NCT*.json")) + sorted(TEST_DATA.glob("pages/NCT*.txt"))


def overflow(page) -> list[str]:
    """What sticks out past the right edge of the screen, for the failure message."""
    return page.evaluate(
        """() => [...document.querySelectorAll("body *")]
            .filter(el => el.getBoundingClientRect().right > innerWidth + 0.5
                && !el.closest(".table-scroll") && getComputedStyle(el).position !== "absolute")
            .slice(0, 5).map(el => el.tagName.toLowerCase() + "." + el.className + ": "
                + (el.innerText || "").slice(0, 60))"""
    )


@pytest.mark.parametrize("path", RECORDS, ids=[path.stem for path in RECORDS])
def test_every_tab_fits_a_phone_and_passes_axe(new_page, path):
    report = import_paths([path])
    assert report.ok, report.failures
    nct_id = path.stem
    problems = []
    for width, viewport in PHONES.items():
        page = new_page(viewport, bypass_csp=True)  # axe is injected as a script
        for tab in TABS:
            url = f"/trials/{nct_id}/{tab}"
            assert page.goto(url).status == 200, url
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > viewport["width"]:
                problems.append(f"{url} at {width}: {scroll} px wide: {overflow(page)}")
            # axe's rules do not depend on the width but for reflow, checked above: once is enough.
            if width == "320":
                problems += [f"{url}: {v['id']} {v['nodes']}" for v in axe_violations(page)]
    assert problems == [], "\n".join(problems)


def test_on_a_phone_the_filters_come_first_folded_in_the_keyboards_order(new_page):
    load_site()
    page = new_page(PHONES["390"])
    page.goto("/trials/?q=bipolar")
    # The page's own search box, not the header's as well.
    expect(page.get_by_role("searchbox")).to_have_count(1)
    filters = page.locator("details.filters")
    expect(filters).not_to_have_attribute("open", "")
    summary = page.locator("details.filters > summary")
    heading = page.locator("#results-heading")
    # Above the results on screen, as in the document, so Tab meets it first too.
    assert summary.bounding_box()["y"] < heading.bounding_box()["y"] < PHONES["390"]["height"]
    page.locator("#id_exact").focus()  # the search form's last control
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    page.keyboard.press("Enter")
    expect(page.get_by_label("Country")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONES["390"]["width"]


def test_without_javascript_the_filters_are_open_and_still_first(new_page):
    load_site()
    page = new_page(PHONES["390"], java_script_enabled=False)
    page.goto("/trials/?q=bipolar")
    expect(page.get_by_label("Country")).to_be_visible()
    assert page.get_by_label("Country").bounding_box()["y"] < page.locator("#results-heading").bounding_box()["y"]


def test_the_phone_home_page_has_one_search_box(new_page):
    load_site()
    page = new_page(PHONES["320"])
    page.goto("/")
    expect(page.get_by_role("searchbox")).to_have_count(1)
    expect(page.get_by_role("searchbox")).to_be_in_viewport()


@pytest.mark.parametrize("width", ["390", "1280"])
def test_a_results_tab_indexes_its_outcomes_and_its_tables_scroll_in_their_box(new_page, width):
    assert import_paths([TEST_DATA / "ctgov" / "NCT04280705.json"]).ok
    viewport = PHONES.get(width, DESKTOP)
    page = new_page(viewport)
    page.goto("/trials/NCT04280705/results/")
    index = page.get_by_role("navigation", name="43 outcome measures, primary first").get_by_role("link")
    expect(index).to_have_count(43)
    expect(index.nth(1)).to_have_text("Primary: Time to Recovery by Race")
    index.nth(1).click()
    expect(page.locator("#outcome-41-title")).to_be_in_viewport()
    # A caption says what the numbers are, apart from the rows' names.
    region = page.locator("#baseline-denoms-caption").locator("xpath=ancestor::div[@role='region']")
    caption = page.locator("caption", has_text="Region of Enrollment")
    expect(caption.locator(".units")).to_have_text("Shown as: Number · Unit: participants")
    expect(caption.locator("xpath=..").locator("tbody th").first).to_have_text("Greece")
    assert region.get_attribute("tabindex") == "0"
    styles = page.evaluate(
        """() => [...document.querySelectorAll("table.results th.number")].map(th => {
            const style = getComputedStyle(th);
            return [style.textAlign, style.overflowWrap, style.wordBreak];
        })"""
    )
    assert styles and all(style == ["right", "normal", "normal"] for style in styles)
    # Every header word stays whole: each word of a column header is on one line.
    broken = page.evaluate(
        """() => [...document.querySelectorAll("table.results th[scope=col]")].flatMap(th => {
            const walker = document.createTreeWalker(th, NodeFilter.SHOW_TEXT), found = [];
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                for (const match of node.data.matchAll(/\\S+/g)) {
                    const range = document.createRange();
                    range.setStart(node, match.index);
                    range.setEnd(node, match.index + match[0].length);
                    const tops = new Set([...range.getClientRects()].map(rect => Math.round(rect.top)));
                    if (tops.size > 1) found.push(match[0]);
                }
            }
            return found;
        })"""
    )
    assert broken == []
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    # The page is too tall for one full-page shot: the screen at the top, and at a wide table.
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = f"results-many-outcomes-{'phone' if width == '390' else 'desktop'}"
    page.goto("/trials/NCT04280705/results/")
    page.screenshot(path=str(SCREENSHOTS / f"{name}-top.png"))
    page.locator("#events-serious-caption").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / f"{name}-events.png"))


# Each visible field's example text against the room inside its box, in the placeholder's own font.
PLACEHOLDER_ROOM = """() => [...document.querySelectorAll("input[placeholder]")]
    .filter(el => el.offsetParent).map(el => {
    const style = getComputedStyle(el), context = document.createElement("canvas").getContext("2d");
    context.font = getComputedStyle(el, "::placeholder").font;
    const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return [el.id, Math.ceil(context.measureText(el.placeholder).width), Math.floor(room)];
})"""


@pytest.mark.parametrize("width", ["320", "390"])
def test_no_search_box_clips_its_example_on_a_phone(new_page, width):
    # "e.g. bipolar depre", "Condition, drug, NCT I": beside its button the box is narrower than a long example.
    load_site()
    page = new_page(PHONES[width])
    seen = []
    for url in ["/", "/trials/", "/trials/NCT04133233/", "/no-such-page/"]:
        page.goto(url)
        fields = page.evaluate(PLACEHOLDER_ROOM)
        seen += [field[0] for field in fields]
        assert [field for field in fields if field[1] > field[2]] == [], url
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONES[width]["width"], url
    assert {"home-q", "id_q", "id_near", "header-q", "notfound-q"} <= set(seen)
