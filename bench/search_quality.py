"""How well do everyday words find their trials? Recall@20 and precision@10 on a judged set of real records.

    .venv/bin/python bench/search_quality.py                         (scratch SQLite database)
    DATABASE_URL=postgres://... .venv/bin/python bench/search_quality.py

Loads the shared ClinicalTrials.gov records (``../shared/data/ctgov/v2``, or
RECORDS_DIR) into the database when it does not hold them already, then runs
each query of ``bench/data/search_judgments.tsv`` through the list page's
search twice: in exact words (``exact=1``: the words as typed, as search read
them before synonyms and corrections) and as a patient's search. A record is
relevant when its own MeSH terms (conditions or interventions, or their
ancestors) name one of the query's descriptors, or (brands) when one of its
interventions is named or otherwise called the generic or the brand, or is
filed under a MeSH term of that name: all read from the JSON files, not from
the database. Recall@20 is the share of the relevant trials (at most
20) among the first 20 results; precision@10 the share of relevant trials
among the (up to) ten first results, 0 when there are none.

Then the place and country queries of ``bench/data/place_judgments.tsv``: a
record is relevant when one of its sites lies within the distance of the
judged point (its ``geoPoint``, by the haversine formula) or in one of the
judged spellings of the country, and for a text ending with a place
("diabetes in Lyon") when its MeSH terms also name the judged descriptor.
"Before" is the city filter for a place (the only way to ask before), the
country as typed for a country, and the text searched as words for a text.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/trialportal_search_quality.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialportal.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import QueryDict  # noqa: E402

from trials import listing, places, search  # noqa: E402
from trials.importers import import_paths  # noqa: E402
from trials.models import Trial  # noqa: E402
from trials.search.vocabulary import key  # noqa: E402

RECORDS = Path(os.environ.get("RECORDS_DIR", ROOT.parent / "shared" / "data" / "ctgov" / "v2"))
JUDGMENTS = ROOT / "bench" / "data" / "search_judgments.tsv"
PLACE_JUDGMENTS = ROOT / "bench" / "data" / "place_judgments.tsv"
RECALL_AT = 20
PRECISION_AT = 10


def load_registry() -> None:
    call_command("migrate", verbosity=0)
    expected = {path.stem for path in RECORDS.glob("NCT*.json")}
    if set(Trial.objects.values_list("nct_id", flat=True)) != expected:
        Trial.objects.all().delete()
        report = import_paths([RECORDS])
        assert report.ok, report.failures


def descriptors_by_record() -> dict[str, set[str]]:
    """NCT ID → every MeSH id its record's derivedSection names (terms and ancestors)."""
    found = {}
    for path in RECORDS.glob("NCT*.json"):
        derived = json.loads(path.read_text()).get("derivedSection", {})
        found[path.stem] = {
            mesh["id"]
            for module in ("conditionBrowseModule", "interventionBrowseModule")
            for part in ("meshes", "ancestors")
            for mesh in derived.get(module, {}).get(part, [])
        }
    return found


def interventions_by_record() -> dict[str, set[str]]:
    """NCT ID → the keys of its interventions' names and other names, and of its intervention MeSH terms."""
    found = {}
    for path in RECORDS.glob("NCT*.json"):
        study = json.loads(path.read_text())
        items = study["protocolSection"].get("armsInterventionsModule", {}).get("interventions", [])
        meshes = study.get("derivedSection", {}).get("interventionBrowseModule", {}).get("meshes", [])
        names = [name for item in items for name in (item["name"], *item.get("otherNames", []))]
        found[path.stem] = {key(name) for name in [*names, *(mesh["term"] for mesh in meshes)]}
    return found


def read_judgments() -> list[tuple[str, str, set[str], set[str]]]:
    """(kind, query, descriptors, intervention keys) of each judged query."""
    lines = [line for line in JUDGMENTS.read_text().splitlines() if line and not line.startswith("#")]
    rows = list(csv.DictReader(lines, delimiter="\t"))
    return [
        (
            row["kind"],
            row["query"],
            set(filter(None, row["descriptors"].split(","))),
            {key(name) for name in row["interventions"].split("|") if name},
        )
        for row in rows
    ]


def sites_by_record() -> dict[str, list[tuple[str, float | None, float | None]]]:
    """NCT ID → (country, lat, lon) of each of its record's sites, read from the JSON files."""
    found = {}
    for path in RECORDS.glob("NCT*.json"):
        locations = json.loads(path.read_text())["protocolSection"].get("contactsLocationsModule", {})
        found[path.stem] = [
            (site.get("country", ""), site.get("geoPoint", {}).get("lat"), site.get("geoPoint", {}).get("lon"))
            for site in locations.get("locations", [])
        ]
    return found


