"""What one study costs in each format of /api/v2/studies/{nctId}, against its JSON in the same run.

    .venv/bin/python bench/formats.py [RUNS]     (default 5 runs of 10 requests per format)

Uses DATABASE_URL, or a ``trialportal_bench`` database on the local server (created if missing),
migrates it and imports the records from the test data: NCT04267848 (1,148 sites) and NCT00057759
(30 sites, merged from NCT00075127). Prints, per record and format, the response's bytes and the
milliseconds per request through the Django test client (min / median / max of the runs) with the
median's ratio to JSON's, each format built (another parameter keeps it out of the shared cache) and
kept (the shared cache's copy), and what answering the alias with its redirect costs.
"""

from __future__ import annotations

import statistics
import sys
import time

import portal  # bench/ is the script's folder

portal.setup()

from django.test import Client  # noqa: E402

DATA = portal.ROOT / "trials" / "tests" / "data" / "ctgov"
RECORDS = ("NCT04267848", "NCT00057759")
ALIAS = "NCT00075127"
FORMATS = ("json", "fhir.json", "ris", "json.zip", "csv")
REQUESTS = 10


def _runs(client: Client, path: str, query: dict, runs: int, status: int = 200) -> list[float]:
    """Milliseconds per request, one figure per run of ``REQUESTS``."""
    figures = []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(REQUESTS):
            response = client.get(path, query)
            assert response.status_code == status, (path, query, response.status_code)
        figures.append((time.perf_counter() - start) * 1000 / REQUESTS)
    return figures


def _line(label: str, size: int | str, figures: list[float], baseline: float) -> str:
    median = statistics.median(figures)
    return (
        f"{label:<28} {size:>10}  {min(figures):8.1f} / {median:8.1f} / {max(figures):8.1f} ms"
        f"  ×{median / baseline:5.2f}"
    )


def main(runs: int) -> None:
    portal.prepare(DATA / f"{nct_id}.json" for nct_id in RECORDS)
    client = Client(HTTP_HOST="localhost")
    print(f"{'record, format':<28} {'bytes':>10}  min / median / max per request  median vs json")
    for nct_id in RECORDS:
        path = f"/api/v2/studies/{nct_id}"
        # A parameter beside the format keeps the response out of the shared cache: built each time.
        baseline = statistics.median(_runs(client, path, {"format": "json", "markupFormat": "markdown"}, runs))
        for output in FORMATS:
            size = len(client.get(path, {"format": output}).content)
            built = _runs(client, path, {"format": output, "markupFormat": "markdown"}, runs)
            print(_line(f"{nct_id} {output} built", f"{size:,}", built, baseline))
            print(_line(f"{nct_id} {output} kept", "", _runs(client, path, {"format": output}, runs), baseline))
    study = {"format": "ris", "markupFormat": "markdown"}
    baseline = statistics.median(_runs(client, f"/api/v2/studies/{RECORDS[1]}", study, runs))
    redirect = _runs(client, f"/api/v2/studies/{ALIAS}", study, runs, status=301)
    print(_line(f"{ALIAS} → 301 (vs its ris)", "", redirect, baseline))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
