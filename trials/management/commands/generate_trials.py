from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from tqdm import tqdm

from trials.ctgov import study_to_record
from trials.generation import generate_studies
from trials.importers import BATCH_SIZE, bulk_load, worth_bulk_loading
from trials.importers.writer import Prepared, prepare, save_prepared


def _prepared_chunk(task: tuple[int, int, int]) -> list[Prepared]:
    """One batch of generated trials, mapped and validated (run in a worker process)."""
    count, seed, first_number = task
    return [prepare(study_to_record(study), build=True) for study in generate_studies(count, seed, first_number)]


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
        failed = 0
        # Many trials at once: indexes and checks are built once at the end.
        with (
            bulk_load() if worth_bulk_loading(count) else contextlib.nullcontext(),
            tqdm(total=count, unit="trial", disable=not sys.stderr.isatty(), file=sys.stderr) as bar,
        ):
            if workers > 0 and len(tasks) > 1:
                connections.close_all()  # forked workers must not share the connection
                with multiprocessing.get_context("fork").Pool(workers) as pool:
                    # A few batches ahead at most: the workers can outrun the database.
                    window = 2 * workers
                    for start in range(0, len(tasks), window):
                        for prepared in pool.imap(_prepared_chunk, tasks[start : start + window]):
                            failed += sum(1 for result in save_prepared(prepared) if result.error)
                            bar.update(len(prepared))
            else:
                for task in tasks:
                    prepared = _prepared_chunk(task)
                    failed += sum(1 for result in save_prepared(prepared) if result.error)
                    bar.update(len(prepared))
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Generated {count - failed} trials in {elapsed:.1f} s ({count / elapsed:.0f}/s), {failed} failed."
        )
