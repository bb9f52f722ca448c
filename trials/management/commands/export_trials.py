from __future__ import annotations

import json
import zipfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from trials.exports import csv_text, export_studies
from trials.models import Trial

CHUNK = 500


class Command(BaseCommand):
    help = (
        "Export trials in ClinicalTrials.gov API v2 shape: one JSON file per study into a directory, "
        "a ZIP of them (like the registry's bulk download), or CSV with the registry's columns."
    )

    def add_arguments(self, parser):
        parser.add_argument("destination", help="A directory, or a file ending in .zip or .csv.")
        parser.add_argument("nct_ids", nargs="*", help="Only these trials (default: all).")

    def handle(self, *args, destination, nct_ids, **options):
        trials = Trial.objects.order_by("nct_id")
        if nct_ids:
            trials = trials.filter(nct_id__in=[nct_id.upper() for nct_id in nct_ids])
            missing = sorted({nct_id.upper() for nct_id in nct_ids} - set(trials.values_list("nct_id", flat=True)))
            if missing:
                raise CommandError(f"Not on file: {', '.join(missing)}")
        target = Path(destination)
        ids = list(trials.values_list("pk", flat=True))
        if target.suffix.lower() == ".csv":
            with target.open("w", encoding="utf-8", newline="") as handle:
                for start in range(0, len(ids), CHUNK):
                    handle.write(csv_text(self._chunk(ids, start), header=start == 0))
        elif target.suffix.lower() == ".zip":
            with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
                for start in range(0, len(ids), CHUNK):
                    for nct_id, text in self._studies(ids, start):
                        archive.writestr(f"{nct_id}.json", text)
        else:
            if target.exists() and not target.is_dir():
                raise CommandError(f"{target} is a file; name a directory, a .zip or a .csv")
            target.mkdir(parents=True, exist_ok=True)
            for start in range(0, len(ids), CHUNK):
                for nct_id, text in self._studies(ids, start):
                    (target / f"{nct_id}.json").write_text(text, encoding="utf-8")
        self.stdout.write(f"Exported {len(ids)} trial(s) to {target}")

    @staticmethod
    def _chunk(ids: list[int], start: int):
        # Fixed-size chunks keep memory flat and queries per chunk constant.
        return Trial.objects.for_detail().filter(pk__in=ids[start : start + CHUNK]).order_by("nct_id")

    @staticmethod
    def _studies(ids: list[int], start: int):
        """(NCT ID, JSON text) of each study of a chunk."""
        for study in export_studies(ids[start : start + CHUNK]):
            yield (
                study["protocolSection"]["identificationModule"]["nctId"],
                json.dumps(study, ensure_ascii=False, indent=1),
            )
