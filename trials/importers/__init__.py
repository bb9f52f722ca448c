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
import gc
import logging
import multiprocessing
import os
import re
import threading
import zipfile
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import ijson
import orjson
from django.conf import settings
from django.db import DatabaseError, connection, connections, reset_queries, transaction

from .. import related as related_trials
from ..ctgov.records import TrialRecord
from .page import DocumentError, looks_like_page, parse_page
from .writer import Outcome, Prepared, prepare, save_prepared

logger = logging.getLogger(__name__)

SEED_DOCUMENT = Path(__file__).resolve().parent.parent / "seed" / "NCT04133233.txt"
BATCH_SIZE = 500
# Documents handed to worker processes at a time, and at most this many bytes of them.
WORKER_WINDOW = 2000
WORKER_WINDOW_BYTES = 48 * 2**20
# A batch is written once it holds this many bytes of documents, however few:
# a batch of large studies must not hold hundreds of them.
BATCH_BYTES = 16 * 2**20
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
    # Imported, but worth a look: a file named for another trial than the one it holds.
    warnings: list[ImportFailure] = field(default_factory=list)
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
        if self.warnings:
            parts.append(f"{len(self.warnings)} warning{'s' if len(self.warnings) > 1 else ''}")
        return ", ".join(parts)


class UnknownFormat(Exception):
    pass


@dataclass
class _Read:
    """What one document gave: records to save, or why it could not be read."""

    source: str
    records: list[TrialRecord] = field(default_factory=list)
    failures: list[ImportFailure] = field(default_factory=list)
    # The input file it came from (a ZIP archive for its members), and its size.
    file: str = ""
    size: int = 0


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
            # orjson: a bulk import spends much of its time reading JSON.
            data = orjson.loads(stripped)
        except orjson.JSONDecodeError as error:
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


def _documents(paths: list[Path]) -> Iterator[tuple[str, str, Callable[[], BinaryIO]]]:
    """(name, file, opener) for every document under ``paths``, ZIP members included.

    ``file`` is the input file the document came from: a ZIP archive for its members.
    """
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
                yield str(path), str(path), _raiser(OSError(f"cannot open the ZIP: {error}"))
                continue
            with archive:
                for member in archive.infolist():
                    if member.is_dir() or Path(member.filename).suffix.lower() not in DOCUMENT_SUFFIXES:
                        continue
                    yield (
                        f"{path}:{member.filename}",
                        str(path),
                        lambda member=member, archive=archive: archive.open(member),
                    )
        else:
            yield str(path), str(path), lambda path=path: path.open("rb")


def _raiser(error: Exception) -> Callable[[], BinaryIO]:
    def read() -> BinaryIO:
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


def _prepare_document(item: tuple, in_worker: bool = False) -> tuple[_Read, list[Prepared]]:
    """Read, map, fingerprint and validate one document: the work a worker process does.

    ``item`` is (name, content) or (name, content, input file). In a worker,
    records whose digest is already stored are not validated: the writer
    will find them unchanged.
    """
    source, data = item[0], item[1]
    file = item[2] if len(item) > 2 else source
    try:
        read = read_document(data, source)
    except UnicodeDecodeError as error:
        read = _Read(source, failures=[ImportFailure(source, "", f"cannot read the file: {error}")])
    except UnknownFormat as error:
        read = _Read(source, failures=[ImportFailure(source, "", str(error))])
    read.file, read.size = file, len(data)
    if not read.records:
        return read, []
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


def _prepare_in_worker(item: tuple) -> tuple[_Read, list[Prepared]]:
    return _prepare_document(item, in_worker=True)


def max_study_bytes() -> int:
    """The largest study document an import reads (``settings.IMPORT_MAX_STUDY_BYTES``)."""
    return settings.IMPORT_MAX_STUDY_BYTES


