"""Import benchmark: N generated studies as a bulk ZIP, imported as the registry's download would be.

    .venv/bin/python bench/import.py [N]        (default 10000; DATABASE_URL picks the database)

Writes the ZIP to a temporary folder, imports it into a fresh test database,
and prints studies per second and the peak resident memory of the import.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialportal.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from trials.generation import generate_studies  # noqa: E402
from trials.importers import default_workers, import_paths, worth_bulk_loading  # noqa: E402


def peak_rss_mb() -> float:
    """Peak resident memory of this process and, separately counted, its finished workers."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_worker_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    setup_test_environment(debug=False)
    test_database = connection.creation.create_test_db(verbosity=0, keepdb=False)
    try:
        with tempfile.TemporaryDirectory() as folder:
            archive = Path(folder) / "ctg-studies.zip"
            started = time.perf_counter()
            with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
                for study in generate_studies(count):
                    nct_id = study["protocolSection"]["identificationModule"]["nctId"]
                    bundle.writestr(f"{nct_id}.json", json.dumps(study))
            size_mb = archive.stat().st_size / 1e6
            print(f"wrote {count} studies to a {size_mb:.0f} MB ZIP in {time.perf_counter() - started:.1f} s")
            rss_before = peak_rss_mb()
            started = time.perf_counter()
            workers = int(os.environ.get("BENCH_WORKERS", default_workers(count)))
            report = import_paths([archive], workers=workers, related=False, bulk=worth_bulk_loading(count))
            elapsed = time.perf_counter() - started
            print(f"database: {connection.vendor}, worker processes: {workers}")
            print(f"import: {report.summary()}")
            print(f"import: {count / elapsed:.0f} studies/s ({elapsed:.1f} s for {count})")
            print(
                f"peak RSS: {peak_rss_mb():.0f} MB (before the import: {rss_before:.0f} MB); "
                f"largest worker: {peak_worker_rss_mb():.0f} MB"
            )
            started = time.perf_counter()
            again = import_paths([archive], workers=workers, related=False)
            print(f"re-import: {again.summary()} at {count / (time.perf_counter() - started):.0f} studies/s")
    finally:
        connection.creation.destroy_test_db(test_database, verbosity=0)


if __name__ == "__main__":
    main()
