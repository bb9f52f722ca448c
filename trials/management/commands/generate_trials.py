from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import time
from collections.abc import Iterator

import orjson
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from tqdm import tqdm

from trials.generation import generate_studies
from trials.importers import BATCH_SIZE, import_documents, worth_bulk_loading

# Batches of generated studies a worker may run ahead of the import.
AHEAD = 4


def _generated_batch(task: tuple[int, int, int]) -> list[tuple[str, bytes]]:
    """One batch of generated studies as JSON documents (made in a worker process)."""
    count, seed, first_number = task
    return [
        (f"generated {study['protocolSection']['identificationModule']['nctId']}", orjson.dumps(study))
        for study in generate_studies(count, seed, first_number)
    ]


def _generated(tasks: list[tuple[int, int, int]], pool) -> Iterator[tuple[str, bytes]]:
    generate = pool.imap if pool else map
    for start in range(0, len(tasks), AHEAD):
        for batch in generate(_generated_batch, tasks[start : start + AHEAD]):
            yield from batch


class Command(BaseCommand):
    help = "Create N realistic synthetic trials (drawn from real records) for benchmarks and demos."

    def add_arguments(self, parser):
        parser.add_argument("count", type=int)
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same trials.")
        parser.add_argument(
            "--first-number", type=int, default=95_000_000, help="NCT number of the first trial (default 95000000)."
        )
        parser.add_argument(
            "--workers", type=int, default=max((os.cpu_count() or 1) - 1, 0), help="Processes that generate."
        )

    def handle(self, *args, count, seed, first_number, workers, **options):
        if count < 1:
            raise CommandError("N must be at least 1.")
        if first_number < 1 or first_number + count > 100_000_000:
            raise CommandError("NCT numbers have 8 digits: lower --first-number or N.")
        # Each batch has its own seed, so the trials do not depend on how they were split.
        tasks = [
            (min(BATCH_SIZE, count - start), seed * 1_000_003 + start, first_number + start)
            for start in range(0, count, BATCH_SIZE)
        ]
        started = time.perf_counter()
        # Generated here or in other processes, then imported as documents
        # are: mapped, validated and written by the importer.
        pool = None
        if workers > 0 and len(tasks) > 1:
            connections.close_all()  # forked workers must not share the connection
            pool = multiprocessing.get_context("fork").Pool(workers)
        with (
            pool or contextlib.nullcontext(),
            tqdm(total=count, unit="trial", disable=not sys.stderr.isatty(), file=sys.stderr) as bar,
        ):
            report = import_documents(_generated(tasks, pool), progress=bar.update, bulk=worth_bulk_loading(count))
        elapsed = time.perf_counter() - started
        failed = len(report.failures)
        self.stdout.write(
            f"Generated {count - failed} trials in {elapsed:.1f} s ({count / elapsed:.0f}/s), {failed} failed."
        )
        for failure in report.failures[:10]:
            self.stderr.write(str(failure))