def _loaded(paths: list[Path]) -> Iterator[tuple[str, bytes, str] | _Read]:
    """(name, content, file) of every document under ``paths``, or why one could not be read.

    A document is read whole only up to ``max_study_bytes``; a larger JSON
    array or search page is read study by study (``_streamed_studies``),
    anything else larger is refused unread.
    """
    limit = max_study_bytes()
    for source, file, opener in _documents(paths):
        try:
            with opener() as stream:
                head = stream.read(limit + 1)
                if len(head) <= limit:
                    yield source, head, file
                    continue
                start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
                if start not in (b"[", b"{"):
                    yield _Read(source, file=file, failures=[_too_large(source, limit)])
                    continue
                yield from _streamed_studies(source, file, _Chained(head, stream), limit, start == b"[")
        except (OSError, zipfile.BadZipFile, zlib.error, EOFError) as error:
            yield _Read(source, file=file, failures=[ImportFailure(source, "", f"cannot read the file: {error}")])


def _too_large(source: str, limit: int, what: str = "the document") -> ImportFailure:
    return ImportFailure(
        source,
        "",
        f"{what} is larger than the {limit / 2**20:g} MB a study may weigh (IMPORT_MAX_STUDY_BYTES): not read",
    )


class _StudyTooLarge(Exception):
    pass


class _Chained:
    """A binary stream: ``head`` (already read), then the rest of ``stream``.

    Counts what it gives, and refuses to read on once ``limit`` bytes have
    passed since ``mark()``: one study of a JSON stream may not grow past
    the limit in the parser's buffers.
    """

    def __init__(self, head: bytes, stream: BinaryIO):
        self.head, self.stream = memoryview(head), stream
        self.given = self.marked = 0
        self.limit: int | None = None

    def mark(self) -> None:
        self.marked = self.given

    def read(self, size: int = -1) -> bytes:
        if self.limit is not None and self.given - self.marked > self.limit:
            raise _StudyTooLarge
        if size < 0:
            size = 1 << 16
        if self.head:
            data, self.head = bytes(self.head[:size]), self.head[size:]
        else:
            data = self.stream.read(size)
        self.given += len(data)
        return data


def _streamed_studies(
    source: str, file: str, stream: _Chained, limit: int, array: bool
) -> Iterator[tuple[str, bytes, str] | _Read]:
    """Each study of a JSON array (or of a search page's ``studies``), as a document of its own.

    Parsed incrementally (ijson's C parser), so memory holds one study at a
    time however long the input. A study past ``limit`` ends the file there:
    the parser cannot skip it, so the studies before it land and the rest
    is reported.
    """
    stream.limit = limit
    count = 0
    try:
        for study in ijson.items(stream, "item" if array else "studies.item", use_float=True):
            count += 1
            # orjson again: the workers read documents as bytes, as from any file.
            yield source, orjson.dumps(study), file
            stream.mark()
    except _StudyTooLarge:
        what = f"study {count + 1}" if array or count else "the document"
        yield _Read(source, file=file, failures=[_too_large(source, limit, what)])
    except (ijson.JSONError, orjson.JSONEncodeError) as error:
        failure = ImportFailure(source, "", f"invalid JSON after study {count}: {error}")
        yield _Read(source, file=file, failures=[failure])
    else:
        if not count:
            yield _Read(source, file=file, failures=[_too_large(source, limit)])


def _prepared_documents(documents: Iterable[tuple | _Read], workers: int) -> Iterator[tuple[_Read, list[Prepared]]]:
    """Every document, prepared here or, with ``workers``, in that many other processes."""
    if workers < 1:
        for item in documents:
            yield (item, []) if isinstance(item, _Read) else _prepare_document(item)
        return
    # Forked workers must not share this process's database connection.
    connections.close_all()
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        # A window at a time: Pool.imap would otherwise read the whole input ahead.
        window: list = []
        size = 0
        for item in documents:
            window.append(item)
            size += 0 if isinstance(item, _Read) else len(item[1])
            if len(window) >= WORKER_WINDOW or size >= WORKER_WINDOW_BYTES:
                yield from _prepare_window(pool, window)
                window, size = [], 0
        yield from _prepare_window(pool, window)


def _prepare_window(pool, window: list) -> Iterator[tuple[_Read, list[Prepared]]]:
    readable = [item for item in window if not isinstance(item, _Read)]
    prepared = iter(pool.imap(_prepare_in_worker, readable, chunksize=32))
    for item in window:
        yield (item, []) if isinstance(item, _Read) else next(prepared)


