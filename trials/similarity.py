"""More related trials: which trials resemble a trial, by how much, and why.

Each trial becomes a weighted feature vector with one block per signal
(``SIGNALS``). Inside a block, features are weighted by TF-IDF (rare
conditions and words count more than common ones) and the block is scaled
to length ``sqrt(weight)``, so the dot product of two vectors is the
weighted sum of their per-signal cosine similarities: a score in [0, 1].

Candidates come from an index, never from a pass over all pairs: each
trial's most telling features (``SimilarityKey``) are looked up, the trials
sharing the most of them are scored exactly, and the best above
``MIN_SCORE`` are stored in ``SimilarTrial`` with the reasons that made them
score. ``rebuild`` does the whole registry in memory with sparse matrices;
``refresh`` redoes a few trials (after an import or an admin save) through
the database index, and puts them into the lists that should now hold them.
"""

from __future__ import annotations

import functools
import math
import re
import time
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import snowballstemmer
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest

from . import choices
from .models import (
    Intervention,
    MeshTerm,
    RelatedTrial,
    SimilarityKey,
    SimilarityProfile,
    SimilarityTerm,
    SimilarTrial,
    Trial,
    TrialCondition,
)


@dataclass(frozen=True)
class Signal:
    prefix: str
    weight: float
    reason: str  # How a shared feature of this signal is explained; {} takes its labels.


# The signals and their weights, in one place. Chosen with
# ``bench/related_quality.py`` (precision@5 on 498 judged pairs of real
# records, 45 queries): conditions (with the registry's MeSH terms and their
# ancestors) and the words of the title and summary carry most of what a
# reader calls related, about equally; shared interventions add to them;
# eligibility and design only break ties. Conditions alone reached 0.84,
# the text alone 0.88, a plain TF-IDF baseline 0.89; these weights 0.92.
SIGNALS: dict[str, Signal] = {
    "condition": Signal("c", 0.35, "Same condition: {}"),
    "intervention": Signal("i", 0.20, "Same intervention: {}"),
    "description": Signal("t", 0.35, "Similar title and summary: {}"),
    "eligibility": Signal("e", 0.05, "Similar eligibility"),
    "design": Signal("d", 0.05, "{}"),
}
# Below this score a trial is not shown: fewer related trials beat unrelated
# ones. Measured: 0.2 keeps precision@5 at 0.92 with every judged query
# showing some; 0.25 gains little (0.92) and leaves a record without
# conditions of its own (the seed) with none; 0.3 reaches 0.94, but 10 of
# the 45 queries show nothing.
MIN_SCORE = 0.2
SHOWN = 10  # "More related trials" on the Related tab
OPEN_SHOWN = 5  # "Recruiting now", for a trial that no longer recruits
# A key more common than this finds too many candidates to be telling (and
# costs the refresh's look-up a row per trial it is in): 1,200 trials of 600,000.
KEY_MAX_SHARE = 0.002
KEY_MIN_DOCUMENTS = 200
KEYS_PER_TRIAL = 12
CANDIDATES = 60
# Words kept per text block: the rest add little but cost memory.
DESCRIPTION_WORDS = 40
ELIGIBILITY_WORDS = 30

# Within the condition and intervention blocks, how much each kind of feature counts.
_FEATURE_WEIGHTS = {"c": 1.0, "m": 1.0, "a": 0.4, "i": 1.0, "j": 1.0, "k": 0.4, "t": 1.0, "e": 1.0, "d": 1.0}
# Feature prefix → its signal's block.
_BLOCK = {"c": "c", "m": "c", "a": "c", "i": "i", "j": "i", "k": "i", "t": "t", "e": "e", "d": "d"}
_BLOCK_WEIGHT = {signal.prefix: signal.weight for signal in SIGNALS.values()}
_KEYED = ("c", "m", "i", "j", "t")

_WORD = re.compile(r"[a-z0-9][a-z0-9\-]*[a-z0-9]|[a-z]")
_STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "may",
        "me",
        "more",
        "most",
        "must",
        "my",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "study",
        "studies",
        "trial",
        "trials",
        "patient",
        "patients",
        "participant",
        "participants",
        "subject",
        "subjects",
        "group",
        "groups",
        "criteria",
        "inclusion",
        "exclusion",
        "include",
        "included",
        "including",
        "eligible",
        "eligibility",
        "years",
        "year",
        "age",
        "aged",
        "use",
        "used",
        "using",
        "will",
        "receive",
        "received",
        "evaluate",
        "evaluated",
        "assess",
        "assessed",
        "known",
        "within",
        "least",
        "prior",
    ]
)
_NOT_INTERVENTIONS = frozenset({"placebo", "sham", "placebo comparator", "sham comparator", "control"})
_PHASE_ORDER = {"EARLY_PHASE1": 0, "PHASE1": 1, "PHASE2": 2, "PHASE3": 3, "PHASE4": 4}


