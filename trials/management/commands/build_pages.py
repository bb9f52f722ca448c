from __future__ import annotations

from django.core.management.base import BaseCommand

from trials import pages


class Command(BaseCommand):
    help = (
        "Build the trial page documents that are missing or stale (after a deploy, or an import that skipped "
        "them): pages render live meanwhile."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"Page documents built: {pages.build_all():,}.")
