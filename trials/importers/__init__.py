"""Importers: read trial documents, turn them into records, save them.

Documents are trial pages saved as text (the seed's format) and
ClinicalTrials.gov API v2 JSON: one study, a search page (``{"studies": [...]}``),
a JSON array of studies, a directory of such files, or the registry's bulk
ZIP of one JSON file per study. The format is read from the content.

``import_paths`` streams: it reads one document at a time and saves records
in batches, so memory stays flat however large the input. Every failure is
reported (file, NCT ID, reason) and skipped; the rest lands.
"""

from __future__ import annotations

import datetime
import json
import logging
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .page import DocumentError, looks_like_page, parse_page
from .records import TrialRecord
from .writer import Outcome, save_records

logger = logging.getLogger(__name__)

SEED_DOCUMENT = Path(__file__).resolve().parent.parent / "seed" / "NCT04133233.txt"
BATCH_SIZE = 500
# In a directory, only these are documents; a file named outright is always read.
DOCUMENT_SUFFIXES = {".txt", ".json", ".zip"}


@dataclass
class ImportFailure:
    source: str
    nct_id: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.source} ({self.nct_id})" if self.nct_id else self.source
        return f"{where}: {self.reason}"


@dataclass
class ImportReport:
    counts: Counter = field(default_factory=Counter)
    failures: list[ImportFailure] = field(default_factory=list)
    skipped: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def studies(self) -> int:
        return sum(self.counts.values()) + len(self.failures) + self.skipped

    def summary(self) -> str:
        parts = [f"{self.counts[outcome]} {outcome}" for outcome in Outcome]
        if self.skipped:
            parts.append(f"{self.skipped} skipped as older than --since")
        parts.append(f"{len(self.failures)} failed")
        return ", ".join(parts)


class UnknownFormat(Exception):
    pass


@dataclass
class _Read:
    """What one document gave: records to save, or why it could not be read."""

    source: str
    records: list[TrialRecord] = field(default_factory=list)
    failures: list[ImportFailure] = field(default_factory=list)


def read_document(text: str | bytes, source: str = "") -> _Read:
    """The records in one document, its format detected from its content."""
    # Imported here: the mapping module builds on this package's records.
    from ..ctgov import StudyError, study_to_record

    read = _Read(source)
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith(("{", "[")):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as error:
            read.failures.append(ImportFailure(source, "", f"invalid JSON: {error}"))
            return read
        for study in _studies(data):
            try:
                read.records.append(study_to_record(study))
            except StudyError as error:
                nct_id = _nct_id(study)
                read.failures.append(ImportFailure(source, nct_id, str(error)))
        return read
    if looks_like_page(stripped):
        try:
            read.records.append(parse_page(text))
        except DocumentError as error:
            read.failures.append(ImportFailure(source, "", f"section {error.section!r}: {error.message}"))
        return read
    raise UnknownFormat("neither a trial page nor ClinicalTrials.gov JSON")


def _studies(data) -> list:
    if isinstance(data, dict) and "studies" in data:
        studies = data["studies"]
        return studies if isinstance(studies, list) else [studies]
    if isinstance(data, list):
        return data
    return [data]


def _nct_id(study) -> str:
    try:
        value = study["protocolSection"]["identificationModule"]["nctId"]
    except (KeyError, TypeError):
        return ""
    return value if isinstance(value, str) else ""


def _documents(paths: list[Path]) -> Iterator[tuple[str, Callable[[], bytes]]]:
    """(name, reader) for every document under ``paths``, ZIP members included."""
    for path in paths:
        if path.is_dir():
            children = sorted(
                child
                for child in path.rglob("*")
                if child.is_file() and child.suffix.lower() in DOCUMENT_SUFFIXES and not child.name.startswith(".")
            )
            yield from _documents(children)
        elif zipfile.is_zipfile(path):
            try:
                archive = zipfile.ZipFile(path)
            except (OSError, zipfile.BadZipFile) as error:
                yield str(path), _raiser(OSError(f"cannot open the ZIP: {error}"))
                continue
            with archive:
                for member in archive.infolist():
                    if member.is_dir() or Path(member.filename).suffix.lower() not in DOCUMENT_SUFFIXES:
                        continue
                    yield f"{path}:{member.filename}", lambda member=member, archive=archive: archive.read(member)
        else:
            yield str(path), path.read_bytes


def _raiser(error: Exception) -> Callable[[], bytes]:
    def read() -> bytes:
        raise error

    return read


def count_documents(paths: list[str | Path]) -> int:
    """How many documents ``import_paths`` will read, for a progress bar."""
    total = 0
    for path in map(Path, paths):
        if path.is_dir():
            total += count_documents(
                [child for child in path.rglob("*") if child.is_file() and child.suffix.lower() in DOCUMENT_SUFFIXES]
            )
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                total += sum(
                    1
                    for member in archive.infolist()
                    if not member.is_dir() and Path(member.filename).suffix.lower() in DOCUMENT_SUFFIXES
                )
        else:
            total += 1
    return total


def import_paths(
    paths: list[str | Path],
    since: datetime.date | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Import every document under ``paths``; each failure is reported and skipped.

    ``since`` skips studies last updated before that date; ``progress`` is
    called with the number of documents read since its last call.
    """
    report = ImportReport()
    batch: list[tuple[str, TrialRecord]] = []

    def flush() -> None:
        sources = {record.nct_id.strip().upper(): source for source, record in batch}
        for result in save_records([record for _, record in batch]):
            if result.error:
                report.failures.append(
                    ImportFailure(sources[result.record.nct_id], result.error.nct_id, "; ".join(result.error.reasons))
                )
            else:
                report.counts[result.outcome] += 1
        batch.clear()

    for source, read_bytes in _documents([Path(p) for p in paths]):
        try:
            read = read_document(read_bytes(), source)
        except (OSError, UnicodeDecodeError) as error:
            report.failures.append(ImportFailure(source, "", f"cannot read the file: {error}"))
        except UnknownFormat as error:
            report.failures.append(ImportFailure(source, "", str(error)))
        else:
            report.failures += read.failures
            for record in read.records:
                updated = record.fields.get("last_update_posted_date")
                if since and updated and updated < since:
                    report.skipped += 1
                    continue
                batch.append((source, record))
                if len(batch) >= batch_size:
                    flush()
        if progress:
            progress(1)
    if batch:
        flush()
    return report