def normalize(name: str) -> str:
    """A name as features compare it: case, punctuation and spacing ignored."""
    return " ".join(re.sub(r"[^\w+]+", " ", name.casefold()).split())


_STEMMER = snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    # "Depressive" meets "depression"; a registry's vocabulary fits the cache.
    return _STEMMER.stemWord(word)


def words(text: str) -> list[tuple[str, str]]:
    """(stem, word) of each telling word of ``text``."""
    return [
        (_stem(word), word) for word in _WORD.findall(text.casefold()) if word not in _STOPWORDS and not word.isdigit()
    ]


_MESH_ID = re.compile(r"^D0*(\d+)$")


def mesh_key(mesh_id: str) -> str:
    """The registry writes D003863 and D000003863 for the same term."""
    match = _MESH_ID.match(mesh_id)
    return f"D{int(match.group(1)):06d}" if match else mesh_id


@dataclass
class Features:
    """What a trial is compared on, before weighting: raw counts and labels."""

    trial_id: int
    counts: Counter
    labels: dict[str, str]


def extract(trial: dict, conditions: list[str], mesh: list[tuple], interventions: list[tuple]) -> Features:
    """Features of one trial from its stored values.

    ``mesh`` holds (domain, is_ancestor, mesh_id, term); ``interventions``
    (name, other_names).
    """
    counts: Counter = Counter()
    labels: dict[str, str] = {}

    def add(key: str, label: str, count: float = 1.0) -> None:
        counts[key] += count
        labels.setdefault(key, label)

    for name in conditions:
        add(f"c:{normalize(name)}", name)
    for domain, is_ancestor, mesh_id, term in mesh:
        if domain == choices.MeshDomain.CONDITION:
            add(f"{'a' if is_ancestor else 'm'}:{mesh_key(mesh_id)}", term)
        else:
            add(f"{'k' if is_ancestor else 'j'}:{mesh_key(mesh_id)}", term)
    for name, other_names in interventions:
        for each in (name, *(other_names or ())):
            key = normalize(each)
            # A placebo or a sham says nothing about what a trial tests.
            if key and _stem(key) not in _NOT_INTERVENTIONS:
                add(f"i:{key}", each)
    # Title and keywords count twice; the long description half.
    for text, prefix, count in (
        (" ".join((trial["brief_title"], trial["official_title"], trial["acronym"])), "t", 2.0),
        (" ".join(trial["keywords"] or ()), "t", 2.0),
        (trial["brief_summary"], "t", 1.0),
        (trial["detailed_description"], "t", 0.5),
        (trial["eligibility_criteria"], "e", 1.0),
    ):
        for stem, word in words(text):
            add(f"{prefix}:{stem}", word, count)
    if trial["study_type"]:
        add(f"d:type:{trial['study_type']}", choices.StudyType(trial["study_type"]).label)
    for phase in trial["phases"] or ():
        if phase in _PHASE_ORDER:
            # Two overlapping bands per phase: Phase 2 meets Phase 3 halfway.
            order = _PHASE_ORDER[phase]
            label = f"Same phase: {choices.Phase(phase).label}"
            add(f"d:phase:{order}", label)
            add(f"d:phase:{order + 1}", label)
    return Features(trial["id"], counts, labels)


_TRIAL_FIELDS = (
    "id",
    "nct_id",
    "brief_title",
    "official_title",
    "acronym",
    "keywords",
    "brief_summary",
    "detailed_description",
    "eligibility_criteria",
    "study_type",
    "phases",
    "overall_status",
)


def load_features(
    trial_ids: Iterable[int] | None = None, chunk: int = 2000, mesh_names: dict | None = None
) -> Iterator[Features]:
    """Features of the given trials (all when None), a chunk at a time in five queries a chunk.

    ``mesh_names`` (see ``condition_mesh_names``) saves a query a chunk when
    reading many.
    """
    queryset = Trial.objects.order_by("id")
    if trial_ids is not None:
        queryset = queryset.filter(id__in=list(trial_ids))
    last_id = 0
    while True:
        rows = list(queryset.filter(id__gt=last_id).values(*_TRIAL_FIELDS)[:chunk])
        if not rows:
            return
        last_id = rows[-1]["id"]
        ids = [row["id"] for row in rows]
        conditions = defaultdict(list)
        for trial_id, name in (
            TrialCondition.objects.filter(trial_id__in=ids)
            .order_by("position")
            .values_list("trial_id", "condition__name")
        ):
            conditions[trial_id].append(name)
        mesh = defaultdict(list)
        for trial_id, *values in MeshTerm.objects.filter(trial_id__in=ids).values_list(
            "trial_id", "domain", "is_ancestor", "mesh_id", "term"
        ):
            mesh[trial_id].append(tuple(values))
        interventions = defaultdict(list)
        for trial_id, name, other_names in Intervention.objects.filter(trial_id__in=ids).values_list(
            "trial_id", "name", "other_names"
        ):
            interventions[trial_id].append((name, other_names))
        without_mesh = [row for row in rows if not any(m[0] == "CONDITION" for m in mesh[row["id"]])]
        inferred = _inferred_mesh(without_mesh, conditions, mesh_names)
        for row in rows:
            trial_mesh = mesh[row["id"]] + inferred.get(row["id"], [])
            yield extract(row, conditions[row["id"]], trial_mesh, interventions[row["id"]])


