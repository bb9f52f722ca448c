"""How good are "More related trials"? Precision@5 on judged pairs of real records.

    .venv/bin/python bench/related_quality.py            report the figures
    .venv/bin/python bench/related_quality.py --pool F   write the unjudged pairs to F, for judging

Loads the shared ClinicalTrials.gov records (``../shared/data/ctgov/v2``, or
RECORDS_DIR) and the seed into a scratch SQLite database, then ranks the
trials related to each query of ``bench/data/related_judgments.tsv`` by:
the shipped engine (all signals, above ``MIN_SCORE``), each signal alone,
all signals without the minimum score, and a plain TF-IDF cosine baseline
over title, conditions, keywords, MeSH terms, interventions and summary.
Precision@5 is the share of relevant trials among the (up to) five shown,
averaged over the queries that show any; a pair nobody judged counts as not
relevant, and the report says how many there were.

Two judged sets: ``related_judgments.tsv`` asks whether a candidate is on
the query's broad topic; ``related_strict_judgments.tsv`` holds queries
whose subject combines two aspects (a condition in a population, a
treatment for a complication) and counts a candidate only if it shares the
query's main aspect (its ``aspect`` column). On the strict set the engine
is also scored as it was before population aspects (``populations=False``).
A strict query that no trial on file shares the main aspect of (a row
without a candidate, judged "none on file", after searching every record)
has no right answer to rank: its precision is not averaged in; instead the
report says whether its list is empty or holds only trials marked as
sharing the population alone, as the Related tab then says.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/trialportal_related_quality.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialportal.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.core.management import call_command  # noqa: E402
from scipy import sparse  # noqa: E402

from trials import related  # noqa: E402
from trials.importers import SEED_DOCUMENT, import_paths  # noqa: E402
from trials.models import Intervention, MeshTerm, Trial, TrialCondition  # noqa: E402
from trials.related.tiers import Tier  # noqa: E402

RECORDS = Path(os.environ.get("RECORDS_DIR", ROOT.parent / "shared" / "data" / "ctgov" / "v2"))
JUDGMENTS = ROOT / "bench" / "data" / "related_judgments.tsv"
STRICT_JUDGMENTS = ROOT / "bench" / "data" / "related_strict_judgments.tsv"
SHOWN = 5
SEED_TOPICS = re.compile(r"bipolar|depress|interleukin[- ]?2|\bil-?2\b|mood", re.IGNORECASE)

METHODS = {
    "all signals (shipped)": None,
    "all signals, no minimum": None,
    "conditions only": {"c": 1.0},
    "interventions only": {"i": 1.0},
    "text only": {"t": 1.0, "e": 0.3},
}


def load_registry() -> None:
    call_command("migrate", verbosity=0)
    expected = len(list(RECORDS.glob("NCT*.json"))) + 1
    if Trial.objects.count() != expected:
        Trial.objects.all().delete()
        import_paths([RECORDS, SEED_DOCUMENT])


def engine_rankings(weights, min_score: float, populations: bool = True) -> dict[str, list[tuple[str, float, int]]]:
    space = related.load_space(weights, populations=populations)
    nct_of = dict(Trial.objects.values_list("id", "nct_id"))
    rankings = {}
    for row, others, scores in space.neighbours(0, len(space.trial_ids)):
        if min_score == related.MIN_SCORE:
            # As the lists are stored: by tier (what the trials share), then score, filled when short.
            ranked = space.chosen(row, others, scores, set(), set())
        else:
            ranked = sorted(space.matches(row, others, scores, min_score), key=lambda m: (m.tier, -m.score, m.other_id))
        rankings[nct_of[space.trial_ids[row]]] = [
            (nct_of[space.trial_ids[m.other_id]], m.score, m.tier) for m in ranked
        ]
    return rankings


def coverage() -> None:
    """How many trials list too few related ones, though their main condition is shared on file."""
    space = related.load_space()
    shown = {}
    for row, others, scores in space.neighbours(0, len(space.trial_ids)):
        shown[row] = len(space.chosen(row, others, scores, set(), set()))
    # The main condition (``tiers.main_condition``, by name or MeSH term) of a trial is on file with five others.
    shared = [row for row in range(len(space.trial_ids)) if len(space.sharing_main_condition(row)) >= related.COVERAGE]
    total = len(space.trial_ids)
    none = sum(1 for count in shown.values() if not count)
    few = sum(1 for count in shown.values() if count < related.COVERAGE)
    violating = [row for row in shared if shown.get(row, 0) < related.COVERAGE]
    print(f"Coverage over {total} trials: {none} ({none / total:.1%}) list none, {few} ({few / total:.1%}) fewer")
    print(
        f"than {related.COVERAGE}; of the {len(shared)} whose main condition {related.COVERAGE} others share, "
        f"{len(violating)} list fewer than {related.COVERAGE}"
    )
    nct_of = dict(Trial.objects.values_list("id", "nct_id"))
    for row in violating[:10]:
        names = [space.labels[term] for term in space.main_conditions[row, :2].tolist() if term >= 0]
        print(f"  {nct_of[space.trial_ids[row]]}: {shown.get(row, 0)} listed, main condition {' / '.join(names)}")
    print()


def baseline_rankings() -> dict[str, list[tuple[str, float]]]:
    """Plain TF-IDF cosine over one bag of words per trial, every pair compared."""
    texts = defaultdict(list)
    for trial_id, *values in Trial.objects.values_list(
        "id", "brief_title", "official_title", "keywords", "brief_summary"
    ):
        texts[trial_id] += [values[0], values[1], " ".join(values[2] or ()), values[3]]
    for trial_id, name in TrialCondition.objects.values_list("trial_id", "condition__name"):
        texts[trial_id].append(name)
    for trial_id, term in MeshTerm.objects.values_list("trial_id", "term"):
        texts[trial_id].append(term)
    for trial_id, name, other_names in Intervention.objects.values_list("trial_id", "name", "other_names"):
        texts[trial_id] += [name, *other_names]
    ids = sorted(texts)
    vocabulary: dict[str, int] = {}
    rows, cols, counts = [], [], []
    for row, trial_id in enumerate(ids):
        bag = defaultdict(int)
        for stem, _ in related.words(" ".join(texts[trial_id])):
            bag[vocabulary.setdefault(stem, len(vocabulary))] += 1
        for col, count in bag.items():
            rows.append(row)
            cols.append(col)
            counts.append(count)
    matrix = sparse.csr_matrix((np.asarray(counts, float), (rows, cols)), shape=(len(ids), len(vocabulary)))
    document_frequency = np.bincount(matrix.indices, minlength=len(vocabulary))
    idf = np.log((len(ids) + 1) / (document_frequency + 1)) + 1
    matrix = sparse.csr_matrix(matrix.multiply(idf))
    norms = np.sqrt(matrix.multiply(matrix).sum(axis=1)).A.ravel()
    norms[norms == 0] = 1
    matrix = sparse.csr_matrix(matrix.multiply(1 / norms[:, None]))
    scores = (matrix @ matrix.T).toarray()
    np.fill_diagonal(scores, -1)
    nct_of = dict(Trial.objects.values_list("id", "nct_id"))
    rankings = {}
    for row, trial_id in enumerate(ids):
        best = np.argsort(-scores[row])[:20]
        rankings[nct_of[trial_id]] = [(nct_of[ids[other]], float(scores[row, other]), 1) for other in best]
    return rankings


def read_judgments(path: Path = JUDGMENTS) -> tuple[list[str], dict[tuple[str, str], bool]]:
    queries, judged = [], {}
    with path.open(encoding="utf-8") as handle:
        for line in csv.DictReader(handle, delimiter="\t"):
            if line["query"] not in queries:
                queries.append(line["query"])
            if line["candidate"]:
                judged[(line["query"], line["candidate"])] = line["relevant"].strip().lower() == "yes"
    return queries, judged


def unanswerable(path: Path = STRICT_JUDGMENTS) -> set[str]:
    """Queries no trial on file shares the main aspect of (a row without a candidate, judged "none on file")."""
    with path.open(encoding="utf-8") as handle:
        return {
            line["query"]
            for line in csv.DictReader(handle, delimiter="\t")
            if not line["candidate"] and line["relevant"].strip().lower() == "none on file"
        }


def summary(nct_id: str) -> str:
    trial = Trial.objects.for_detail().get(nct_id=nct_id)
    mesh = sorted({term.term for term in trial.mesh_terms.all() if not term.is_ancestor})
    interventions = [item.name for item in trial.interventions.all()]
    return (
        f"{nct_id} | {trial.brief_title} | {trial.study_type} {trial.phase_display} | "
        f"conditions: {'; '.join(trial.condition_names)} | MeSH: {'; '.join(mesh)} | "
        f"interventions: {'; '.join(interventions)} | keywords: {'; '.join(trial.keywords)} | "
        f"summary: {' '.join(trial.brief_summary.split())[:700]}"
    )


def report(title: str, rankings: dict, queries: list[str], judged: dict[tuple[str, str], bool]) -> None:
    print(f"{title}: precision@{SHOWN} over {len(queries)} judged queries ({len(judged)} judged pairs)")
    print(f"{'method':34} {'P@5 (mean)':>10} {'P@5 (pooled)':>12} {'shown':>6} {'no result':>9} {'unjudged':>8}")
    for name, ranking in rankings.items():
        precisions, relevant, shown, empty, unjudged = [], 0, 0, 0, 0
        for query in queries:
            top = [item[0] for item in ranking.get(query, [])[:SHOWN]]
            if not top:
                empty += 1
                continue
            hits = sum(judged.get((query, candidate), False) for candidate in top)
            unjudged += sum((query, candidate) not in judged for candidate in top)
            precisions.append(hits / len(top))
            relevant += hits
            shown += len(top)
        mean = sum(precisions) / len(precisions) if precisions else 0.0
        pooled = relevant / shown if shown else 0.0
        print(f"{name:34} {mean:10.3f} {pooled:12.3f} {shown:6} {empty:9} {unjudged:8}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", type=Path, help="Write the unjudged pairs, with both records summarized, here.")
    options = parser.parse_args()
    if not RECORDS.is_dir():
        sys.exit(f"No records at {RECORDS}: set RECORDS_DIR to a folder of API v2 study files.")
    load_registry()
    queries, judged = read_judgments()
    strict_queries, strict_judged = read_judgments(STRICT_JUDGMENTS)
    rankings = {
        "all signals (shipped)": engine_rankings(None, related.MIN_SCORE),
        "before population aspects": engine_rankings(None, related.MIN_SCORE, populations=False),
        "all signals, no minimum": engine_rankings(None, 0.0),
        **{name: engine_rankings(weights, 0.0) for name, weights in METHODS.items() if weights},
        "TF-IDF baseline": baseline_rankings(),
    }
    if options.pool:
        pairs = {
            (query, candidate)
            for judged_queries, judged_pairs, depth in ((queries, judged, SHOWN), (strict_queries, strict_judged, 10))
            for ranking in rankings.values()
            for query in judged_queries
            for candidate, *_ in ranking.get(query, [])[:depth]
            if (query, candidate) not in judged_pairs
        }
        with options.pool.open("w", encoding="utf-8") as out:
            for query in dict.fromkeys(queries + strict_queries):
                candidates = sorted(candidate for q, candidate in pairs if q == query)
                if candidates:
                    out.write(f"QUERY {summary(query)}\n")
                    for candidate in candidates:
                        out.write(f"  CANDIDATE {summary(candidate)}\n")
        print(f"Wrote {len(pairs)} unjudged pairs to {options.pool}.")
        return

    report("Topic judgements", rankings, queries, judged)
    compared = ("all signals (shipped)", "before population aspects", "TF-IDF baseline")
    strict = {name: rankings[name] for name in compared}
    none_on_file = unanswerable()
    answerable = [query for query in strict_queries if query not in none_on_file]
    report("Strict judgements, queries of two aspects", strict, answerable, strict_judged)
    # Where nothing on file shares the main aspect, the right list is empty or says it shares only the population.
    print(f"Strict: {len(none_on_file)} queries with no trial on file sharing the main aspect; lists there")
    for name, ranking in strict.items():
        honest = sum(
            all(tier == Tier.POPULATION_ONLY for _, _, tier in ranking.get(query, [])[:SHOWN]) for query in none_on_file
        )
        print(f"  {name:34} {honest} of {len(none_on_file)} empty or marked 'Same population only'")
    print()

    coverage()

    seed = rankings["all signals (shipped)"].get("NCT04133233", [])[: related.SHOWN]
    print(f"Seed NCT04133233: {len(seed)} more related trial(s) above the minimum score")
    for nct_id, score, _ in seed:
        trial = Trial.objects.get(nct_id=nct_id)
        topic = " ".join([trial.brief_title, *trial.condition_names, *trial.keywords])
        on_topic = "on topic" if SEED_TOPICS.search(topic) else "OFF TOPIC"
        print(f"  {score:.3f} {nct_id} [{on_topic}] {trial.brief_title[:80]}")


if __name__ == "__main__":
    main()
