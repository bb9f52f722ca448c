from __future__ import annotations

import argparse
import datetime
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from trials.sync import PAGE_SIZE, SyncAlreadyRunning, SyncRefused, summary, sync


def iso_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a date as YYYY-MM-DD, not {value!r}") from None


def page_size(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 1000:
        raise argparse.ArgumentTypeError(f"must be a number from 1 to 1000, not {value!r}")
    return int(value)


class Command(BaseCommand):
    help = (
        "Bring the trials up to date from an API v2 server (ClinicalTrials.gov by default, or another TrialPortal): "
        "incrementally since the last successful sync, or in full; a stopped run continues from its checkpoint."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="source", help="The API v2 base URL (default: SYNC_SOURCE_URL).")
        parser.add_argument("--full", action="store_true", help="Page through every study, not only the changed.")
        parser.add_argument("--since", type=iso_date, help="Only studies last updated on or after YYYY-MM-DD.")
        parser.add_argument("--no-progress", action="store_true", help="Never show a progress bar.")
        # Small pages, for tests and benchmarks of resuming.
        parser.add_argument("--page-size", type=page_size, default=PAGE_SIZE, help=argparse.SUPPRESS)

    def handle(self, *args, source=None, full=False, since=None, no_progress=False, page_size=PAGE_SIZE, **options):
        if full and since:
            raise CommandError("--full and --since ask for different runs: give one.")
        bar = tqdm(unit="study", disable=no_progress or not sys.stderr.isatty(), file=sys.stderr)

        def on_page(checkpoint, studies: int) -> None:
            if checkpoint.total_count is not None and bar.total != checkpoint.total_count:
                bar.total = checkpoint.total_count
                bar.n = checkpoint.studies - studies
            bar.update(studies)

        with bar:
            try:
                checkpoint = sync(source, full=full, since=since, page_size=page_size, on_page=on_page)
            except (SyncRefused, SyncAlreadyRunning) as error:
                raise CommandError(str(error)) from None
        if checkpoint.message:
            self.stderr.write(checkpoint.message)
        self.stdout.write(summary(checkpoint))
        if checkpoint.outcome != checkpoint.Outcome.SUCCEEDED:
            raise CommandError("The sync stopped at its checkpoint: the next run continues from there.")
        if checkpoint.failed:
            raise CommandError(
                f"{checkpoint.failed} stud{'y' if checkpoint.failed == 1 else 'ies'} could not be imported."
            )
