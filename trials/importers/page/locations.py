"""Reader of the study's sites: a facility over its place, the place's parts, a site's status."""

from __future__ import annotations

import re

from ... import choices
from ...ctgov.records import SiteRecord, TrialRecord
from .shapes import registry_code

# A place line with a postal code ("Ann Arbor, Michigan, 48109, United States"): a site's
# address, never its facility's name, so a site listed without a facility is read as one.
_ZIPPED_PLACE = re.compile(r"^[^,]+(?:,[^,]+)*,[^,]*\d[^,]*,\s*[^,\d]+$")


def read_locations(record: TrialRecord, lines: list[str]) -> None:
    pending: list[str] = []
    for line in lines:
        status = registry_code(line, choices.RecruitmentStatus)
        if status and record.sites and not pending:
            record.sites[-1].status = status
            continue
        if not pending and _ZIPPED_PLACE.match(line):
            # "City, State, ZIP, Country" with no facility before it.
            record.sites.append(SiteRecord(**_place(line)))
            continue
        pending.append(line)
        if len(pending) == 2:
            record.sites.append(SiteRecord(facility=pending[0], **_place(pending[1])))
            pending = []
    if pending:
        record.sites.append(SiteRecord(**_place(pending[0])))


def _place(line: str) -> dict[str, str]:
    """``"City, State, ZIP, Country"`` with the middle parts optional."""
    parts = [part.strip() for part in line.split(",") if part.strip()]
    if len(parts) == 1:
        return {"country": parts[0]}
    place = {"city": parts[0], "country": parts[-1]}
    middle = parts[1:-1]
    if middle and any(character.isdigit() for character in middle[-1]):
        place["zip"] = middle.pop()
    if middle:
        place["state"] = ", ".join(middle)
    return place