def place_relevant(row: dict, sites: dict, records: dict[str, set[str]]) -> set[str]:
    if row["kind"] == "text":
        wanted = set(row["descriptors"].split(","))
        within = place_relevant({**row, "kind": "near"}, sites, records)
        return {nct_id for nct_id in within if records[nct_id] & wanted}
    if row["kind"] == "country":
        names = set(row["countries"].split("|"))
        return {nct_id for nct_id, found in sites.items() if any(country in names for country, _, _ in found)}
    lat, lon, km = float(row["lat"]), float(row["lon"]), float(row["km"])
    return {
        nct_id
        for nct_id, found in sites.items()
        if any(y is not None and places.haversine_km(lat, lon, y, x) <= km for _, y, x in found)
    }


def place_before(row: dict) -> list[str]:
    """What the page answered before: the city filter, or the country filter as typed."""
    params = QueryDict(row["params"])
    if row["kind"] == "text":
        return first_results(search.trailing_place(params["q"]).as_words, True)
    if row["kind"] == "near":
        return first_results("", False, {"city": params["near"].split(",")[0]})
    wanted = params["country"]
    return list(
        Trial.objects.filter(sites__country__iexact=wanted).distinct().values_list("nct_id", flat=True)[:RECALL_AT]
    )


def place_scores(records: dict[str, set[str]]) -> None:
    sites = sites_by_record()
    lines = [line for line in PLACE_JUDGMENTS.read_text().splitlines() if line and not line.startswith("#")]
    scores: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    header = f"{'R@20 before':>11} {'after':>6}  {'P@10 before':>11} {'after':>6}"
    print(f"\n{'kind':<8} {'query':<40} {'relevant':>8}  {header}")
    for row in csv.DictReader(lines, delimiter="\t"):
        relevant = place_relevant(row, sites, records)
        line = []
        for label, shown in (
            ("before", place_before(row)),
            ("after", first_results("", False, dict(QueryDict(row["params"]).items()))),
        ):
            recall = len(set(shown) & relevant) / min(len(relevant), RECALL_AT) if relevant else 0.0
            top = shown[:PRECISION_AT]
            precision = len(set(top) & relevant) / len(top) if top else 0.0
            scores[row["kind"], label].append((recall, precision))
            line.append((recall, precision))
        (r0, p0), (r1, p1) = line
        print(
            f"{row['kind']:<8} {row['params']:<40} {len(relevant):>8}  {r0:>11.2f} {r1:>6.2f}  {p0:>11.2f} {p1:>6.2f}"
        )
    summarize(scores)


def summarize(scores: dict) -> None:
    print()
    for kind in sorted({kind for kind, _ in scores}):
        parts = []
        for label in ("before", "after"):
            pairs = scores[kind, label]
            recall = sum(r for r, _ in pairs) / len(pairs)
            precision = sum(p for _, p in pairs) / len(pairs)
            parts.append(f"{label}: recall@20 {recall:.2f}, precision@10 {precision:.2f}")
        print(f"{kind} ({len(scores[kind, 'after'])} queries): " + "; ".join(parts))


def first_results(query: str, exact: bool, extra: dict | None = None) -> list[str]:
    params = {**({"q": query} if query else {}), **({"exact": "1"} if exact else {}), **(extra or {})}
    data = QueryDict(mutable=True)
    data.update(params)
    results = listing.search_trials(data, page_number=None)
    rows = results.page.object_list if results.page is not None else []
    return [row.trial.nct_id for row in rows][:RECALL_AT]


def main() -> None:
    load_registry()
    records = descriptors_by_record()
    interventions = interventions_by_record()
    scores: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    print(f"{connection.vendor}, {Trial.objects.count()} trials")
    header = f"{'R@20 before':>11} {'after':>6}  {'P@10 before':>11} {'after':>6}"
    print(f"{'kind':<11} {'query':<22} {'relevant':>8}  {header}")
    for kind, query, wanted, named in read_judgments():
        relevant = {nct_id for nct_id, ids in records.items() if ids & wanted or interventions[nct_id] & named}
        line = []
        for label, exact in (("before", True), ("after", False)):
            shown = first_results(query, exact)
            recall = len(set(shown) & relevant) / min(len(relevant), RECALL_AT) if relevant else 0.0
            top = shown[:PRECISION_AT]
            precision = len(set(top) & relevant) / len(top) if top else 0.0
            scores[kind, label].append((recall, precision))
            line.append((recall, precision))
        (r0, p0), (r1, p1) = line
        print(f"{kind:<11} {query:<22} {len(relevant):>8}  {r0:>11.2f} {r1:>6.2f}  {p0:>11.2f} {p1:>6.2f}")
    summarize(scores)
    place_scores(records)


if __name__ == "__main__":
    main()
