"""The whole registry at once: every trial's features, keys and related list, in memory.

Candidates come from an index, never from a pass over all pairs: each
trial's most telling features (``SimilarityKey``) are looked up, the trials
sharing the most of them are scored exactly, and the best above
``MIN_SCORE`` are stored in ``SimilarTrial`` with the reasons that made them
score, with sparse matrices.
"""

from __future__ import annotations

import pickle
import tempfile
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from django.db import connection, transaction

from .. import choices
from ..models import RelatedTrial, SimilarTrial, Trial
from .choice import Match, Posting, choose, filling, sharing, shortfall
from .scoring import (
    CANDIDATES,
    CATCH_ALL_CONDITIONS,
    COVERAGE,
    MIN_SCORE,
    Vectorizer,
    explain,
    main_condition,
    own_of,
    population_condition,
)
from .store import (
    clear,
    condition_mesh_names,
    condition_mesh_terms,
    insert,
    known_condition_names,
    load_features,
    matrix_row,
    save_keys,
    save_profiles,
    save_terms,
)
from .tiers import Aspects, Tier, aspect_ids, aspects, match_tier
from .titles import broad_classes, coded_ancestors

# How a trial has a condition in the condition index: studies it, or lists it for its population.
_STUDIED, _LISTED = 1, 2


@dataclass
class Space:
    """The whole registry's vectors in memory, as sparse matrices (rows are trials, columns terms)."""

    trial_ids: list[int]
    keys: list[str]
    labels: list[str]
    document_counts: list[int]
    vectors: object  # scipy.sparse.csr_matrix
    key_matrix: object
    # Row → (main, population, main beside population form) term ids, for the trials with a population
    # (``tiers.aspect_ids``).
    aspects: dict[int, tuple[np.ndarray, np.ndarray]]
    # Row → the term ids of its main condition's name and MeSH term (``scoring.main_condition``),
    # then of its population's (``scoring.population_condition``), -1 for none; and the trials of
    # each condition name and term (a CSC matrix: column → rows, valued ``_STUDIED`` or
    # ``_LISTED``), to fill short lists.
    main_conditions: np.ndarray
    conditions: object

    def neighbours(self, start: int, stop: int) -> Iterator[tuple[int, list[int], list[float]]]:
        """(row, candidate rows, exact scores) for the rows start..stop, from the key index."""
        candidates = (self.key_matrix[start:stop] @ self.key_matrix_t).tocsr()
        found = []
        for offset in range(stop - start):
            row = start + offset
            begin, end = candidates.indptr[offset], candidates.indptr[offset + 1]
            others, approx = candidates.indices[begin:end], candidates.data[begin:end]
            if len(others) > CANDIDATES:
                others = others[np.argpartition(-approx, CANDIDATES)[:CANDIDATES]]
            # A row without candidates still comes: its main condition may fill its list.
            found.append([other for other in others.tolist() if other != row])
        # Every pair's score at once, not a product a row: the shared terms' products summed in term
        # order, as ``vectors[others] @ vectors[row].T`` sums them (a row sum of ``multiply`` does not).
        ones = np.ones(self.vectors.shape[1], dtype=np.float32)
        for part in range(0, len(found), 500):  # a few hundred rows' pairs at a time: tens of MB
            rows = found[part : part + 500]
            pairs = np.fromiter((other for others in rows for other in others), dtype=np.int64)
            owners = np.repeat(np.arange(start + part, start + part + len(rows)), [len(others) for others in rows])
            products = self.vectors[pairs].multiply(self.vectors[owners]).tocsr()
            products.sort_indices()
            scores = (products @ ones).tolist()
            at = 0
            for offset, others in enumerate(rows):
                yield start + part + offset, others, scores[at : at + len(others)]
                at += len(others)

    def matches(self, row: int, others: list[int], scores: list[float], min_score: float = MIN_SCORE) -> list[Match]:
        """The candidates scoring at least ``min_score``, with their tiers."""
        found = []
        aspect = self.aspects.get(row)
        for other, score in zip(others, scores, strict=True):
            if score >= min_score:
                # Without a population, every match shares the main aspect (``match_tier``).
                tier = match_tier(aspect, matrix_row(self.vectors, other)[0])[0] if aspect else Tier.MAIN
                found.append(Match(other, score, [], tier))
        return found

    def fillers(self, row: int) -> list[Match]:
        """Trials sharing the row's main condition, scored, however low: ``choose`` lists the best of them.

        When no other has it (or the row has none that tells), those sharing its population.
        """
        rows = filling(self.postings(row))
        if not rows.size:
            # No other trial has what it studies: those sharing its population, tiered as such.
            rows = filling(self.postings(row, population=True))
        if not rows.size:
            return []
        scores = (self.vectors[rows] @ self.vectors[row].T).toarray().ravel()
        # No list takes more than ``COVERAGE`` of them: only the best few are worth a tier.
        best = np.argsort(-scores, kind="stable")[: 3 * COVERAGE]
        aspect = self.aspects.get(row)
        return [
            Match(other, score, [], match_tier(aspect, matrix_row(self.vectors, other)[0])[0])
            for other, score in zip(rows[best].tolist(), scores[best].tolist(), strict=True)
        ]

    def postings(self, row: int, population: bool = False) -> list[Posting]:
        """The other rows having the row's main condition name and MeSH term (or its population's),
        and which of them study it."""
        found = []
        columns = slice(2, 4) if population else slice(0, 2)
        for term in self.main_conditions[row, columns].tolist():
            if term >= 0:
                begin, end = self.conditions.indptr[term], self.conditions.indptr[term + 1]
                rows, kinds = self.conditions.indices[begin:end], self.conditions.data[begin:end]
                others = rows != row
                found.append((rows[others], kinds[others] == _STUDIED))
        return found

    def sharing_main_condition(self, row: int) -> np.ndarray:
        """The other rows that study the row's main condition (``choice.sharing``)."""
        return sharing(self.postings(row))

    def chosen(
        self, row: int, others: list[int], scores: list[float], open_rows: set[int], listed: set[tuple[int, int]]
    ) -> list[Match]:
        """What the row's list stores (``choice.choose``), filled from its main condition when short."""
        matches = [match for match in self.matches(row, others, scores) if (row, match.other_id) not in listed]
        chosen = choose(matches, open_rows)
        if shortfall(chosen):
            fillers = [match for match in self.fillers(row) if (row, match.other_id) not in listed]
            chosen = choose(matches, open_rows, fillers)
        return chosen

    def __post_init__(self):
        self.key_matrix_t = self.key_matrix.T.tocsr()


