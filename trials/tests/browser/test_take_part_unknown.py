"""A trial whose status is unknown, in Chromium: it may still enrol, so "Could I take part?" speaks in the present."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from trials.models import Trial

from .conftest import VIEWPORTS, axe_violations, screenshot
from .data import load_site

pytestmark = pytest.mark.django_db(transaction=True)

ELIGIBILITY = "/trials/NCT04133233/eligibility/"


@pytest.mark.parametrize("width", VIEWPORTS)
def test_an_unknown_status_says_to_ask_the_team_and_the_checker_speaks_in_the_present(new_page, width):
    site = load_site()
    # "Recruiting", last verified years ago and past its completion: shown as "Unknown status".
    Trial.objects.filter(pk=site.trial.pk).update(overall_status="RECRUITING", status_verified_date="2019-01")
    page = new_page(VIEWPORTS[width], bypass_csp=True)
    page.goto(ELIGIBILITY)
    panel = page.locator(".take-part")
    notice = panel.locator(".take-part-unknown")
    expect(notice).to_contain_text("This trial's status is unknown: last reported Recruiting, verified January 2019")
    expect(notice).to_contain_text("It may or may not still be taking new participants: contact the study team")
    expect(panel.locator(".take-part-closed")).to_have_count(0)
    page.get_by_label("Your age", exact=True).fill("40")
    page.get_by_label("Your sex").select_option("FEMALE")
    expect(panel.locator(".take-part-results li").first).to_contain_text("✓ You meet this: age 40 years")
    screenshot(page, f"take-part-unknown-{width}")
    assert axe_violations(page) == []
