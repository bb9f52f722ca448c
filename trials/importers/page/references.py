"""Readers of what the record points to: references, other identifiers, related trials."""

from __future__ import annotations

import re
from collections.abc import Callable

from ... import choices
from ...ctgov.records import IdentifierRecord, ReferenceRecord, RelatedTrialRecord, TrialRecord
from .layout import DocumentError
from .shapes import LABELLED, NCT_ID, registry_code

_DOI = re.compile(r"\bdoi:\s*(10\.\S+?)\.?(?=\s|$)", re.IGNORECASE)
_PMID = re.compile(r"\bPMID:?\s*(\d{1,9})\b")


def read_references(record: TrialRecord, lines: list[str]) -> None:
    for line in lines:
        doi = _DOI.search(line)
        pmid = _PMID.search(line)
        record.references.append(
            ReferenceRecord(citation=line, doi=doi.group(1) if doi else "", pmid=pmid.group(1) if pmid else "")
        )


def read_identifiers(record: TrialRecord, lines: list[str]) -> None:
    for line in lines:
        match = LABELLED.match(line)
        label = match.group(1).strip().lower() if match else ""
        value = match.group(2).strip() if match else ""
        if label in {"identifier type", "identifier source"}:
            if not record.identifiers:
                raise DocumentError("Other Identifiers", f"{line!r} does not follow an identifier")
            identifier = record.identifiers[-1]
            if label == "identifier type":
                if value not in {"", "-"}:
                    code = registry_code(value, choices.SecondaryIdType)
                    if not code:
                        raise DocumentError("Other Identifiers", f"unknown identifier type in {line!r}")
                    identifier.type = code
            else:
                source = registry_code(value, choices.IdentifierSource)
                if not source:
                    raise DocumentError("Other Identifiers", f"unknown identifier source in {line!r}")
                identifier.source = source
        else:
            record.identifiers.append(IdentifierRecord(identifier=line))


def read_related(kind: str) -> Callable[[TrialRecord, list[str]], None]:
    section = choices.RelatedTrialKind(kind).label

    def read(record: TrialRecord, lines: list[str]) -> None:
        title: list[str] = []
        for line in lines:
            if NCT_ID.match(line):
                record.related_trials.append(RelatedTrialRecord(nct_id=line.upper(), title=" ".join(title), kind=kind))
                title = []
            else:
                title.append(line)
        if title:
            raise DocumentError(section, f"{' '.join(title)!r} has no NCT ID")

    return read
