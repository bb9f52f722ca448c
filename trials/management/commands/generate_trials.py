from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from trials.ctgov import study_to_record
from trials.generation import generate_studies
from trials.importers import BATCH_SIZE
from trials.importers.writer import save_records


class Command(BaseCommand):
    help = "Create N realistic synthetic trials (drawn from real records) for benchmarks and demos."

    def add_arguments(self, parser):
        parser.add_argument("count", type=int)
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same trials.")
        parser.add_argument(
            "--first-number", type=int, default=95_000_000, help="NCT number of the first trial (default 95000000)."
        )

    def handle(self, *args, count, seed, first_number, **options):
        if count < 1:
            raise CommandError("N must be at least 1.")
        if first_number + count > 100_000_000:
            raise CommandError("NCT numbers have 8 digits: lower --first-number or N.")
        started = time.perf_counter()
        failed = 0
        batch = []
        with tqdm(total=count, unit="trial", disable=not sys.stderr.isatty(), file=sys.stderr) as bar:
            for study in generate_studies(count, seed=seed, first_number=first_number):
                batch.append(study_to_record(study))
                if len(batch) == BATCH_SIZE:
                    failed += sum(1 for result in save_records(batch) if result.error)
                    bar.update(len(batch))
                    batch = []
            if batch:
                failed += sum(1 for result in save_records(batch) if result.error)
                bar.update(len(batch))
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Generated {count - failed} trials in {elapsed:.1f} s ({count / elapsed:.0f}/s), {failed} failed."
        )