def _inferred_mesh(
    rows: list[dict], conditions: dict[int, list[str]], mesh_names: dict | None
) -> dict[int, list[tuple]]:
    """Condition MeSH terms for trials the registry gave none (a page document, a staff entry).

    A phrase of the conditions, keywords or title that, stemmed, is a
    condition MeSH term somewhere in the registry counts as that term: the
    "Depressive Episode" of a title meets the trials filed under Depression.
    """
    if not rows:
        return {}
    known = condition_mesh_names() if mesh_names is None else mesh_names
    found = {}
    for row in rows:
        texts = [row["brief_title"], *conditions.get(row["id"], []), *(row["keywords"] or ())]
        phrases = set()
        for text in texts:
            stems = [stem for stem, _ in words(text)]
            phrases |= {" ".join(stems[i : i + n]) for n in (1, 2, 3, 4) for i in range(len(stems) - n + 1)}
        found[row["id"]] = [("CONDITION", False, *known[phrase]) for phrase in sorted(phrases) if phrase in known]
    return found


_MESH_NAMES_SECONDS = 600
_mesh_names_cache: tuple[float, dict] = (0.0, {})


def condition_mesh_names(fresh: bool = False) -> dict[str, tuple[str, str]]:
    """Stemmed name → (MeSH key, term) of every condition MeSH term on file.

    Kept for ten minutes in the process: a refresh needs them for every
    trial without MeSH terms, and they change only with imports.
    """
    global _mesh_names_cache
    fetched_at, names = _mesh_names_cache
    if fresh or time.monotonic() - fetched_at > _MESH_NAMES_SECONDS:
        names = _read_condition_mesh_names(from_last_computation=not fresh)
        _mesh_names_cache = (time.monotonic(), names)
    return names


def _read_condition_mesh_names(from_last_computation: bool) -> dict[str, tuple[str, str]]:
    if from_last_computation and SimilarityTerm.objects.exists():
        # Far fewer rows than every trial's terms; a rebuild reads those.
        rows = [
            (key.removeprefix("m:"), label)
            for key, label in SimilarityTerm.objects.filter(key__startswith="m:").values_list("key", "label")
        ]
    else:
        queryset = MeshTerm.objects.filter(domain=choices.MeshDomain.CONDITION, is_ancestor=False)
        rows = queryset.values_list("mesh_id", "term").distinct()
    return {" ".join(stem for stem, _ in words(term)): (mesh_key(mesh_id), term) for mesh_id, term in rows}


class Vectorizer:
    """Turns features into weighted, block-normalized vectors over term ids."""

    def __init__(self, document_counts: dict[int, int], total: int, weights: dict[str, float] | None = None):
        self.document_counts = document_counts
        self.total = max(total, 1)
        self.weights = weights or _BLOCK_WEIGHT

    def idf(self, term_id: int) -> float:
        return math.log((self.total + 1) / (self.document_counts.get(term_id, 0) + 1)) + 1.0

    def vector(
        self, term_ids: list[int], counts: list[float], prefixes: dict[int, str]
    ) -> tuple[np.ndarray, np.ndarray]:
        """The weighted vector of a trial's features (by term id, with their raw counts)."""
        blocks: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for term_id, count in zip(term_ids, counts, strict=True):
            prefix = prefixes[term_id]
            weight = _FEATURE_WEIGHTS[prefix] * (1.0 + math.log(count))
            if prefix != "d":
                weight *= self.idf(term_id)
            if self.weights.get(_BLOCK[prefix]):
                blocks[_BLOCK[prefix]].append((term_id, weight))
        ids, weights = [], []
        # Signals a trial lacks (no conditions on file) hand their weight to the others.
        present = sum(self.weights[block] for block in blocks)
        for block, items in blocks.items():
            limit = {"t": DESCRIPTION_WORDS, "e": ELIGIBILITY_WORDS}.get(block)
            if limit and len(items) > limit:
                items = sorted(items, key=lambda item: -item[1])[:limit]
            norm = math.sqrt(sum(weight * weight for _, weight in items))
            scale = math.sqrt(self.weights[block] / present) / norm
            for term_id, weight in items:
                ids.append(term_id)
                weights.append(weight * scale)
        order = np.argsort(ids)
        return np.asarray(ids, dtype=np.int32)[order], np.asarray(weights, dtype=np.float32)[order]

    def keys(
        self, ids: np.ndarray, weights: np.ndarray, prefixes: dict[int, str], limit: int
    ) -> list[tuple[int, float]]:
        """The trial's most telling features: rare enough to find a few hundred trials, not thousands."""
        telling = [
            (int(term_id), float(weight))
            for term_id, weight in zip(ids, weights, strict=True)
            if prefixes[int(term_id)] in _KEYED and self.document_counts.get(int(term_id), 0) <= limit
        ]
        return sorted(telling, key=lambda item: -item[1])[:KEYS_PER_TRIAL]

    def key_limit(self) -> int:
        return max(KEY_MIN_DOCUMENTS, int(self.total * KEY_MAX_SHARE))


