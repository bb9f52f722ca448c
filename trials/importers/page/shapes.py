"""The shapes a page's lines take: a registry code or its label, a labelled value, a date."""

from __future__ import annotations

import re

from ... import choices

NCT_ID = re.compile(r"^NCT\d{8}$", re.IGNORECASE)
ENROLLMENT = re.compile(r"^(\d[\d,]*)\s+participants?(?:\s*\((actual|estimated|anticipated)\))?$", re.IGNORECASE)
DATED = re.compile(r"^(\d{4}(?:-\d{2}){0,2})(?:\s*\((actual|estimated|anticipated)\))?$", re.IGNORECASE)
LABELLED = re.compile(r"^([A-Za-z][A-Za-z /-]{1,40}):\s*(.*)$")


def registry_code(value: str, enum: type[choices.models.TextChoices]) -> str | None:
    """The registry code for a code or its label ("PHASE2", "Phase 2"); None if neither."""
    value = value.strip()
    normalized = value.upper().replace(" ", "_").replace("-", "_")
    for code, label in enum.choices:
        if code.upper() == normalized or label.casefold() == value.casefold():
            return code
    return None


def date_type_of(word: str | None) -> str:
    if not word:
        return ""
    return choices.DateType.ACTUAL if word.lower() == "actual" else choices.DateType.ESTIMATED


def unlabel(line: str) -> str:
    """``"Allocation: RANDOMIZED"`` → ``"RANDOMIZED"``; other lines unchanged."""
    match = LABELLED.match(line)
    return match.group(2).strip() if match else line
