"""Fixtures for the real-browser tests: Debian's Chromium driven by Playwright.

The tests skip, saying why, when Chromium is not installed; with
``REQUIRE_BROWSER=1`` (as ``.ci/run`` sets) a missing browser is an error.
Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}
ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2, levels A and AA.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def _browser_missing() -> str | None:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)) and not shutil.which(CHROMIUM):
        return f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -r requirements.txt)"
    return None


@pytest.fixture(scope="package")
def browser() -> Iterator:
    missing = _browser_missing()
    if missing:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {missing}.", pytrace=False)
        pytest.skip(f"Browser tests skipped: {missing}.")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread, and
    # Django refuses ORM calls from inside one; the tests' own setup is sync code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    try:
        yield browser
    finally:
        browser.close()
        connections.close_all()  # those made in the loop's context, as above
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def _restore_staff_groups(django_db_blocker):
    """Transactional tests end with a flush; put back the groups later tests expect."""
    yield
    from .data import ensure_staff_groups

    with django_db_blocker.unblock():
        ensure_staff_groups()
        # Made while Playwright's loop runs, this connection lives in that loop's
        # context; close it now, or it outlives the loop and blocks the test
        # database's removal.
        connections.close_all()


@pytest.fixture
def new_page(browser, live_server, _restore_staff_groups):
    """``new_page(viewport=..., bypass_csp=...)``: a page in a fresh context, closed after the test."""
    contexts = []

    def make(viewport: dict = DESKTOP, **options):
        context = browser.new_context(viewport=viewport, base_url=live_server.url, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page) -> list[dict]:
    """Run the pinned axe-core over the page; the page's context must bypass CSP."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async (tags) => {
            const options = {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]};
            const results = await axe.run(document, options);
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.failureSummary),
            }));
        }""",
        AXE_TAGS,
    )