@dataclass
class Match:
    other_id: int
    score: float
    reasons: list[str]


def explain(
    a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray], keys: dict[int, str], labels: dict[int, str]
) -> tuple[float, list[str]]:
    """The score of two vectors and, in plain words, the signals that made it."""
    shared, index_a, index_b = np.intersect1d(a[0], b[0], assume_unique=True, return_indices=True)
    products = a[1][index_a] * b[1][index_b]
    contributions: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for term_id, product in zip(shared.tolist(), products.tolist(), strict=True):
        contributions[_BLOCK[keys[term_id][0]]].append((product, term_id))
    reasons = []
    for signal in SIGNALS.values():
        items = sorted(contributions.get(signal.prefix, []), reverse=True)
        # A signal explains the match when it carries a fair share of its weight.
        if not items or sum(product for product, _ in items) < 0.1 * signal.weight:
            continue
        if signal.prefix in ("c", "i"):
            named = _distinct_labels(labels[term_id] for _, term_id in items if keys[term_id][0] in "cmij")
            if named:
                reasons.append(signal.reason.format(", ".join(named[:3])))
            else:
                ancestors = _distinct_labels(labels[term_id] for _, term_id in items)
                kind = "condition" if signal.prefix == "c" else "intervention"
                reasons.append(f"Related {kind}: {', '.join(ancestors[:2])}")
        elif signal.prefix == "t":
            reasons.append(signal.reason.format(", ".join(_distinct_labels(labels[t] for _, t in items)[:3])))
        elif signal.prefix == "d":
            reasons.extend(_distinct_labels(labels[t] for _, t in items if keys[t].startswith("d:phase"))[:1])
        else:
            reasons.append(signal.reason)
    return float(products.sum()), reasons


