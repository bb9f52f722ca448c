from __future__ import annotations

from django.core.management.base import BaseCommand

from trials.world_map import OUTLINES_PATH, TOPOJSON_PATH, build_outlines


class Command(BaseCommand):
    help = f"Rebuild {OUTLINES_PATH.name} (the site maps' country outlines) from the vendored {TOPOJSON_PATH.name}."

    def handle(self, *args, **options):
        written = build_outlines()
        self.stdout.write(f"{written} countries written to {OUTLINES_PATH} ({OUTLINES_PATH.stat().st_size:,} bytes)")
