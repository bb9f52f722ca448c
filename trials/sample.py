"""The bundled sample: a few hundred real registry records, so a first run has trials worth browsing.

``trials/data/sample-studies.json.gz`` is a JSON array of ClinicalTrials.gov
API v2 studies, chosen from a folder of records by ``choose`` for variety:
the trials with the most sites, posted results, every overall status (the
stopped, withdrawn and terminated ones included), observational studies,
many countries. ``load`` imports it through the importer's pipeline once:
when every one of its trials is on file, it reads nothing more.
"""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import orjson

from .importers import ImportReport, import_documents
from .models import Trial

SAMPLE_PATH = Path(__file__).resolve().parent / "data" / "sample-studies.json.gz"
SAMPLE_SIZE = 300
# How many of each kind are picked before the rest is filled at random.
MOST_SITES = 12
WITH_RESULTS = 60
OBSERVATIONAL = 50
PER_STATUS = 15


def sample_ids(path: Path = SAMPLE_PATH) -> list[str]:
    return [study["protocolSection"]["identificationModule"]["nctId"] for study in _studies(path)]


def _studies(path: Path) -> list[dict]:
    return orjson.loads(gzip.decompress(path.read_bytes()))


def load(path: Path = SAMPLE_PATH) -> ImportReport | None:
    """Import the sample; ``None`` when all of it is already on file."""
    data = gzip.decompress(path.read_bytes())
    ids = [study["protocolSection"]["identificationModule"]["nctId"] for study in orjson.loads(data)]
    if Trial.objects.filter(nct_id__in=ids).count() == len(set(ids)):
        return None
    return import_documents([(path.name, data)])


def choose(folder: Path, size: int = SAMPLE_SIZE, seed: int = 22) -> list[dict]:
    """Records of ``folder`` (one API v2 study per ``NCT*.json``) picked for variety, in NCT ID order."""
    studies = {path.stem: orjson.loads(path.read_bytes()) for path in sorted(folder.glob("NCT*.json"))}

    def protocol(nct_id: str, module: str) -> dict:
        return studies[nct_id]["protocolSection"].get(module, {})

    def sites(nct_id: str) -> list[dict]:
        return protocol(nct_id, "contactsLocationsModule").get("locations", [])

    ids = sorted(studies)
    rng = random.Random(seed)
    chosen: dict[str, None] = {}

    def take(candidates: list[str], count: int) -> None:
        for nct_id in [candidate for candidate in candidates if candidate not in chosen][:count]:
            chosen[nct_id] = None

    take(sorted(ids, key=lambda nct_id: -len(sites(nct_id))), MOST_SITES)
    take(rng.sample([i for i in ids if studies[i].get("hasResults")], k=WITH_RESULTS), WITH_RESULTS)
    observational = [i for i in ids if protocol(i, "designModule").get("studyType") == "OBSERVATIONAL"]
    take(rng.sample(observational, k=min(OBSERVATIONAL, len(observational))), OBSERVATIONAL)
    statuses = sorted({protocol(i, "statusModule").get("overallStatus", "") for i in ids})
    for status in statuses:
        of_status = [i for i in ids if protocol(i, "statusModule").get("overallStatus") == status]
        take(rng.sample(of_status, k=len(of_status)), PER_STATUS)
    # A trial from each country some record names, while room is left for the rest.
    countries: dict[str, list[str]] = {}
    for nct_id in ids:
        for country in {site.get("country") for site in sites(nct_id)} - {None}:
            countries.setdefault(country, []).append(nct_id)
    for country in sorted(countries):
        if len(chosen) >= size * 3 // 4:
            break
        if not any(nct_id in chosen for nct_id in countries[country]):
            take(countries[country], 1)
    take(rng.sample(ids, k=len(ids)), size - len(chosen))
    return [studies[nct_id] for nct_id in sorted(chosen)]


def write(studies: list[dict], path: Path = SAMPLE_PATH) -> int:
    """Write ``studies`` gzipped (no timestamp, so the same choice gives the same bytes); the bytes written."""
    data = gzip.compress(orjson.dumps(studies), compresslevel=9, mtime=0)
    path.write_bytes(data)
    return len(data)
