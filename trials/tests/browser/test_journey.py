"""A visitor's and an editor's way through the site, in Chromium."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from .conftest import screenshot
from .data import EDITOR_PASSWORD, RELATED_TITLE, load_site

# The live server answers from another thread, so the data must be committed.
pytestmark = pytest.mark.django_db(transaction=True)

SEED_TITLE = "Low Dose IL-2 Therapy in Patients With a Depressive Episode in the Course of a Bipolar Disorder"


def test_search_open_a_trial_walk_its_tabs_and_follow_a_related_trial(page):
    load_site()
    page.goto("/")
    page.get_by_label("Search by condition, treatment, sponsor or NCT ID").fill("bipolar")
    page.locator(".hero").get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/trials/\?q=bipolar"))
    expect(page.get_by_role("heading", level=2, name=re.compile(r"2 trials for “bipolar”"))).to_be_visible()

    page.get_by_role("link", name=SEED_TITLE).click()
    page.wait_for_url("**/trials/NCT04133233/")
    assert page.get_by_role("heading", level=1).inner_text() == SEED_TITLE
    tabs = page.get_by_role("navigation", name="Trial record")
    for name, path, heading in [
        ("Design", "design/", "Study design"),
        ("Eligibility", "eligibility/", "Who can take part"),
        ("Related trials", "related/", "Related clinical trials"),
        ("Summary", "", "Summary"),
    ]:
        tabs.get_by_role("link", name=name).click()
        page.wait_for_url(f"**/trials/NCT04133233/{path}")
        assert tabs.get_by_role("link", name=name).get_attribute("aria-current") == "page"
        expect(page.get_by_role("heading", level=2, name=heading)).to_be_visible()

    tabs.get_by_role("link", name="Related trials").click()
    page.get_by_role("link", name=RELATED_TITLE).click()
    page.wait_for_url("**/trials/NCT03396744/")
    assert page.get_by_role("heading", level=1).inner_text() == RELATED_TITLE


def test_an_editor_changes_the_title_and_an_exclusion_criterion_and_the_public_page_shows_them(page):
    site = load_site()
    page.goto(reverse("admin:login"))
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(EDITOR_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{reverse('admin:index')}")

    page.goto(reverse("admin:trials_trial_change", args=[site.trial.pk]))
    page.locator("#id_brief_title").fill("Low-dose IL-2 for bipolar depression")
    criteria = page.locator("#id_eligibility_criteria")
    text = criteria.input_value()
    assert "* Immunosuppressed patient\n" in text
    criteria.fill(
        text.replace("* Immunosuppressed patient\n", "* Immunosuppressed patient, or on immunosuppressants\n")
    )
    screenshot(page, "admin-change-form-edited")
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")

    page.goto(reverse("trials:eligibility", args=["NCT04133233"]))
    assert page.get_by_role("heading", level=1).inner_text() == "Low-dose IL-2 for bipolar depression"
    exclusion = page.locator("ul.exclusion li").all_inner_texts()
    assert "Immunosuppressed patient, or on immunosuppressants" in exclusion
    assert "Immunosuppressed patient" not in exclusion
    assert page.title().startswith("Eligibility · Low-dose IL-2 for bipolar depression (NCT04133233)")


def test_the_admin_sign_in_names_the_portal_and_asks_for_nothing_missing(page):
    # Without an icon of its own the browser asks for /favicon.ico, a 404.
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(reverse("admin:login"))
    page.wait_for_load_state("networkidle")
    assert errors == []
    assert "Django administration" not in page.title()
