"""For patients, in Chromium: "Could I take part?", the checklist, print, and a CSP-clean page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from trials.models import Trial

from .conftest import DESKTOP, PHONE, SCREENSHOTS, VIEWPORTS, axe_violations, screenshot
from .data import load_site

pytestmark = pytest.mark.django_db(transaction=True)

ELIGIBILITY = "/trials/NCT04133233/eligibility/"


def load_open_site():
    """The site, its seed trial recruiting (the seed itself no longer enrols): the checker speaks in the present."""
    site = load_site()
    Trial.objects.filter(pk=site.trial.pk).update(overall_status="RECRUITING", status_verified_date="")
    site.trial.refresh_from_db()
    return site


def test_could_i_take_part_answers_in_the_page_without_a_request(page):
    load_open_site()
    page.goto(ELIGIBILITY)
    page.wait_for_load_state("networkidle")
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    results = page.locator(".take-part-results li")

    page.get_by_label("Your age", exact=True).fill("40")
    page.get_by_label("Your sex").select_option("FEMALE")
    expect(results).to_have_text(
        [
            "✓ You meet this: age 40 years is within the trial's ages (18 years to 65 years).",
            "✓ You meet this: the trial takes participants of all sexes.",
        ]
    )
    page.get_by_label("Your age", exact=True).fill("70")
    page.get_by_label("Do you have the condition studied?").select_option("no")
    expect(results).to_have_text(
        [
            "✗ You do not meet this: the oldest participants are 65 years old; you are 70 years old.",
            "✓ You meet this: the trial takes participants of all sexes.",
            "✗ You do not meet this: the trial does not accept healthy volunteers: participants have the condition "
            "studied.",
        ]
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(".take-part").screenshot(path=str(SCREENSHOTS / "take-part-answers.png"))
    page.get_by_label("Your age", exact=True).fill("17")
    expect(results.first).to_have_text(
        "✗ You do not meet this: the youngest participants are 18 years old; you are 17 years old."
    )
    assert requests == []


def test_an_age_is_given_with_its_unit_and_answered_with_it(page):
    load_open_site()
    Trial.objects.filter(nct_id="NCT04133233").update(
        minimum_age="30 Days", minimum_age_years=30 / 365.25, maximum_age="", maximum_age_years=None
    )
    page.goto(ELIGIBILITY)
    results = page.locator(".take-part-results li")
    page.get_by_label("Age given in").select_option("days")
    page.get_by_label("Your age", exact=True).fill("30")
    expect(results).to_have_text(["✓ You meet this: age 30 days is within the trial's ages (30 days or older)."])
    page.get_by_label("Age given in").select_option("weeks")
    page.get_by_label("Your age", exact=True).fill("2")
    expect(results).to_have_text(
        ["✗ You do not meet this: the youngest participants are 30 days old; you are 2 weeks old."]
    )
    page.get_by_label("Age given in").select_option("months")
    page.get_by_label("Your age", exact=True).fill("1")
    expect(results).to_have_text(["✓ You meet this: age 1 month is within the trial's ages (30 days or older)."])


def test_a_closed_trial_says_first_it_no_longer_enrols_and_tells_no_one_they_meet_it(page):
    Trial.objects.filter(pk=load_site().trial.pk).update(overall_status="COMPLETED")
    page.goto(ELIGIBILITY)
    panel = page.locator(".take-part")
    expect(panel.locator(".take-part-closed")).to_contain_text("This trial is not taking new participants")
    page.get_by_label("Your age", exact=True).fill("40")
    page.get_by_label("Your sex").select_option("FEMALE")
    expect(panel.locator(".take-part-results li")).to_have_text(
        [
            "✓ You would have met this: age 40 years is within the trial's ages (18 years to 65 years).",
            "✓ You would have met this: the trial takes participants of all sexes.",
        ]
    )
    expect(panel.locator(".take-part-form > p").first).to_contain_text("you would have met")
    assert "meet" not in panel.inner_text().replace("would have met", "").replace("would not have met", "")
    # The notice comes before the checker, on screen as in the document.
    notice, results = panel.locator(".take-part-closed"), panel.locator(".take-part-results")
    assert notice.bounding_box()["y"] < results.bounding_box()["y"]


def test_a_trial_for_one_sex_says_so(page):
    site = load_open_site()
    site.trial.sex = "MALE"
    site.trial.save(update_fields=["sex"])
    page.goto(ELIGIBILITY)
    page.get_by_label("Your sex").select_option("FEMALE")
    expect(page.locator(".take-part-results li")).to_have_text(
        ["✗ You do not meet this: the trial takes male participants only."]
    )


def test_without_javascript_the_panel_explains_itself_and_the_checklist_stays(new_page):
    load_site()
    page = new_page(java_script_enabled=False)
    page.goto(ELIGIBILITY)
    expect(page.locator(".take-part-no-script")).to_be_visible()
    expect(page.get_by_label("Your age", exact=True)).to_be_hidden()
    expect(page.get_by_role("button", name="Print this checklist")).to_be_hidden()
    expect(page.locator("ul.exclusion input[type=checkbox]")).to_have_count(26)


def test_the_checklist_ticks_and_prints(page):
    load_site()
    page.goto(ELIGIBILITY)
    expect(page.locator(".take-part-no-script")).to_be_hidden()
    page.get_by_label("MADRS score > 17").check()
    assert page.get_by_label("MADRS score > 17").is_checked()
    # window.print() opens no dialog headless; count the calls instead.
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    page.get_by_role("button", name="Print this checklist").click()
    assert page.evaluate("window.printed") == 1


@pytest.mark.parametrize("tab", ["", "design/", "eligibility/"])
def test_a_trial_prints_as_a_clean_record(page, tab):
    load_site()
    page.goto(f"/trials/NCT04133233/{tab}")
    page.emulate_media(media="print")
    for hidden in [".site-header", ".site-footer", ".tabs", ".take-part", ".print-button"]:
        if page.locator(hidden).count():
            expect(page.locator(hidden)).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator(".key-facts")).to_be_visible()
    name = f"print-{tab.strip('/') or 'summary'}"
    screenshot(page, name)
    if not tab:
        # Paper cannot follow a link, so the reference links print their address.
        after = page.evaluate("getComputedStyle(document.querySelector('.references a'), '::after').content")
        assert after == '" (" attr(href) ")"' or "https://doi.org/" in after, after
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.pdf(path=str(SCREENSHOTS / f"{name}.pdf"), format="A4", print_background=False)
    if tab == "eligibility/":
        expect(page.locator("ul.exclusion li")).to_have_count(26)
        expect(page.locator("ul.exclusion input[type=checkbox]").first).to_be_visible()


def test_the_whole_record_prints_on_one_page(page):
    load_site()
    page.goto("/trials/NCT04133233/")
    page.get_by_role("link", name="The whole record on one page, to print").click()
    page.wait_for_url("**/print/")
    page.emulate_media(media="print")
    # Summary, design and eligibility, one after the other, without the site around them.
    for heading in ("Summary", "Study design", "Arms", "Who can take part"):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.locator("ul.exclusion li")).to_have_count(26)
    for hidden in [".site-header", ".tabs", ".print-link", ".take-part"]:
        expect(page.locator(hidden).first).to_be_hidden()
    screenshot(page, "print-whole-record")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(SCREENSHOTS / "print-whole-record.pdf"), format="A4", print_background=False)


@pytest.mark.parametrize("width", VIEWPORTS)
def test_json_ld_loads_without_a_content_security_policy_violation(new_page, width):
    load_site()
    page = new_page(VIEWPORTS[width])
    page.add_init_script(
        "window.violations = [];"
        "document.addEventListener('securitypolicyviolation', e => window.violations.push(e.violatedDirective));"
    )
    console = []
    page.on("console", lambda message: console.append(message.text))
    for url in ["/trials/NCT04133233/", ELIGIBILITY]:
        response = page.goto(url)
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
        data = json.loads(page.locator('script[type="application/ld+json"]').text_content())
        assert data["@type"] == "MedicalTrial" and data["identifier"] == "NCT04133233"
        assert page.evaluate("window.violations") == []
    # The eligibility script ran under the policy: the panel's form is shown.
    expect(page.get_by_label("Your age", exact=True)).to_be_visible()
    assert not [text for text in console if "Content Security Policy" in text], console


def test_the_csp_check_sees_an_inline_script(new_page):
    """The violation listener works: an inline script injected into the page is refused."""
    load_site()
    page = new_page()
    page.add_init_script(
        "window.violations = [];"
        "document.addEventListener('securitypolicyviolation', e => window.violations.push(e.violatedDirective));"
    )
    page.goto("/trials/NCT04133233/")
    page.evaluate("document.head.append(Object.assign(document.createElement('script'), {textContent: '1'}))")
    page.wait_for_function("window.violations.length > 0")
    assert page.evaluate("window.violations")[0].startswith("script-src")


def test_the_glossary_is_linked_from_the_footer_and_from_labels(page):
    load_site()
    page.goto("/trials/NCT04133233/design/")
    page.get_by_role("link", name="Masking").click()
    page.wait_for_url("**/glossary/#masking")
    expect(page.locator("#masking-quadruple")).to_contain_text("outcomes assessor")
    page.goto("/trials/NCT04133233/")
    page.locator(".plain-facts").get_by_role("link", name="Completed").click()
    page.wait_for_url("**/glossary/#status-completed")
    expect(page.locator("#status-completed")).to_be_in_viewport()
    page.get_by_role("contentinfo").get_by_role("link", name="Glossary of trial terms").click()
    page.wait_for_url("**/glossary/")


BIG_RECORD_VIEWPORTS = {"320": {"width": 320, "height": 568}, "390": PHONE, "1280": DESKTOP}


@pytest.mark.parametrize("width", BIG_RECORD_VIEWPORTS)
def test_a_thousand_site_trial_stays_short_maps_its_sites_and_fits_the_screen(new_page, width):
    load_site(most_sites=True)
    viewport = BIG_RECORD_VIEWPORTS[width]
    page = new_page(viewport, bypass_csp=True)  # axe is injected as a script
    page.goto("/trials/NCT04267848/")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= (20_000 if width == "1280" else 40_000), height
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    figure = page.locator("figure.site-map-figure")
    expect(figure.get_by_role("img")).to_be_visible()
    box = figure.locator("svg").bounding_box()
    assert box["width"] <= viewport["width"] and box["height"] > 100
    expect(figure.locator("figcaption")).to_contain_text("Map of 1,144 sites")
    # A screen's worth of sites is listed; the rest are counts and links.
    assert 0 < page.locator("li.site").count() <= 60
    assert axe_violations(page) == []
    figure.scroll_into_view_if_needed()
    screenshot(page, f"trial-most-sites-map-{width}")


def test_a_thousand_site_trial_filters_its_sites_without_javascript(new_page):
    load_site(most_sites=True)
    page = new_page(PHONE, java_script_enabled=False)
    page.goto("/trials/NCT04267848/")
    page.get_by_label("Site status").select_option("RECRUITING")
    page.get_by_label("Facility, city or postal code").fill("anchorage")
    page.get_by_role("button", name="Show sites").click()
    page.wait_for_url("**site_q=anchorage**")
    expect(page.locator(".site-selection")).to_contain_text("1 of 1,148 sites recruiting; matching “anchorage”")
    sites = page.locator("li.site")
    assert sites.count() == 1 and sites.first.is_visible()
    expect(sites.first).to_contain_text("Katmai Oncology Group")
    expect(page.locator("figcaption")).to_contain_text("Map of 1 site recruiting")
    page.get_by_role("link", name="All sites").first.click()
    page.get_by_role("link", name="California", exact=True).click()
    page.wait_for_url("**site_region=California**")
    assert page.locator("li.site").count() > 60
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "trial-most-sites-california-390")


def test_copy_link_copies_the_trials_address_and_says_so(new_page, live_server):
    load_site()
    page = new_page(DESKTOP, permissions=["clipboard-read", "clipboard-write"])
    page.goto("/trials/NCT04133233/design/")
    page.get_by_role("button", name="Copy link").click()
    expect(page.locator("#record-link-status")).to_have_text("Link copied.")
    assert page.evaluate("navigator.clipboard.readText()") == f"{live_server.url}/trials/NCT04133233/"


def test_without_javascript_the_link_is_there_to_copy_and_the_json_to_download(new_page, live_server):
    load_site()
    page = new_page(DESKTOP, java_script_enabled=False)
    page.goto("/trials/NCT04133233/")
    expect(page.get_by_role("button", name="Copy link")).to_be_hidden()
    expect(page.get_by_label("Link to this trial")).to_have_value(f"{live_server.url}/trials/NCT04133233/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the record (JSON)").click()
    assert download.value.suggested_filename == "NCT04133233.json"
    assert json.loads(Path(download.value.path()).read_text())["protocolSection"]["identificationModule"]["nctId"] == (
        "NCT04133233"
    )


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_record_downloads_as_a_citation_and_as_fhir(new_page, viewport):
    load_site()
    page = new_page(VIEWPORTS[viewport], java_script_enabled=False)
    page.goto("/trials/NCT04133233/")
    tools = page.locator(".record-tools")
    tools.scroll_into_view_if_needed()
    tools.screenshot(path=str(SCREENSHOTS / f"record-downloads-{viewport}.png"))
    with page.expect_download() as download:
        page.get_by_role("link", name="Cite it (RIS, for citation managers)").click()
    assert download.value.suggested_filename == "NCT04133233.ris"
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0] == "TY  - DBASE" and "ID  - NCT04133233" in lines and lines[-1] == "ER  - "
    with page.expect_download() as download:
        page.get_by_role("link", name="FHIR ResearchStudy").click()
    assert download.value.suggested_filename == "NCT04133233.fhir.json"
    resource = json.loads(Path(download.value.path()).read_text())
    assert (resource["resourceType"], resource["id"]) == ("ResearchStudy", "NCT04133233")
