"""The real ClinicalTrials.gov records the tests hold (``data/ctgov``; its README says why each is there)."""

from __future__ import annotations

import json
from pathlib import Path

CTGOV_DATA = Path(__file__).resolve().parent / "data" / "ctgov"


def registry_study(nct_id: str) -> dict:
    """A record's file as the registry's API v2 JSON, read without the importer."""
    return json.loads((CTGOV_DATA / f"{nct_id}.json").read_text(encoding="utf-8"))