class _BatchWriter:
    """Saves batches of prepared records, here or in a thread of its own.

    In its thread (PostgreSQL, outside any transaction) the database writes
    one batch while this thread reads and validates the next, so on two cores
    an import runs at the pace of the slower side rather than of both added
    up. The thread has its own connection; records are built (validated)
    before they are handed over, so it mostly waits on the database.
    """

    # Batches handed over and not yet written. One keeps the database as busy
    # as two did (measured on realistic studies), for a batch less in memory.
    AHEAD = 1

    def __init__(self, threaded: bool, handle: Callable[[list[tuple[str, Prepared]], list], None]):
        self.handle = handle
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="import-writer") if threaded else None
        self.pending: deque[tuple[list[tuple[str, Prepared]], Future]] = deque()

    def save(self, batch: list[tuple[str, Prepared]]) -> None:
        if self.executor is None:
            self.handle(batch, save_prepared([item for _, item in batch]))
            return
        _build_changed([item for _, item in batch])
        self.pending.append((batch, self.executor.submit(self._save_in_thread, batch)))
        while len(self.pending) > self.AHEAD:
            self._finish_oldest()

    @staticmethod
    def _save_in_thread(batch: list[tuple[str, Prepared]]) -> list:
        results = save_prepared([item for _, item in batch])
        reset_queries()
        return results

    def _finish_oldest(self) -> None:
        batch, future = self.pending.popleft()
        self.handle(batch, future.result())

    def close(self) -> None:
        """Wait for every batch handed over; the first error raised in the thread is raised here."""
        if self.executor is None:
            return
        try:
            while self.pending:
                self._finish_oldest()
        finally:
            for _, future in self.pending:
                future.cancel()
            # The thread's own connection, closed in the thread that opened it.
            self.executor.submit(connections.close_all).result()
            self.executor.shutdown()


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Collect garbage less often while importing.

    An import allocates millions of short-lived objects (records, rows) that
    reference counting frees; the cycle collector would walk every live
    object many times over for nothing. What existed before the import
    (Django's objects, the mapping's) is frozen out of its walks meanwhile.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(20_000, 50, 50)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _build_changed(items: list[Prepared]) -> None:
    """Validate the records whose digest differs from the stored one (the others are unchanged)."""
    from ..models import Trial

    stored = dict(
        Trial.objects.filter(nct_id__in=[item.record.nct_id for item in items]).values_list("nct_id", "source_digest")
    )
    for item in items:
        if stored.get(item.record.nct_id) != item.digest:
            item.build()


def import_paths(paths: list[str | Path], **options) -> ImportReport:
    """Import every document under ``paths``; each failure is reported and skipped (see ``import_documents``)."""
    return import_documents(_loaded([Path(path) for path in paths]), **options)


def _named_nct_id(source: str) -> str:
    """The NCT ID a file (or ZIP member) is named for, as in the registry's bulk download, or ""."""
    match = _NCT_FILE_NAME.fullmatch(re.split(r"[/:]", source)[-1])
    return match[1].upper() if match else ""


_NCT_FILE_NAME = re.compile(r"(NCT\d{8})\.(?:json|txt)", re.IGNORECASE)