def _distinct_labels(labels: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for label in labels:
        seen.setdefault(normalize(label), label)
    return list(seen.values())


def choose(matches: list[Match], open_ids: set[int]) -> list[Match]:
    """What a trial stores: its best ``SHOWN`` matches, and its best open ones besides."""
    ranked = sorted((match for match in matches if match.score >= MIN_SCORE), key=lambda m: (-m.score, m.other_id))
    kept = ranked[:SHOWN]
    open_kept = [match for match in ranked if match.other_id in open_ids][:OPEN_SHOWN]
    return kept + [match for match in open_kept if match not in kept]


# --- The whole registry -------------------------------------------------------------


@dataclass
class Space:
    """The whole registry's vectors in memory, as sparse matrices (rows are trials, columns terms)."""

    trial_ids: list[int]
    keys: list[str]
    labels: list[str]
    document_counts: list[int]
    vectors: object  # scipy.sparse.csr_matrix
    key_matrix: object

    def neighbours(self, start: int, stop: int) -> Iterator[tuple[int, list[int], list[float]]]:
        """(row, candidate rows, exact scores) for the rows start..stop, from the key index."""
        candidates = (self.key_matrix[start:stop] @ self.key_matrix_t).tocsr()
        for offset in range(stop - start):
            row = start + offset
            begin, end = candidates.indptr[offset], candidates.indptr[offset + 1]
            others, approx = candidates.indices[begin:end], candidates.data[begin:end]
            if len(others) > CANDIDATES:
                others = others[np.argpartition(-approx, CANDIDATES)[:CANDIDATES]]
            others = [other for other in others.tolist() if other != row]
            if others:
                yield row, others, (self.vectors[others] @ self.vectors[row].T).toarray().ravel().tolist()

    def __post_init__(self):
        self.key_matrix_t = self.key_matrix.T.tocsr()


def load_space(weights: dict[str, float] | None = None, chunk: int = 2000) -> Space:
    """Read every trial's features and weigh them (``weights`` by signal prefix, for experiments).

    Two passes over the trials: the first counts in how many trials each
    feature occurs, the second weighs and prunes each trial's features as it
    reads them. Holding every trial's raw features instead would take several
    times the memory at registry scale.
    """
    from scipy import sparse

    mesh_names = condition_mesh_names(fresh=True)
    term_ids: dict[str, int] = {}
    labels: list[str] = []
    document_counts: list[int] = []

    def numbered(features: Features, counting: bool) -> list[int]:
        ids = []
        for key in features.counts:
            term_id = term_ids.get(key)
            if term_id is None:
                # A trial saved between the two passes may bring new features.
                term_id = term_ids[key] = len(labels)
                labels.append(features.labels[key][:600])
                document_counts.append(0 if counting else 1)
            if counting:
                document_counts[term_id] += 1
            ids.append(term_id)
        return ids

    trial_ids: list[int] = []
    for features in load_features(chunk=chunk, mesh_names=mesh_names):
        numbered(features, counting=True)
        trial_ids.append(features.trial_id)
    vectorizer = Vectorizer(dict(enumerate(document_counts)), len(trial_ids), weights)
    key_limit = vectorizer.key_limit()

    # Weighted vectors, and the key matrix candidates are found with.
    indptr, indices, data = array("q", [0]), array("i"), array("f")
    key_indptr, key_indices, key_data = array("q", [0]), array("i"), array("f")
    prefixes: dict[int, str] = {}
    counted, trial_ids = set(trial_ids), []
    for features in load_features(chunk=chunk, mesh_names=mesh_names):
        if features.trial_id not in counted:
            continue  # saved since the first pass: the next refresh or rebuild takes it
        trial_ids.append(features.trial_id)
        ids = numbered(features, counting=False)
        for term_id, key in zip(ids, features.counts, strict=True):
            prefixes.setdefault(term_id, key[0])
        vector_ids, vector_weights = vectorizer.vector(ids, list(features.counts.values()), prefixes)
        indices.extend(vector_ids.tolist())
        data.extend(vector_weights.tolist())
        indptr.append(len(indices))
        for term_id, weight in vectorizer.keys(vector_ids, vector_weights, prefixes, key_limit):
            key_indices.append(term_id)
            key_data.append(weight)
        key_indptr.append(len(key_indices))
    shape = (len(trial_ids), len(labels))
    vectors = sparse.csr_matrix(
        (np.frombuffer(data, np.float32), np.frombuffer(indices, np.int32), np.frombuffer(indptr, np.int64)),
        shape=shape,
    )
    key_matrix = sparse.csr_matrix(
        (
            np.frombuffer(key_data, np.float32),
            np.frombuffer(key_indices, np.int32),
            np.frombuffer(key_indptr, np.int64),
        ),
        shape=shape,
    )
    return Space(trial_ids, list(term_ids), labels, document_counts, vectors, key_matrix)


def rebuild(progress: Callable[[int], None] | None = None, chunk: int = 2000) -> int:
    """Recompute every trial's features, keys and similar trials; returns how many trials."""
    space = load_space(chunk=chunk)
    trial_ids, total = space.trial_ids, len(space.trial_ids)
    row_of = {trial_id: row for row, trial_id in enumerate(trial_ids)}
    open_rows = {
        row_of[trial_id]
        for trial_id, status in Trial.objects.values_list("id", "overall_status")
        if status in choices.OPEN_STATUSES and trial_id in row_of
    }
    listed = _listed_pairs(row_of)
    label_of = dict(enumerate(space.labels))
    key_of = dict(enumerate(space.keys))

    with transaction.atomic():
        _clear()
        _save_terms(space.keys, space.labels, space.document_counts, total)
        _save_profiles(trial_ids, space.vectors)
        _save_keys(trial_ids, space.key_matrix)
        for start in range(0, total, chunk):
            stop = min(start + chunk, total)
            rows = []
            for row, others, scores in space.neighbours(start, stop):
                matches = [
                    Match(other, score, [])
                    for other, score in zip(others, scores, strict=True)
                    if score >= MIN_SCORE and (row, other) not in listed
                ]
                vector = _row(space.vectors, row)
                for match in choose(matches, open_rows):
                    match.score, match.reasons = explain(vector, _row(space.vectors, match.other_id), key_of, label_of)
                    rows.append(
                        {
                            "trial_id": trial_ids[row],
                            "other_id": trial_ids[match.other_id],
                            "score": match.score,
                            "reasons": match.reasons,
                        }
                    )
            _insert(SimilarTrial, rows)
            if progress:
                progress(stop - start)
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # Every row was replaced: clear the old ones out now, so the refresh's key
        # look-ups read the index alone (at 600,000 trials, one trial's refresh
        # went from 156 to 72 ms p95).
        with connection.cursor() as cursor:
            cursor.execute(
                "VACUUM (ANALYZE) trials_similaritykey, trials_similarityprofile, trials_similartrial, "
                "trials_similarityterm"
            )
    return total


def _row(matrix, row: int) -> tuple[np.ndarray, np.ndarray]:
    begin, end = matrix.indptr[row], matrix.indptr[row + 1]
    return matrix.indices[begin:end].astype(np.int32), matrix.data[begin:end]


def _listed_pairs(row_of: dict[int, int]) -> set[tuple[int, int]]:
    """(trial row, other row) of trials the record itself lists as related: never repeated as "more"."""
    ids_by_nct = dict(
        Trial.objects.filter(nct_id__in=RelatedTrial.objects.values("nct_id")).values_list("nct_id", "id")
    )
    return {
        (row_of[trial_id], row_of[ids_by_nct[nct_id]])
        for trial_id, nct_id in RelatedTrial.objects.filter(kind=choices.RelatedTrialKind.LISTED).values_list(
            "trial_id", "nct_id"
        )
        if nct_id in ids_by_nct and trial_id in row_of and ids_by_nct[nct_id] in row_of
    }


def _clear() -> None:
    for model in (SimilarTrial, SimilarityKey, SimilarityProfile, SimilarityTerm):
        model.objects.all()._raw_delete(model.objects.db)


def _insert(model, rows: list[dict], with_ids: bool = False) -> None:
    from .importers.writer import _table

    _table(model).insert(rows, with_ids=with_ids)


def _save_terms(keys: list[str], labels: list[str], document_counts: list[int], total: int) -> None:
    # Term ids are the row numbers of the matrices, so the stored vectors need no remapping.
    _insert(
        SimilarityTerm,
        [
            {"id": term_id + 1, "key": key, "label": label, "document_count": count}
            for term_id, (key, label, count) in enumerate(zip(keys, labels, document_counts, strict=True))
        ]
        + [{"id": len(keys) + 1, "key": TOTAL_KEY, "label": "every trial", "document_count": total}],
        with_ids=True,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('trials_similarityterm', 'id'), GREATEST(MAX(id), 1)) "
                "FROM trials_similarityterm"
            )


