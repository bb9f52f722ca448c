"""Importers: read trial documents, turn them into records, save them.

``import_paths`` is what ``manage.py import_trials`` and ``manage.py seed``
call; tests call it directly.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .page import DocumentError, looks_like_page, parse_page
from .records import RecordError, TrialRecord
from .writer import Outcome, save_record

logger = logging.getLogger(__name__)

SEED_DOCUMENT = Path(__file__).resolve().parent.parent / "seed" / "NCT04133233.txt"


@dataclass
class ImportFailure:
    path: str
    nct_id: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.path} ({self.nct_id})" if self.nct_id else self.path
        return f"{where}: {self.reason}"


@dataclass
class ImportReport:
    counts: Counter = field(default_factory=Counter)
    failures: list[ImportFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        parts = [f"{self.counts[outcome]} {outcome}" for outcome in Outcome]
        parts.append(f"{len(self.failures)} failed")
        return ", ".join(parts)


class UnknownFormat(Exception):
    pass


def read_document(text: str) -> list[TrialRecord]:
    """The records in one document, its format detected from its content."""
    if looks_like_page(text):
        return [parse_page(text)]
    raise UnknownFormat("not a trial page (expected 'NCT ID: ...' near the top)")


# In a directory, only these are documents; a file named outright is always read.
DOCUMENT_SUFFIXES = {".txt"}


def _files(paths: list[Path]) -> list[Path]:
    files = []
    for path in paths:
        if path.is_dir():
            files += sorted(
                child
                for child in path.rglob("*")
                if child.is_file() and child.suffix.lower() in DOCUMENT_SUFFIXES and not child.name.startswith(".")
            )
        else:
            files.append(path)
    return files


def import_paths(paths: list[str | Path]) -> ImportReport:
    """Import every document under ``paths``; each failure is reported and skipped."""
    report = ImportReport()
    for path in _files([Path(p) for p in paths]):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            report.failures.append(ImportFailure(str(path), "", f"cannot read the file: {error}"))
            continue
        try:
            records = read_document(text)
        except DocumentError as error:
            report.failures.append(ImportFailure(str(path), "", f"section {error.section!r}: {error.message}"))
            continue
        except UnknownFormat as error:
            report.failures.append(ImportFailure(str(path), "", str(error)))
            continue
        for record in records:
            try:
                outcome = save_record(record)
            except RecordError as error:
                report.failures.append(ImportFailure(str(path), error.nct_id, "; ".join(error.reasons)))
            else:
                report.counts[outcome] += 1
                logger.debug("%s %s from %s", record.nct_id, outcome, path)
    return report
