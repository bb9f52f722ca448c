from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from trials import pages, related
from trials.importers import SEED_DOCUMENT, import_paths


class Command(BaseCommand):
    help = "Load the bundled seed document (NCT04133233)."

    def handle(self, *args, **options):
        report = import_paths([SEED_DOCUMENT])
        related.after_import(report.changed)
        pages.build(report.changed)
        if not report.ok:
            raise CommandError("; ".join(str(failure) for failure in report.failures))
        self.stdout.write(f"Seed {SEED_DOCUMENT.name}: {report.summary()}")