def load_space(weights: dict[str, float] | None = None, chunk: int = 2000, populations: bool = True) -> Space:
    """Read every trial's features and weigh them (``weights`` by signal prefix, for experiments).

    ``populations=False`` scores as before population aspects (see ``scoring.extract``).

    One pass reads and extracts the features (the costly part: every word of
    every text) and counts in how many trials each occurs; what weighing then
    needs of a trial, its term ids and counts, waits in a temporary file
    until the counts are known. Holding them in memory instead would take
    over a gigabyte at 600,000 trials (230 features a trial); reading them
    twice cost a fifth of the rebuild.
    """
    from scipy import sparse

    known = known_condition_names(fresh=True) if populations else None
    mesh_names = condition_mesh_names()
    term_ids: dict[str, int] = {}
    labels: list[str] = []
    keys: list[str] = []
    document_counts: list[int] = []
    trial_ids: list[int] = []
    trial_aspects = {}
    main_conditions, condition_rows, condition_terms, condition_kinds = array("i"), array("i"), array("i"), array("b")
    with tempfile.TemporaryFile() as spill:
        batch: list[tuple[bytes, bytes, bytes, Aspects | None]] = []
        for features in load_features(chunk=chunk, mesh_names=mesh_names, populations=populations, known=known):
            row = len(trial_ids)
            trial_ids.append(features.trial_id)
            ids = array("i")
            # Conditions, their MeSH terms and interventions: all that aspects and the condition index read.
            named = []
            for key in features.counts:
                term_id = term_ids.get(key)
                if term_id is None:
                    term_id = term_ids[key] = len(labels)
                    labels.append(features.labels[key][:600])
                    keys.append(key)
                    document_counts.append(0)
                document_counts[term_id] += 1
                ids.append(term_id)
                if key[0] in "cmapij":
                    named.append((key, term_id))
            named_keys = [key for key, _ in named]
            broad = broad_classes(named_keys, features.labels)
            found = aspects(named_keys, broad, coded_ancestors(named_keys, features.labels))
            if sum(1 for key in named_keys if key.startswith("c:")) <= CATCH_ALL_CONDITIONS:
                for key, term_id in named:
                    if key[:2] in ("c:", "m:"):
                        condition_rows.append(row)
                        condition_terms.append(term_id)
                        condition_kinds.append(_LISTED if f"p:{key}" in features.counts else _STUDIED)
            main = main_condition(features.counts, features.labels, broad)
            main += population_condition(features.counts, features.labels)
            main_conditions.extend(term_ids[key] if key else -1 for key in main)
            # A population condition's plain feature, never a key of the trial (``Vectorizer.keys``): the
            # trial has it too. A population's aspects name keys other trials may bring: numbered once all are read.
            population = array("i", (term_ids[key[2:]] for key, _ in named if key[:2] == "p:" and key[2:] in term_ids))
            counts = array("d", features.counts.values())
            batch.append((ids.tobytes(), counts.tobytes(), population.tobytes(), found if found.population else None))
            if len(batch) >= chunk:
                pickle.dump(batch, spill, pickle.HIGHEST_PROTOCOL)
                batch = []
        pickle.dump(batch, spill, pickle.HIGHEST_PROTOCOL)
        spill.seek(0)

        vectorizer = Vectorizer(dict(enumerate(document_counts)), len(trial_ids), weights)
        key_limit = vectorizer.key_limit()
        prefixes = [key[0] for key in keys]

        # Weighted vectors, and the key matrix candidates are found with.
        indptr, indices, data = array("q", [0]), array("i"), array("f")
        key_indptr, key_indices, key_data = array("q", [0]), array("i"), array("f")
        row = 0
        while row < len(trial_ids):
            for packed_ids, packed_counts, population, found in pickle.load(spill):
                ids = array("i", packed_ids).tolist()
                if found is not None:
                    trial_aspects[row] = aspect_ids(found, term_ids.get)
                vector_ids, vector_weights = vectorizer.vector(ids, array("d", packed_counts).tolist(), prefixes)
                indices.extend(vector_ids.tolist())
                data.extend(vector_weights.tolist())
                indptr.append(len(indices))
                population = set(array("i", population))
                for term_id, weight in vectorizer.keys(vector_ids, vector_weights, prefixes, key_limit, population):
                    key_indices.append(term_id)
                    key_data.append(weight)
                key_indptr.append(len(key_indices))
                row += 1
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
    conditions = sparse.csc_matrix(
        (
            np.frombuffer(condition_kinds, np.int8),
            (np.frombuffer(condition_rows, np.int32), np.frombuffer(condition_terms, np.int32)),
        ),
        shape=shape,
    )
    return Space(
        trial_ids,
        keys,
        labels,
        document_counts,
        vectors,
        key_matrix,
        trial_aspects,
        np.frombuffer(main_conditions, np.int32).reshape(-1, 4),
        conditions,
    )


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
        clear()
        save_terms(space.keys, space.labels, space.document_counts, total, condition_mesh_terms())
        save_profiles(trial_ids, space.vectors)
        save_keys(trial_ids, space.key_matrix)
        for start in range(0, total, chunk):
            stop = min(start + chunk, total)
            rows = []
            for row, others, scores in space.neighbours(start, stop):
                vector = matrix_row(space.vectors, row)
                mine = own_of(vector, key_of)
                for match in space.chosen(row, others, scores, open_rows, listed):
                    other = matrix_row(space.vectors, match.other_id)
                    _, population = match_tier(space.aspects.get(row), other[0])
                    match.score, match.reasons = explain(vector, other, key_of, label_of, match.tier, population, mine)
                    rows.append(
                        {
                            "trial_id": trial_ids[row],
                            "other_id": trial_ids[match.other_id],
                            "score": match.score,
                            "reasons": match.reasons,
                            "tier": match.tier,
                        }
                    )
            insert(SimilarTrial, rows)
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