def _save_profiles(trial_ids: list[int], vectors) -> None:
    rows = []
    for row, trial_id in enumerate(trial_ids):
        ids, weights = _row(vectors, row)
        rows.append(
            {"trial_id": trial_id, "term_ids": (ids + 1).astype(np.int32).tobytes(), "weights": weights.tobytes()}
        )
        if len(rows) >= 5000:
            _insert(SimilarityProfile, rows, with_ids=True)
            rows = []
    _insert(SimilarityProfile, rows, with_ids=True)


def _save_keys(trial_ids: list[int], key_matrix) -> None:
    rows = []
    for row, trial_id in enumerate(trial_ids):
        ids, weights = _row(key_matrix, row)
        rows.extend(
            {"term_id": int(term_id) + 1, "trial_id": trial_id, "weight": float(weight)}
            for term_id, weight in zip(ids, weights, strict=True)
        )
        if len(rows) >= 50000:
            _insert(SimilarityKey, rows)
            rows = []
    _insert(SimilarityKey, rows)


# --- A few trials at a time -------------------------------------------------------

# Past this many changed trials (or a tenth of the registry), an import rebuilds instead.
REFRESH_LIMIT = 2000
# A feature every trial has: its document count is the number of trials
# (counting the profiles would take a scan of them at every refresh).
TOTAL_KEY = "*:trials"


def _trial_total() -> int:
    return SimilarityTerm.objects.filter(key=TOTAL_KEY).values_list("document_count", flat=True).first() or 0


def pending() -> list[str]:
    """NCT IDs of the trials whose related lists are still to compute.

    A trial that an import creates or replaces has no profile until its
    refresh commits (replacing a trial deletes its profile with it), and
    every trial a refresh or a rebuild reads gets one. An import killed
    before its refresh leaves exactly these behind, for the next to compute.
    """
    return list(Trial.objects.filter(similarity_profile__isnull=True).values_list("nct_id", flat=True))


