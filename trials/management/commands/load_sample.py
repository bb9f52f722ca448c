from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from trials import pages, related, sample


class Command(BaseCommand):
    help = "Load the bundled sample of real registry records, once: nothing is read when it is already on file."

    def handle(self, *args, **options):
        report = sample.load()
        if report is None:
            self.stdout.write("Sample: already on file.")
            return
        related.after_import(report.changed)
        pages.build(report.changed)
        if not report.ok:
            raise CommandError("; ".join(str(failure) for failure in report.failures))
        self.stdout.write(f"Sample {sample.SAMPLE_PATH.name}: {report.summary()}")