def import_documents(
    documents: Iterable[tuple | _Read],
    since: datetime.date | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
    workers: int = 0,
    related: bool = True,
    bulk: bool = False,
) -> ImportReport:
    """Import documents given as (name, content) or (name, content, input file); each failure is reported and skipped.

    Within one input file a study is read once: a later copy of the same
    NCT ID is reported as a failure, and the first copy is the one imported.
    A file named for one NCT ID that holds another is imported with a warning.

    ``since`` skips studies last updated before that date; ``progress`` is
    called with the number of documents read since its last call;
    ``workers`` other processes read and validate while this one writes
    (not inside a transaction, whose connection they would share);
    ``related`` recomputes the related trials of what changed, and of what
    an earlier import saved but was killed before relating (see
    ``related_trials.after_import`` and ``related_trials.pending``); ``bulk`` builds the indexes and checks
    once at the end (see ``bulk_load``).
    """
    if workers and connection.in_atomic_block:
        workers = 0
    # What a bulk import killed halfway still owes the database, first.
    restore_deferred()
    # And the related lists it never reached: computed with this import's.
    unrelated = related_trials.pending() if related else []
    report = ImportReport()
    batch: list[tuple[str, Prepared]] = []

    def handle(saved: list[tuple[str, Prepared]], results: list) -> None:
        sources = {item.record.nct_id: source for source, item in saved}
        for result in results:
            if result.error:
                report.failures.append(
                    ImportFailure(sources[result.record.nct_id], result.error.nct_id, "; ".join(result.error.reasons))
                )
            else:
                report.counts[result.outcome] += 1
                if result.outcome != Outcome.UNCHANGED:
                    report.changed.append(result.record.nct_id)
        # With DEBUG on, Django keeps the last 9,000 queries; a long import needs none of them.
        reset_queries()

    threaded = connection.vendor == "postgresql" and not connection.in_atomic_block
    with _fewer_collections(), bulk_load() if bulk else contextlib.nullcontext():
        writer = _BatchWriter(threaded, handle)
        # The NCT IDs read so far from the current input file: a second copy is refused.
        current_file, seen = None, set()
        last_source, batch_bytes = None, 0
        try:
            for read, prepared in _prepared_documents(documents, workers):
                report.failures += read.failures
                if read.file != current_file:
                    current_file, seen = read.file, set()
                named = _named_nct_id(read.source)
                for item in prepared:
                    nct_id = item.record.nct_id
                    if nct_id in seen:
                        report.failures.append(
                            ImportFailure(
                                read.source,
                                nct_id,
                                f"appears again in {read.file}: its first copy is the one imported, this one is not",
                            )
                        )
                        continue
                    seen.add(nct_id)
                    if named and named != nct_id:
                        report.warnings.append(
                            ImportFailure(read.source, nct_id, f"the file is named for {named} but holds {nct_id}")
                        )
                    updated = item.record.fields.get("last_update_posted_date")
                    if since and updated and updated < since:
                        report.skipped += 1
                        continue
                    batch.append((read.source, item))
                    batch_bytes += read.size // len(prepared)
                    if len(batch) >= batch_size or batch_bytes >= BATCH_BYTES:
                        writer.save(batch)
                        batch, batch_bytes = [], 0
                # A JSON array read study by study is one document for the progress bar.
                if progress and read.source != last_source:
                    progress(1)
                last_source = read.source
            if batch:
                writer.save(batch)
        finally:
            writer.close()
    if connection.vendor == "postgresql" and report.counts[Outcome.CREATED] + report.counts[Outcome.UPDATED]:
        # Fresh statistics: without them the planner takes a table it has just
        # seen filled for nearly empty, and nests loops over it (the facets'
        # subqueries went from 1 ms to 500 ms). Autovacuum would catch up later.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE trials_trial")
    if related and (report.changed or unrelated):
        related_trials.after_import(list(dict.fromkeys([*report.changed, *unrelated])))
    return report


# From this many documents (and at least half the trials on file), an import
# is a bulk load: see ``bulk_load``.
BULK_LOAD_FROM = 20_000


