"""The browser tests' own setup: a missing browser is named, never silently ignored."""

from __future__ import annotations

from . import conftest


def test_a_missing_chromium_is_named(monkeypatch):
    monkeypatch.setattr(conftest, "CHROMIUM", "/nonexistent/chromium")
    assert conftest._browser_missing() == (
        "Chromium is not installed at /nonexistent/chromium (apt-get install -y chromium)"
    )


def test_debian_chromium_is_found_when_installed(monkeypatch, tmp_path):
    browser = tmp_path / "chromium"
    browser.write_text("#!/bin/sh\n")
    browser.chmod(0o755)
    monkeypatch.setattr(conftest, "CHROMIUM", str(browser))
    assert conftest._browser_missing() is None
