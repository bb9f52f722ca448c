from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from trials import sample

DEFAULT_FOLDER = Path(__file__).resolve().parents[4] / "shared" / "data" / "ctgov" / "v2"


class Command(BaseCommand):
    help = "Choose the bundled sample from a folder of API v2 records (NCT*.json) and write it gzipped."

    def add_arguments(self, parser):
        parser.add_argument("folder", nargs="?", default=str(DEFAULT_FOLDER), help="Default: ../shared/data/ctgov/v2.")
        parser.add_argument("--size", type=int, default=sample.SAMPLE_SIZE)

    def handle(self, *args, folder, size, **options):
        folder = Path(folder)
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder of records.")
        studies = sample.choose(folder, size)
        written = sample.write(studies)
        self.stdout.write(f"{len(studies)} studies, {written:,} bytes: {sample.SAMPLE_PATH}")