def worth_bulk_loading(documents: int) -> bool:
    """Whether an import of ``documents`` should run as a ``bulk_load``.

    Rebuilding indexes and checks costs in proportion to everything stored,
    maintaining them row by row in proportion to what is imported: a bulk
    load pays off for a large import that at least grows the registry by half.
    """
    from ..models import Trial

    return connection.vendor == "postgresql" and documents >= max(BULK_LOAD_FROM, Trial.objects.count() // 2)


def _written_tables() -> list[str]:
    """The tables the writer fills."""
    from ..models import ArmGroupIntervention, Condition, Trial, TrialCondition
    from .writer import CHILD_MODELS, RESULT_MODELS

    models = [Trial, Condition, TrialCondition, ArmGroupIntervention, *CHILD_MODELS.values(), *RESULT_MODELS.values()]
    return [model._meta.db_table for model in models]


# Kept through a bulk load: replacing a trial deletes its rows by these.
_TRIAL_KEY_INDEX = re.compile(r"USING btree \(trial_id\)$")


@contextlib.contextmanager
def bulk_load() -> Iterator[None]:
    """Load many trials at once: drop what slows writing row by row, and rebuild it once at the end.

    Maintaining the GIN indexes (full text, trigrams), the secondary B-tree
    indexes and the foreign-key checks row by row costs a bulk import more
    than all its other database work; building each once from all the rows
    costs a fraction of that. Kept: primary keys and unique constraints (the
    writer looks trials and conditions up by them) and each table's index on
    its trial (replacing a trial deletes its rows by it). Searches and
    filters are slower meanwhile; everything comes back even when the import
    fails, and the statements that bring it back are stored first
    (``DeferredStatement``), so an import killed halfway is repaired by the next one.
    PostgreSQL only; elsewhere this does nothing.
    """
    from ..models import DeferredStatement

    if connection.vendor != "postgresql":
        yield
        return
    restore_deferred()
    with transaction.atomic(), connection.cursor() as cursor:
        # Checks pending from earlier in a caller's transaction would block ALTER TABLE.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        tables = _written_tables()
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = ANY(%s::regclass[]) AND NOT indisunique AND NOT indisprimary ORDER BY 1",
            [tables],
        )
        indexes = [
            (name, definition) for name, definition in cursor.fetchall() if not _TRIAL_KEY_INDEX.search(definition)
        ]
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
            [tables],
        )
        foreign_keys = cursor.fetchall()
        quote = connection.ops.quote_name
        DeferredStatement.objects.bulk_create(
            [DeferredStatement(statement=definition) for _, definition in indexes]
            + [
                DeferredStatement(statement=f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition} NOT VALID")
                for table, name, definition in foreign_keys
            ]
            + [
                DeferredStatement(statement=f"ALTER TABLE {table} VALIDATE CONSTRAINT {quote(name)}")
                for table, name, _ in foreign_keys
            ]
        )
        for table, name, _ in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    try:
        yield
    finally:
        restore_deferred()


# Connections that build the owed indexes side by side (GIN builds use one core each).
RESTORE_CONNECTIONS = 2


def restore_deferred() -> int:
    """Run what a bulk load owes the database (see ``bulk_load``); how many statements ran.

    Indexes first, built side by side on ``RESTORE_CONNECTIONS`` connections
    (outside a caller's transaction, whose locks they would wait on), the
    GIN ones first as they take longest; then the foreign keys, in order.
    """
    from ..models import DeferredStatement

    if connection.vendor != "postgresql":
        return 0
    statements = list(DeferredStatement.objects.order_by("id"))
    indexes = sorted(
        (deferred for deferred in statements if deferred.statement.startswith("CREATE ")),
        key=lambda deferred: "USING gin" not in deferred.statement,
    )
    checks = [deferred for deferred in statements if not deferred.statement.startswith("CREATE ")]
    failures: list[str] = []
    if len(indexes) > 1 and not connection.in_atomic_block:
        pending = deque(indexes)

        def build() -> None:
            try:
                while pending:
                    failures.extend(_run_deferred(pending.popleft()))
            except IndexError:
                pass  # the other connection took the last one
            finally:
                connections.close_all()  # this thread's own connection

        threads = [threading.Thread(target=build) for _ in range(RESTORE_CONNECTIONS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:
        checks = indexes + checks
    for deferred in checks:
        failures.extend(_run_deferred(deferred))
    if failures:
        raise DatabaseError("a bulk load could not restore " + "; ".join(failures))
    return len(statements)


def _run_deferred(deferred) -> list[str]:
    """Run one owed statement and strike it off, in one transaction: [] or why it failed."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # Inside a caller's transaction: run its pending foreign-key checks
            # now, as PostgreSQL alters no table with checks pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            cursor.execute(deferred.statement.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
            deferred.delete()
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    except DatabaseError as error:
        return [f"{deferred.statement}: {error}"]
    return []


def default_workers(documents: int) -> int:
    """Worker processes worth starting for an import of ``documents``.

    None for small imports; otherwise the cores left once this process and
    the database have one each (measured: on 2 cores a worker slows the
    import, as it takes CPU from PostgreSQL).
    """
    if documents < 2 * WORKER_WINDOW:
        return 0
    return max(0, (os.cpu_count() or 1) - 2)