def after_import(nct_ids: list[str]) -> None:
    """Bring related lists up to date after an import changed these trials."""
    total = _trial_total()
    if len(nct_ids) > max(REFRESH_LIMIT, total // 10) or not total:
        rebuild()
    else:
        refresh(Trial.objects.filter(nct_id__in=nct_ids).values_list("id", flat=True))


def refresh(trial_ids: Iterable[int]) -> int:
    """Recompute the given trials, and put them into the lists that should now hold them.

    For an import or an admin save: each trial's features, keys and list are
    redone; a trial that now scores above the last of another trial's list
    takes its place there. The document counts are kept current as features
    come and go; ``rebuild`` starts them afresh.
    """
    ids = set(trial_ids)
    if not ids:
        return 0
    with transaction.atomic():
        _forget(ids)
        features = list(load_features(ids))
        terms = _terms_for(features)
        total = _trial_total()
        vectorizer = Vectorizer({term_id: count for term_id, (_, count, _) in terms.items()}, total)
        key_limit = vectorizer.key_limit()
        by_key = {key: term_id for term_id, (key, _, _) in terms.items()}
        prefixes = {term_id: key[0] for term_id, (key, _, _) in terms.items()}
        vectors, profiles, key_rows = {}, [], []
        for item in features:
            term_ids = [by_key[key] for key in item.counts]
            vectors[item.trial_id] = vectorizer.vector(term_ids, list(item.counts.values()), prefixes)
            vector_ids, weights = vectors[item.trial_id]
            profiles.append({"trial_id": item.trial_id, "term_ids": vector_ids.tobytes(), "weights": weights.tobytes()})
            key_rows += [
                {"term_id": term_id, "trial_id": item.trial_id, "weight": weight}
                for term_id, weight in vectorizer.keys(vector_ids, weights, prefixes, key_limit)
            ]
        _insert(SimilarityProfile, profiles, with_ids=True)
        _insert(SimilarityKey, key_rows)

        candidates = {trial_id: _candidates(trial_id, key_rows) for trial_id in vectors}
        others = _stored_vectors({other for found in candidates.values() for other in found} - set(vectors))
        others.update(vectors)
        trials = _trial_facts(set(others) | set(vectors))
        listed = _listed_between(set(vectors), set(others), trials)
        open_ids = {trial_id for trial_id, (_, status) in trials.items() if status in choices.OPEN_STATUSES}
        keys = {term_id: key for term_id, (key, _, _) in terms.items()}
        labels = {term_id: label for term_id, (_, _, label) in terms.items()}

        rows, offers = [], defaultdict(list)
        for trial_id, vector in vectors.items():
            matches = []
            for other in candidates[trial_id]:
                if other == trial_id or (trial_id, other) in listed or other not in others:
                    continue
                score = float(np.dot(*_aligned(vector, others[other])))
                if score >= MIN_SCORE:
                    matches.append(Match(other, score, []))
                    if other not in vectors and (other, trial_id) not in listed:
                        offers[other].append(Match(trial_id, score, []))
            for match in choose(matches, open_ids):
                match.score, match.reasons = explain(vector, others[match.other_id], keys, labels)
                rows.append(_row_of(trial_id, match))
        _insert(SimilarTrial, rows)
        _take_offers(offers, vectors, keys, labels, open_ids)
    return len(vectors)


def _forget(ids: set[int]) -> None:
    """Drop what is stored of these trials, taking their features out of the document counts."""
    removed: Counter = Counter()
    profiles = 0
    for packed in SimilarityProfile.objects.filter(trial_id__in=ids).values_list("term_ids", flat=True):
        removed.update(np.frombuffer(bytes(packed), dtype=np.int32).tolist())
        profiles += 1
    total_id = SimilarityTerm.objects.filter(key=TOTAL_KEY).values_list("id", flat=True).first()
    if total_id and profiles:
        removed[total_id] += profiles
    _move_counts({term_id: -count for term_id, count in removed.items()})
    SimilarTrial.objects.filter(Q(trial_id__in=ids) | Q(other_id__in=ids)).delete()
    SimilarityKey.objects.filter(trial_id__in=ids).delete()
    SimilarityProfile.objects.filter(trial_id__in=ids).delete()


def _move_counts(changes: dict[int, int]) -> None:
    """Add to document counts (never below zero): one query per distinct change, not per term."""
    by_change = defaultdict(list)
    for term_id, change in changes.items():
        by_change[change].append(term_id)
    for change, term_ids in by_change.items():
        SimilarityTerm.objects.filter(id__in=term_ids).update(document_count=Greatest(F("document_count") + change, 0))


def _terms_for(features: list[Features]) -> dict[int, tuple[str, int, str]]:
    """Term id → (key, document count, label) for every feature of ``features``, counting them in."""
    keys = {key: item.labels[key][:600] for item in features for key in item.counts}
    keys[TOTAL_KEY] = "every trial"
    found = {
        key: term_id for term_id, key in SimilarityTerm.objects.filter(key__in=list(keys)).values_list("id", "key")
    }
    missing = [SimilarityTerm(key=key, label=keys[key]) for key in keys if key not in found]
    for term in missing:
        if term.key == TOTAL_KEY:  # stored before the count was kept
            term.document_count = SimilarityProfile.objects.count()
    if missing:
        SimilarityTerm.objects.bulk_create(missing, ignore_conflicts=True)
    seen = Counter(key for item in features for key in item.counts)
    seen[TOTAL_KEY] = len(features)
    terms = {}
    for term_id, key, count, label in SimilarityTerm.objects.filter(key__in=list(keys)).values_list(
        "id", "key", "document_count", "label"
    ):
        terms[term_id] = (key, count + seen[key], label)
    _move_counts({term_id: seen[key] for term_id, (key, _, _) in terms.items()})
    return terms


def _candidates(trial_id: int, key_rows: list[dict]) -> list[int]:
    """The trials sharing most of this trial's keys, by the key index."""
    keys = [(row["term_id"], row["weight"]) for row in key_rows if row["trial_id"] == trial_id]
    if not keys:
        return []
    values = ", ".join(["(%s, %s)"] * len(keys))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT k.trial_id FROM trials_similaritykey k JOIN (VALUES {values}) AS q ON k.term_id = q.column1 "
            "WHERE k.trial_id <> %s GROUP BY k.trial_id ORDER BY SUM(k.weight * q.column2) DESC, k.trial_id LIMIT %s",
            [value for pair in keys for value in pair] + [trial_id, CANDIDATES],
        )
        return [row[0] for row in cursor.fetchall()]


