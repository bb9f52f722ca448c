from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from trials.importers import import_paths


class Command(BaseCommand):
    help = "Import trial documents (trial pages saved as text) from files or directories."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="Files or directories to import.")

    def handle(self, *args, paths, **options):
        report = import_paths(paths)
        for failure in report.failures:
            self.stderr.write(f"Failed: {failure}")
        self.stdout.write(report.summary())
        if not report.ok:
            raise CommandError(f"{len(report.failures)} document(s) or trial(s) could not be imported.")
