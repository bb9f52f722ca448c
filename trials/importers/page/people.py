"""Readers of who runs the study: sponsors, the responsible party, principal investigators."""

from __future__ import annotations

from ... import choices
from ...ctgov.records import OfficialRecord, SponsorRecord, TrialRecord
from .layout import DocumentError
from .shapes import registry_code, unlabel


def read_sponsors(record: TrialRecord, lines: list[str]) -> None:
    for line in lines:
        agency_class = registry_code(line, choices.AgencyClass)
        if agency_class and record.sponsors and not record.sponsors[-1].agency_class:
            record.sponsors[-1].agency_class = agency_class
        else:
            # The first sponsor listed is the lead sponsor.
            record.sponsors.append(SponsorRecord(name=line, is_lead=not record.sponsors))


def read_responsible_party(record: TrialRecord, lines: list[str]) -> None:
    rest = []
    for line in lines:
        code = registry_code(unlabel(line), choices.ResponsiblePartyType)
        if code and "responsible_party_type" not in record.fields:
            record.fields["responsible_party_type"] = code
        else:
            rest.append(line)
    if len(rest) > 3:
        raise DocumentError("Responsible Party", "expected at most a name, a title and an affiliation")
    if len(rest) == 2:
        rest.insert(1, "")
    fields = ("responsible_party_name", "responsible_party_title", "responsible_party_affiliation")
    record.fields.update(zip(fields, rest, strict=False))


def read_investigators(record: TrialRecord, lines: list[str]) -> None:
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if line.lower().startswith("role:"):
            if not record.officials or record.officials[-1].role:
                raise DocumentError("Principal Investigators", f"{line!r} does not follow a name")
            role = registry_code(line.split(":", 1)[1], choices.OfficialRole)
            if not role:
                raise DocumentError("Principal Investigators", f"unknown role in {line!r}")
            record.officials[-1].role = role
        elif (
            record.officials
            and record.officials[-1].role
            and not record.officials[-1].affiliation
            and not following.lower().startswith("role:")
        ):
            record.officials[-1].affiliation = line
        else:
            record.officials.append(OfficialRecord(name=line))