def _stored_vectors(trial_ids: set[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    return {
        trial_id: (np.frombuffer(bytes(term_ids), dtype=np.int32), np.frombuffer(bytes(weights), dtype=np.float32))
        for trial_id, term_ids, weights in SimilarityProfile.objects.filter(trial_id__in=trial_ids).values_list(
            "trial_id", "term_ids", "weights"
        )
    }


def _aligned(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    _, index_a, index_b = np.intersect1d(a[0], b[0], assume_unique=True, return_indices=True)
    return a[1][index_a], b[1][index_b]


def _trial_facts(trial_ids: set[int]) -> dict[int, tuple[str, str]]:
    return {
        trial_id: (nct_id, status)
        for trial_id, nct_id, status in Trial.objects.filter(id__in=trial_ids).values_list(
            "id", "nct_id", "overall_status"
        )
    }


def _listed_between(changed: set[int], others: set[int], trials: dict[int, tuple[str, str]]) -> set[tuple[int, int]]:
    """Pairs, either way round, where one record lists the other as related."""
    id_of = {nct_id: trial_id for trial_id, (nct_id, _) in trials.items()}
    pairs = set()
    for trial_id, nct_id in RelatedTrial.objects.filter(
        kind=choices.RelatedTrialKind.LISTED, trial_id__in=changed | others, nct_id__in=list(id_of)
    ).values_list("trial_id", "nct_id"):
        pairs.add((trial_id, id_of[nct_id]))
    return pairs


def _row_of(trial_id: int, match: Match) -> dict:
    return {"trial_id": trial_id, "other_id": match.other_id, "score": match.score, "reasons": match.reasons}


def _take_offers(offers: dict[int, list[Match]], vectors: dict, keys: dict, labels: dict, open_ids: set[int]) -> None:
    """Put changed trials into other trials' lists where they now score high enough."""
    if not offers:
        return
    stored = defaultdict(list)
    for trial_id, other, score, reasons in SimilarTrial.objects.filter(trial_id__in=list(offers)).values_list(
        "trial_id", "other_id", "score", "reasons"
    ):
        stored[trial_id].append(Match(other, score, reasons))
    statuses = dict(
        Trial.objects.filter(id__in={m.other_id for matches in stored.values() for m in matches}).values_list(
            "id", "overall_status"
        )
    )
    open_ids = open_ids | {trial_id for trial_id, status in statuses.items() if status in choices.OPEN_STATUSES}
    own = _stored_vectors(set(offers))
    rewrite, rows = [], []
    for trial_id, matches in offers.items():
        before = {match.other_id for match in stored[trial_id]}
        chosen = choose(stored[trial_id] + matches, open_ids)
        if {match.other_id for match in chosen} == before:
            continue
        for match in chosen:
            if match.other_id in vectors and trial_id in own:
                match.score, match.reasons = explain(own[trial_id], vectors[match.other_id], keys, labels)
        rewrite.append(trial_id)
        rows += [_row_of(trial_id, match) for match in chosen]
    SimilarTrial.objects.filter(trial_id__in=rewrite).delete()
    _insert(SimilarTrial, rows)
