"""The History tab in Chromium: a trial imported twice, its timeline and two versions side by side."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trials.importers import import_paths

from ..test_history import EXPECTED_CHANGES, NCT_ID, modified
from .conftest import VIEWPORTS, axe_violations, screenshot
from .test_accessibility import describe

pytestmark = pytest.mark.django_db(transaction=True)

CTGOV = Path(__file__).resolve().parent.parent / "data" / "ctgov"


@pytest.mark.parametrize("width", VIEWPORTS)
def test_the_history_tab_reads_at_both_widths(new_page, width, tmp_path):
    assert import_paths([CTGOV / f"{NCT_ID}.json"]).ok
    changed = tmp_path / f"{NCT_ID}.json"
    changed.write_text(json.dumps(modified(CTGOV)))
    assert import_paths([changed]).ok
    page = new_page(VIEWPORTS[width], bypass_csp=True)  # axe is injected as a script
    response = page.goto(f"/trials/{NCT_ID}/history/?compare=1,2")
    assert response.status == 200
    screenshot(page, f"trial-history-{width}")
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    # Nothing runs off the side of the screen (WCAG 1.4.10, reflow), the comparison table included.
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[width]["width"]
    timeline = page.locator("#version-2 .changes li")
    assert timeline.all_inner_texts() == EXPECTED_CHANGES
    # The form compares by keyboard as by the link.
    page.get_by_label("Version", exact=True).select_option("1")
    page.get_by_label("with version").select_option("2")
    page.get_by_role("button", name="Compare").click()
    assert page.get_by_role("heading", name="Version 1 and version 2 side by side").is_visible()
