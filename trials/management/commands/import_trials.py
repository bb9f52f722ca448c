from __future__ import annotations

import datetime
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from trials import pages, related
from trials.api.sizes import measure
from trials.importers import count_documents, default_workers, import_paths, worth_bulk_loading


def iso_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--since must be a date as YYYY-MM-DD, not {value!r}") from None


class Command(BaseCommand):
    help = (
        "Import trials: trial pages saved as text, ClinicalTrials.gov API v2 JSON (one study, a search page "
        "or an array), directories of them, or the registry's bulk ZIP of JSON files; then refresh the related "
        "trials of those that changed."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="Files, directories or ZIP archives to import.")
        parser.add_argument("--since", type=str, help="Skip studies last updated before this date (YYYY-MM-DD).")
        parser.add_argument("--no-progress", action="store_true", help="Never show a progress bar.")
        parser.add_argument(
            "--workers",
            type=int,
            help="Processes that read and validate while one writes (default: one fewer than the cores "
            "for large imports, none for small ones).",
        )

    def handle(self, *args, paths, since=None, no_progress=False, workers=None, **options):
        since_date = iso_date(since) if since else None
        if workers is not None and workers < 0:
            raise CommandError("--workers cannot be negative.")
        total = count_documents(paths)
        show_bar = not no_progress and sys.stderr.isatty()
        bar = tqdm(total=total, unit="doc", disable=not show_bar, file=sys.stderr)
        with bar:
            report = import_paths(
                paths,
                since=since_date,
                progress=bar.update,
                workers=default_workers(total) if workers is None else workers,
                bulk=worth_bulk_loading(total),
            )
        # The related lists of what changed (and of what a killed import never related).
        related.after_import(report.changed)
        # Their pages' record-only parts, rendered once here rather than on each first visit.
        pages.build(report.changed)
        # /stats/size reads stored sizes: measure what changed (and anything never measured).
        measure()
        for warning in report.warnings:
            self.stderr.write(f"Warning: {warning}")
        for failure in report.failures:
            self.stderr.write(f"Failed: {failure}")
        self.stdout.write(report.summary())
        if not report.ok:
            raise CommandError(f"{len(report.failures)} document(s) or trial(s) could not be imported.")
