from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from trials.search.vocabulary import MESH_PATH, MESH_TREES, build_mesh_file

DEFAULT_SOURCE = Path(settings.BASE_DIR).parent / "shared" / "reference" / "mesh" / "mesh2024-terms.tsv.gz"


class Command(BaseCommand):
    help = "Rebuild trials/data/mesh-terms.tsv.gz (the MeSH descriptors search expands) from the MeSH reference TSV."

    def add_arguments(self, parser):
        parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)

    def handle(self, *args, **options):
        written = build_mesh_file(options["source"])
        trees = ", ".join(MESH_TREES)
        self.stdout.write(
            f"{written} descriptors of trees {trees} written to {MESH_PATH} ({MESH_PATH.stat().st_size:,} bytes)"
        )
