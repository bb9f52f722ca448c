"""Shared fixtures: the seed trial, test pages and generated trials."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.cache import cache

from trials.importers import SEED_DOCUMENT, import_paths
from trials.models import Trial

TEST_DATA = Path(__file__).resolve().parent / "trials" / "tests" / "data" / "pages"
CTGOV_DATA = Path(__file__).resolve().parent / "trials" / "tests" / "data" / "ctgov"


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: what one test's data put there never answers another's."""
    cache.clear()


@pytest.fixture
def seed_trial(db) -> Trial:
    report = import_paths([SEED_DOCUMENT])
    assert report.ok, report.failures
    return Trial.objects.get(nct_id="NCT04133233")


@pytest.fixture
def test_data() -> Path:
    return TEST_DATA


@pytest.fixture
def seed_text() -> str:
    return SEED_DOCUMENT.read_text(encoding="utf-8")


@pytest.fixture
def ctgov_data() -> Path:
    """Real ClinicalTrials.gov API v2 records (see the README beside them)."""
    return CTGOV_DATA
