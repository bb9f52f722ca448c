"""WCAG 2.2 AA in Chromium: axe-core on every page at phone and desktop widths, and the keyboard."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from trials.choices import OverallStatus

from .conftest import VIEWPORTS, axe_violations, screenshot
from .data import EDITOR_PASSWORD, load_site

pytestmark = pytest.mark.django_db(transaction=True)

PUBLIC_PAGES = {
    "home": "/",
    "search-results": "/trials/?q=bipolar",
    "search-no-results": "/trials/?q=zzyzx",
    "search-details": "/trials/?q=manic+depression",
    "search-corrected": "/trials/?q=bipolr",
    "about-data": "/about/data/",
    "trial-summary": "/trials/NCT04133233/",
    "trial-design": "/trials/NCT04133233/design/",
    "trial-eligibility": "/trials/NCT04133233/eligibility/",
    "trial-related": "/trials/NCT04133233/related/",
    "trial-no-results": "/trials/NCT04133233/results/",
    "trial-results": "/trials/NCT00904748/results/",
    "trial-print": "/trials/NCT04133233/print/",
    "trial-stale": "/trials/NCT05375201/",
    "trial-most-sites": "/trials/NCT04267848/",
    "trial-most-sites-region": "/trials/NCT04267848/?site_country=United+States&site_region=California",
    "glossary": "/glossary/",
    "api": "/api/",
    "not-found": "/trials/NCT99999999/",
}


def log_in(page, password: str = EDITOR_PASSWORD) -> None:
    page.goto(reverse("admin:login"))
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{reverse('admin:index')}")


def describe(violations: list[dict]) -> str:
    return "\n".join(f"{v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in violations)


@pytest.mark.parametrize("width", VIEWPORTS)
@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_public_pages_have_no_axe_violations(new_page, name, width):
    load_site(background=name == "trial-related", most_sites=name.startswith("trial-most-sites"))
    page = new_page(VIEWPORTS[width], bypass_csp=True)  # axe is injected as a script
    response = page.goto(PUBLIC_PAGES[name])
    assert response.status == (404 if name == "not-found" else 200)
    screenshot(page, f"{name}-{width}")
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    # Nothing runs off the side of the screen (WCAG 1.4.10, reflow).
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[width]["width"]


@pytest.mark.parametrize("width", VIEWPORTS)
def test_the_admin_change_form_has_no_axe_violations(new_page, width):
    site = load_site()
    page = new_page(VIEWPORTS[width], bypass_csp=True)
    log_in(page)
    page.goto(reverse("admin:trials_trial_change", args=[site.trial.pk]))
    screenshot(page, f"admin-change-form-{width}")
    violations = axe_violations(page)
    assert violations == [], describe(violations)


def test_axe_finds_a_violation_when_there_is_one(new_page):
    """The check can fail: an image without a text alternative is reported."""
    load_site()
    page = new_page(bypass_csp=True)
    page.goto("/")
    page.evaluate("document.querySelector('main').append(Object.assign(new Image(), {src: '/static/img/favicon.svg'}))")
    assert "image-alt" in [violation["id"] for violation in axe_violations(page)]


def focused(page) -> dict:
    return page.evaluate(
        """() => {
            const el = document.activeElement, style = getComputedStyle(el), box = el.getBoundingClientRect();
            return {tag: el.tagName.toLowerCase(), id: el.id, text: el.innerText || el.value || "",
                    href: el.getAttribute("href"), outline: style.outlineStyle,
                    outlineWidth: parseFloat(style.outlineWidth),
                    visible: box.width > 0 && box.height > 0 && box.bottom > 0 && box.top < innerHeight};
        }"""
    )


@pytest.mark.parametrize("width", VIEWPORTS)
def test_the_first_tab_reaches_a_visible_skip_link_that_moves_focus_to_the_content(new_page, width):
    load_site()
    page = new_page(VIEWPORTS[width])
    page.goto("/trials/NCT04133233/design/")
    page.keyboard.press("Tab")
    skip = focused(page)
    assert (skip["text"], skip["href"]) == ("Skip to content", "#content")
    assert skip["visible"] and skip["outline"] == "solid" and skip["outlineWidth"] >= 2
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "content"
    # The next Tab continues from the content, not from the header.
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")


def test_every_control_is_reached_by_tab_and_shows_its_focus(new_page):
    load_site()
    page = new_page()
    page.goto("/trials/NCT04133233/eligibility/")
    controls = page.evaluate(
        """() => [...document.querySelectorAll("a[href], button, input, select, textarea")]
            .filter(el => el.getClientRects().length > 0 && !el.disabled).length"""
    )
    reached = []
    for _ in range(controls + 5):
        page.keyboard.press("Tab")
        element = focused(page)
        if element["tag"] == "body" or (reached and element == reached[0]):
            break  # past the last control
        reached.append(element)
        assert element["visible"], element
        assert element["outline"] == "solid" and element["outlineWidth"] >= 2, element
    assert len({(e["tag"], e["id"], e["text"], e["href"]) for e in reached}) >= controls
    assert {"take-part-age", "take-part-sex", "take-part-condition", "exclusion-26"} <= {e["id"] for e in reached}


def test_tabs_are_real_links(new_page):
    load_site()
    page = new_page()
    page.goto("/trials/NCT04133233/")
    links = page.get_by_role("navigation", name="Trial record").get_by_role("link")
    assert [link.get_attribute("href") for link in links.all()] == [
        "/trials/NCT04133233/",
        "/trials/NCT04133233/design/",
        "/trials/NCT04133233/eligibility/",
        "/trials/NCT04133233/results/",
        "/trials/NCT04133233/related/",
        "/trials/NCT04133233/history/",
    ]
    links.nth(2).focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/eligibility/")


@pytest.mark.parametrize("url", ["/", "/trials/?q=bipolar", "/trials/NCT04133233/"])
def test_status_and_phase_are_written_out_not_only_coloured(new_page, url):
    load_site()
    page = new_page()
    page.goto(url)
    badges = page.locator(".status")
    assert badges.count() >= 1
    # Every badge says its status in words: one of the registry's labels, a lapsed one with what was reported.
    labels = {label for _, label in OverallStatus.choices}
    for text in badges.all_text_contents():
        shown = " ".join(text.split()).removeprefix("Status: ")
        assert shown in labels or shown.startswith(f"{OverallStatus.UNKNOWN.label} — last reported "), text
    # Phase is text beside the status, never a colour or an icon.
    phases = page.locator(".phase").all_inner_texts() or page.locator(".key-facts").all_inner_texts()
    assert any("Phase" in text for text in phases)


def test_status_badges_say_their_status_to_screen_readers(new_page):
    load_site()
    page = new_page()
    page.goto("/trials/NCT04133233/")
    expect(page.locator(".key-facts .status")).to_have_text("Status: Completed")
    expect(page.locator(".plain-facts")).to_contain_text("Completed: The study has ended normally")
    expect(page.locator(".plain-facts")).to_contain_text("Phase 2: A test in a larger group")
