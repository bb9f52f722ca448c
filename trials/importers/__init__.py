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

import contextlib
import datetime
import json
import logging
import multiprocessing
import os
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, connections, reset_queries

from .. import similarity
from .page import DocumentError, looks_like_page, parse_page
from .records import TrialRecord
from .writer import Outcome, Prepared, prepare, save_prepared

logger = logging.getLogger(__name__)

SEED_DOCUMENT = Path(__file__).resolve().parent.parent / "seed" / "NCT04133233.txt"
BATCH_SIZE = 500
# Documents handed to worker processes at a time.
WORKER_WINDOW = 2000
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
    # NCT IDs of the trials created or updated: their related lists need redoing.
    changed: list[str] = field(default_factory=list)

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


def _prepare_document(item: tuple[str, bytes], in_worker: bool = False) -> tuple[_Read, list[Prepared]]:
    """Read, map, fingerprint and validate one document: the work a worker process does.

    In a worker, records whose digest is already stored are not validated:
    the writer will find them unchanged.
    """
    source, data = item
    try:
        read = read_document(data, source)
    except UnicodeDecodeError as error:
        return _Read(source, failures=[ImportFailure(source, "", f"cannot read the file: {error}")]), []
    except UnknownFormat as error:
        return _Read(source, failures=[ImportFailure(source, "", str(error))]), []
    prepared = [prepare(record) for record in read.records]
    if in_worker:
        from ..models import Trial

        stored = dict(
            Trial.objects.filter(nct_id__in=[item.record.nct_id for item in prepared]).values_list(
                "nct_id", "source_digest"
            )
        )
        for item in prepared:
            if stored.get(item.record.nct_id) != item.digest:
                item.build()
    read.records = []
    return read, prepared


def _prepare_in_worker(item: tuple[str, bytes]) -> tuple[_Read, list[Prepared]]:
    return _prepare_document(item, in_worker=True)


def _prepared_documents(paths: list[Path], workers: int) -> Iterator[tuple[_Read, list[Prepared]]]:
    """Every document, prepared here or, with ``workers``, in that many other processes."""
    documents = _documents(paths)

    def loaded() -> Iterator[tuple[str, bytes] | _Read]:
        for source, read_bytes in documents:
            try:
                yield source, read_bytes()
            except OSError as error:
                yield _Read(source, failures=[ImportFailure(source, "", f"cannot read the file: {error}")])

    if workers < 1:
        for item in loaded():
            yield (item, []) if isinstance(item, _Read) else _prepare_document(item)
        return
    # Forked workers must not share this process's database connection.
    connections.close_all()
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        # A window at a time: Pool.imap would otherwise read the whole input ahead.
        window: list = []
        for item in loaded():
            window.append(item)
            if len(window) >= WORKER_WINDOW:
                yield from _prepare_window(pool, window)
                window = []
        yield from _prepare_window(pool, window)


def _prepare_window(pool, window: list) -> Iterator[tuple[_Read, list[Prepared]]]:
    readable = [item for item in window if not isinstance(item, _Read)]
    prepared = iter(pool.imap(_prepare_in_worker, readable, chunksize=32))
    for item in window:
        yield (item, []) if isinstance(item, _Read) else next(prepared)


def import_paths(
    paths: list[str | Path],
    since: datetime.date | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
    workers: int = 0,
    related: bool = True,
    defer_indexes: bool = False,
) -> ImportReport:
    """Import every document under ``paths``; each failure is reported and skipped.

    ``since`` skips studies last updated before that date; ``progress`` is
    called with the number of documents read since its last call;
    ``workers`` other processes read and validate while this one writes
    (not inside a transaction, whose connection they would share);
    ``related`` recomputes the related trials of what changed (see
    ``similarity.after_import``); ``defer_indexes`` builds the search
    indexes once at the end (see ``deferred_search_indexes``).
    """
    if workers and connection.in_atomic_block:
        workers = 0
    report = ImportReport()
    batch: list[tuple[str, Prepared]] = []

    def flush() -> None:
        sources = {item.record.nct_id: source for source, item in batch}
        for result in save_prepared([item for _, item in batch]):
            if result.error:
                report.failures.append(
                    ImportFailure(sources[result.record.nct_id], result.error.nct_id, "; ".join(result.error.reasons))
                )
            else:
                report.counts[result.outcome] += 1
                if result.outcome != Outcome.UNCHANGED:
                    report.changed.append(result.record.nct_id)
        batch.clear()
        # With DEBUG on, Django keeps the last 9,000 queries; a long import needs none of them.
        reset_queries()

    with deferred_search_indexes() if defer_indexes else contextlib.nullcontext():
        for read, prepared in _prepared_documents([Path(p) for p in paths], workers):
            report.failures += read.failures
            for item in prepared:
                updated = item.record.fields.get("last_update_posted_date")
                if since and updated and updated < since:
                    report.skipped += 1
                    continue
                batch.append((read.source, item))
                if len(batch) >= batch_size:
                    flush()
            if progress:
                progress(1)
        if batch:
            flush()
    if connection.vendor == "postgresql" and report.counts[Outcome.CREATED] + report.counts[Outcome.UPDATED]:
        # Fresh statistics: without them the planner takes a table it has just
        # seen filled for nearly empty, and nests loops over it (the facets'
        # subqueries went from 1 ms to 500 ms). Autovacuum would catch up later.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE trials_trial")
    if related and report.changed:
        similarity.after_import(report.changed)
    return report


# From this many documents, an import builds the search indexes once at the end.
DEFER_INDEXES_FROM = 20_000


@contextlib.contextmanager
def deferred_search_indexes() -> Iterator[None]:
    """Drop the GIN indexes (full text, trigrams) for a bulk load, and build them again after.

    Inserting into a GIN index row by row costs more than building it once
    from all the rows; a large import spends most of its database time there.
    Searches during the import are slower (the rows are all there); the
    indexes come back even when the import fails.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename LIKE 'trials\\_%%' AND indexdef LIKE '%%USING gin%%'"
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX IF EXISTS {connection.ops.quote_name(name)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.in_atomic_block:
                # Inside a caller's transaction: run the deferred foreign-key checks
                # now, as PostgreSQL builds no index on a table with checks pending.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET maintenance_work_mem = '256MB'")
            for _, definition in indexes:
                cursor.execute(definition.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))
            cursor.execute("RESET maintenance_work_mem")
            if connection.in_atomic_block:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def default_workers(documents: int) -> int:
    """Worker processes worth starting for an import of ``documents``.

    None for small imports; otherwise the cores left once this process and
    the database have one each (measured: on 2 cores a worker slows the
    import, as it takes CPU from PostgreSQL).
    """
    if documents < 2 * WORKER_WINDOW:
        return 0
    return max(0, (os.cpu_count() or 1) - 2)
