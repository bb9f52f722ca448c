"""Round trip at scale: every study in a folder against our export of it, on every covered path.

    .venv/bin/python manage.py import_trials FOLDER      (first, into DATABASE_URL)
    .venv/bin/python bench/roundtrip.py FOLDER

Prints how many studies and paths were compared and every difference (NCT ID,
path); exits non-zero when there is one.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialportal.settings")

import django  # noqa: E402

django.setup()

from trials.ctgov import COVERED_PATHS, project  # noqa: E402
from trials.exports import export_studies  # noqa: E402
from trials.models import Trial  # noqa: E402

CHUNK = 200


def main(folder: Path) -> int:
    files = sorted(folder.glob("*.json"))
    differences: list[tuple[str, str]] = []
    compared = missing = 0
    for start in range(0, len(files), CHUNK):
        chunk = files[start : start + CHUNK]
        ids = dict(Trial.objects.filter(nct_id__in=[f.stem for f in chunk]).values_list("nct_id", "pk"))
        # The API's own bulk export, a chunk at a time.
        studies = {
            study["protocolSection"]["identificationModule"]["nctId"]: study
            for study in export_studies(list(ids.values()))
        }
        for path in chunk:
            if path.stem not in studies:
                missing += 1
                continue
            original = json.loads(path.read_text(encoding="utf-8"))
            exported = studies[path.stem]
            compared += 1
            differences += [
                (path.stem, covered)
                for covered in COVERED_PATHS
                if project(original, covered) != project(exported, covered)
            ]
    for nct_id, covered in differences:
        print(f"{nct_id}\t{covered}")
    print(
        f"{compared} studies compared on {len(COVERED_PATHS)} paths: "
        f"{len(differences)} differences, {missing} not on file."
    )
    return 1 if differences or missing else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/ctgov/v2")))
