"""The import pipeline: documents in, records validated in batches, a report out.

``import_paths`` streams: it reads one document at a time (``sources``),
prepares its records (mapped, fingerprinted, validated; in worker processes
for a large import) and saves them in batches (``writer``), on PostgreSQL in
a writer thread while the next batch is prepared, so memory stays flat
however large the input. Every failure is reported (file, NCT ID, reason)
and skipped; the rest lands.

The report names the trials that changed (``ImportReport.changed``); what
else they need (their related lists) is the caller's to do.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import multiprocessing
import os
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, connections, reset_queries

from .. import db
from ..models import Trial, VersionSource
from .bulk import bulk_load, restore_deferred
from .sources import ImportFailure, Read, UnknownFormat, loaded, named_nct_id, read_document
from .writer import Outcome, Prepared, prepare, save_prepared

BATCH_SIZE = 500
# Documents handed to worker processes at a time, and at most this many bytes of them.
WORKER_WINDOW = 2000
WORKER_WINDOW_BYTES = 48 * 2**20
# A batch is written once it holds this many bytes of documents, however few:
# a batch of large studies must not hold hundreds of them.
BATCH_BYTES = 16 * 2**20


@dataclass
class ImportReport:
    counts: Counter = field(default_factory=Counter)
    failures: list[ImportFailure] = field(default_factory=list)
    # Imported, but worth a look: a file named for another trial than the one it holds,
    # a page's other intervention names that it does not attribute.
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


def _prepare_document(item: tuple, in_worker: bool = False) -> tuple[Read, list[Prepared]]:
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
        read = Read(source, failures=[ImportFailure(source, "", f"cannot read the file: {error}")])
    except UnknownFormat as error:
        read = Read(source, failures=[ImportFailure(source, "", str(error))])
    read.file, read.size = file, len(data)
    if not read.records:
        return read, []
    prepared = [prepare(record) for record in read.records]
    if in_worker:
        _build_changed(prepared)
    read.records = []
    return read, prepared


def _prepare_in_worker(item: tuple) -> tuple[Read, list[Prepared]]:
    return _prepare_document(item, in_worker=True)


def _prepared_documents(documents: Iterable[tuple | Read], workers: int) -> Iterator[tuple[Read, list[Prepared]]]:
    """Every document, prepared here or, with ``workers``, in that many other processes."""
    if workers < 1:
        for item in documents:
            yield (item, []) if isinstance(item, Read) else _prepare_document(item)
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
            size += 0 if isinstance(item, Read) else len(item[1])
            if len(window) >= WORKER_WINDOW or size >= WORKER_WINDOW_BYTES:
                yield from _prepare_window(pool, window)
                window, size = [], 0
        yield from _prepare_window(pool, window)


def _prepare_window(pool, window: list) -> Iterator[tuple[Read, list[Prepared]]]:
    readable = [item for item in window if not isinstance(item, Read)]
    prepared = iter(pool.imap(_prepare_in_worker, readable, chunksize=32))
    for item in window:
        yield (item, []) if isinstance(item, Read) else next(prepared)


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

    def __init__(self, threaded: bool, handle: Callable[[list[tuple[str, Prepared]], list], None], origin: str):
        self.handle = handle
        self.origin = origin
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="import-writer") if threaded else None
        self.pending: deque[tuple[list[tuple[str, Prepared]], Future]] = deque()

    def save(self, batch: list[tuple[str, Prepared]]) -> None:
        if self.executor is None:
            self.handle(batch, save_prepared([item for _, item in batch], self.origin))
            return
        _build_changed([item for _, item in batch])
        self.pending.append((batch, self.executor.submit(self._save_in_thread, batch, self.origin)))
        while len(self.pending) > self.AHEAD:
            self._finish_oldest()

    @staticmethod
    def _save_in_thread(batch: list[tuple[str, Prepared]], origin: str) -> list:
        results = save_prepared([item for _, item in batch], origin)
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
    stored = dict(
        Trial.objects.filter(nct_id__in=[item.record.nct_id for item in items]).values_list("nct_id", "source_digest")
    )
    for item in items:
        if stored.get(item.record.nct_id) != item.digest:
            item.build()


def import_paths(paths: list[str | Path], **options) -> ImportReport:
    """Import every document under ``paths``; each failure is reported and skipped (see ``import_documents``)."""
    return import_documents(loaded([Path(path) for path in paths]), **options)


def import_documents(
    documents: Iterable[tuple | Read],
    since: datetime.date | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
    workers: int = 0,
    bulk: bool = False,
    origin: str = VersionSource.IMPORT,
) -> ImportReport:
    """Import documents given as (name, content) or (name, content, input file); each failure is reported and skipped.

    Within one input file a study is read once: a later copy of the same
    NCT ID is reported as a failure, and the first copy is the one imported.
    A file named for one NCT ID that holds another is imported with a warning.

    ``since`` skips studies last updated before that date; ``progress`` is
    called with the number of documents read since its last call;
    ``workers`` other processes read and validate while this one writes
    (not inside a transaction, whose connection they would share); ``bulk``
    builds the indexes and checks once at the end (see ``bulk_load``);
    ``origin`` says what brought the changes (an import, a sync): a trial
    replaced keeps its previous version, recorded as replaced by it.
    The trials created or updated are ``report.changed``: the caller
    refreshes their related lists (``trials.related.after_import``).
    """
    if workers and connection.in_atomic_block:
        workers = 0
    # What a bulk import killed halfway still owes the database, first.
    restore_deferred()
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
        writer = _BatchWriter(threaded, handle, origin)
        # The NCT IDs read so far from the current input file: a second copy is refused.
        current_file, seen = None, set()
        last_source, batch_bytes = None, 0
        try:
            for read, prepared in _prepared_documents(documents, workers):
                report.failures += read.failures
                report.warnings += read.warnings
                if read.file != current_file:
                    current_file, seen = read.file, set()
                named = named_nct_id(read.source)
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
        db.analyze_trials()
    return report


def default_workers(documents: int) -> int:
    """Worker processes worth starting for an import of ``documents``.

    None for small imports; otherwise the cores left once this process and
    the database have one each (measured: on 2 cores a worker slows the
    import, as it takes CPU from PostgreSQL).
    """
    if documents < 2 * WORKER_WINDOW:
        return 0
    return max(0, (os.cpu_count() or 1) - 2)
