"""What the similarity engine reads from and writes to the database.

Trials' features are read a chunk at a time; terms, profiles, keys and
lists are written through the bulk writer's COPY.
"""

from __future__ import annotations

import functools
import math
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator

import numpy as np
from django.db import connection
from django.db.models import Count

from .. import choices, db
from ..models import (
    Condition,
    Intervention,
    MeshTerm,
    OutcomeMeasure,
    SimilarityKey,
    SimilarityProfile,
    SimilarityTerm,
    SimilarTrial,
    Trial,
    TrialCondition,
)
from ..search import vocabulary
from .populations import joined_conditions, rarer, treated
from .scoring import Features, extract, mesh_key
from .text import normalize, telling_name, words
from .titles import known_names, title_conditions

# A feature every trial has: its document count is the number of trials
# (counting the profiles would take a scan of them at every refresh).
TOTAL_KEY = "*:trials"


def trial_total() -> int:
    return SimilarityTerm.objects.filter(key=TOTAL_KEY).values_list("document_count", flat=True).first() or 0


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
    trial_ids: Iterable[int] | None = None,
    chunk: int = 2000,
    mesh_names: dict | None = None,
    populations: bool = True,
    known: dict | None = None,
) -> Iterator[Features]:
    """Features of the given trials (all when None), a chunk at a time in six queries a chunk.

    A trial whose title joins two conditions after its people costs up to
    four more, fewer as the load goes on (``_treated``).

    ``mesh_names`` (see ``condition_mesh_names``) saves a query a chunk when
    reading many; ``known`` (see ``known_condition_names``) is what the
    titles are read against for the conditions the list leaves out.
    """
    if populations and known is None:
        known = known_condition_names()
    answers: dict = {}  # ``_treated``'s counts, for the rest of this load
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
        outcomes = defaultdict(list)
        for trial_id, measure in OutcomeMeasure.objects.filter(
            trial_id__in=ids, kind=choices.OutcomeKind.PRIMARY
        ).values_list("trial_id", "measure"):
            outcomes[trial_id].append(measure)
        without_mesh = [row for row in rows if not any(m[0] == "CONDITION" for m in mesh[row["id"]])]
        inferred = _inferred_mesh(without_mesh, conditions, mesh_names)
        for row in rows:
            trial_mesh = mesh[row["id"]] + inferred.get(row["id"], [])
            named, treats, entry_terms = [], set(), {}
            if populations:
                listed = [(f"c:{normalize(name)}", name) for name in conditions[row["id"]]]
                listed += [(f"m:{mesh_key(m[2])}", m[3]) for m in trial_mesh if m[0] == "CONDITION" and not m[1]]
                given = [name for name, _ in interventions[row["id"]]]
                titles = (row["brief_title"], row["official_title"])
                named = title_conditions(titles, listed, known, given)
                coded = {key[2:] for key, _ in listed if key.startswith("m:")}
                entry_terms = {
                    mesh_id: phrase
                    for name in conditions[row["id"]]
                    for mesh_id, phrase in _entry_terms(name)
                    if mesh_id in coded
                }
                # A MeSH term read as the words of the listed name that MeSH gives it too.
                read = [
                    (key, f"{name} {entry_terms[key[2:]]}" if key[2:] in entry_terms else name) for key, name in listed
                ]
                asked = joined_conditions(titles, read, outcomes[row["id"]])
                if asked[0]:
                    stored = {f"m:{mesh_key(m[2])}" for m in mesh[row["id"]] if m[0] == "CONDITION"}
                    treats = _treated(asked, read, conditions[row["id"]], trial_mesh, stored, answers)
            yield extract(
                row,
                conditions[row["id"]],
                trial_mesh,
                interventions[row["id"]],
                outcomes[row["id"]],
                populations,
                named,
                treats,
                entry_terms,
            )


def _treated(
    asked: tuple[list[str], list[str]],
    listed: list[tuple[str, str]],
    names: list[str],
    mesh: list[tuple],
    stored: set[str],
    cache: dict,
) -> set[str]:
    """Which of the conditions a title joins after its people (``joined_conditions``) the intervention treats on file.

    Counted over the other trials given the same intervention (its MeSH
    terms: names vary too much to match), by the condition's name as this
    trial lists it and its MeSH term (``stored``: those the registry gave it,
    not inferred); then, if that is not the first joined, over every trial,
    to tell whether it is the rarer (``populations.treated``, ``rarer``).
    Up to four queries for the few trials whose title reads so; ``cache``
    keeps each name's and MeSH spelling's counts for the rest of the load,
    where the same common conditions come back. Like the
    document counts, what other trials say is read again at the next rebuild,
    not when they change.
    """
    first, joined = asked
    keys = first + joined
    given = tuple(
        sorted(
            spelling
            for domain, is_ancestor, mesh_id, _ in mesh
            if domain == choices.MeshDomain.INTERVENTION and not is_ancestor
            for spelling in mesh_spellings(mesh_key(mesh_id))
        )
    )
    if not given:
        return set()
    # As this trial lists it: the name's own spelling.
    by_name = {name: key for name in names if (key := f"c:{normalize(name)}") in keys}
    # Once each: a record may give one MeSH term twice.
    terms = tuple(dict.fromkeys(s for key in keys if key.startswith("m:") for s in mesh_spellings(key[2:])))
    conditions = [(key, name) for key, name in listed if key in keys]
    # The trial counts itself where it gives the intervention and lists the condition as stored.
    own = {key for key in keys if key.startswith("c:") or key in stored}

    def counted(giving: tuple[str, ...]) -> dict[str, int]:
        # Each name's and spelling's count is kept apart: the trials asking share a few common ones.
        names = [name for name in by_name if (giving, "c", name) not in cache]
        spellings = [term for term in terms if (giving, "m", term) not in cache]
        listing = TrialCondition.objects.filter(condition__name__in=names)
        coded = MeshTerm.objects.filter(domain=choices.MeshDomain.CONDITION, mesh_id__in=spellings)
        if giving:
            trials = MeshTerm.objects.filter(domain=choices.MeshDomain.INTERVENTION, mesh_id__in=giving)
            listing = listing.filter(trial_id__in=trials.values("trial_id"))
            coded = coded.filter(trial_id__in=trials.values("trial_id"))
        cache.update(dict.fromkeys([(giving, "c", name) for name in names] + [(giving, "m", t) for t in spellings], 0))
        if names:
            for name, count in listing.values_list("condition__name").annotate(count=Count("trial_id")):
                cache[(giving, "c", name)] = count
        if spellings:
            for mesh_id, count in coded.values_list("mesh_id").annotate(count=Count("trial_id", distinct=True)):
                cache[(giving, "m", mesh_id)] = count
        counts = dict.fromkeys(keys, 0)
        # Two spellings of one name are one condition: the larger count, not the trial twice.
        for name, key in by_name.items():
            counts[key] = max(counts[key], cache[(giving, "c", name)])
        for term in terms:
            counts[f"m:{mesh_key(term)}"] += cache[(giving, "m", term)]
        return {key: max(count - (key in own), 0) for key, count in counts.items()}

    found = treated(counted(given), conditions)
    if not found or found & set(first) or not rarer(found, counted(()), conditions):
        return set()
    return found


@functools.lru_cache(maxsize=100_000)
def _entry_terms(name: str) -> tuple[tuple[str, str], ...]:
    """(MeSH key, phrase) of the descriptors a condition's name names by MeSH's entry terms or preferred names.

    "Chronic Kidney Disease and Hypertension" names "Renal Insufficiency,
    Chronic" by the words "chronic kidney disease". Read from the search
    vocabulary's files, not the database; names repeat, so they are remembered.
    """
    terms = vocabulary.key(name).split()
    found = ((descriptor, " ".join(terms[start:end])) for start, end, descriptor in vocabulary.spans(terms))
    # Not by a word that tells nothing alone: the "neoplasm" of "Blastic Plasmacytoid Dendritic Cell Neoplasm".
    return tuple(
        (mesh_key(descriptor.ui), phrase)
        for descriptor, phrase in found
        if descriptor.from_mesh and telling_name(phrase)
    )


def mesh_spellings(mesh_id: str) -> list[str]:
    """The registry spells a descriptor's id with six digits or nine; a supplementary concept's ("C582435") one way."""
    if not mesh_id.startswith("D"):
        return [mesh_id]
    number = mesh_id.removeprefix("D")
    return [f"D{number}", f"D{number:0>9}"]


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
# (fetched at, (MeSH key, term) rows, stemmed name → (MeSH key, term)).
# Not read yet: the clock starts at boot, so a zero would count as fresh for ten minutes after it.
_mesh_cache: tuple[float, list[tuple[str, str]], dict] = (-math.inf, [], {})


def condition_mesh_terms(fresh: bool = False) -> list[tuple[str, str]]:
    """(MeSH key, term) of every condition MeSH term on file, not an ancestor: what ``condition_mesh_names`` reads."""
    _read_mesh(fresh)
    return _mesh_cache[1]


def condition_mesh_names(fresh: bool = False) -> dict[str, tuple[str, str]]:
    """Stemmed name → (MeSH key, term) of every condition MeSH term on file.

    Kept for ten minutes in the process: a refresh needs them for every
    trial without MeSH terms, and they change only with imports. A refresh
    reads the ones the last rebuild read (``save_terms`` stores them all),
    so that it infers a trial's terms as the rebuild did.
    """
    _read_mesh(fresh)
    return _mesh_cache[2]


def _read_mesh(fresh: bool) -> None:
    global _mesh_cache, _known_cache
    if fresh or time.monotonic() - _mesh_cache[0] > _MESH_NAMES_SECONDS:
        rows = _read_condition_mesh_terms(from_last_computation=not fresh)
        found: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for mesh_id, term in rows:
            found[" ".join(stem for stem, _ in words(term))].add((mesh_id, term))
        # Without its number, "Diabetes Mellitus, Type 1" reads as Type 2 too: such a name infers neither.
        names = {phrase: min(terms) for phrase, terms in found.items() if len({mesh_id for mesh_id, _ in terms}) == 1}
        _mesh_cache = (time.monotonic(), rows, names)
        _known_cache = None


def _read_condition_mesh_terms(from_last_computation: bool) -> list[tuple[str, str]]:
    if from_last_computation and SimilarityTerm.objects.exists():
        # Far fewer rows than every trial's terms; a rebuild reads those.
        rows = SimilarityTerm.objects.filter(key__startswith="m:").values_list("key", "label")
        return sorted({(key.removeprefix("m:"), label) for key, label in rows})
    queryset = MeshTerm.objects.filter(domain=choices.MeshDomain.CONDITION, is_ancestor=False)
    return sorted({(mesh_key(mesh_id), term) for mesh_id, term in queryset.values_list("mesh_id", "term").distinct()})


_known_cache: dict | None = None


def known_condition_names(fresh: bool = False) -> dict[str, list[tuple[str, str]]]:
    """The condition names and MeSH terms on file, by phrase, as titles are read against them (``titles.known_names``).

    Kept as long as ``condition_mesh_names``: the rebuild reads them afresh, and so does a
    refresh after ten minutes.
    """
    global _known_cache
    mesh_names = condition_mesh_names(fresh=fresh)
    if _known_cache is None:
        names = Condition.objects.order_by("name").values_list("name", flat=True).iterator(chunk_size=10000)
        _known_cache = known_names(names, mesh_names)
    return _known_cache


def matrix_row(matrix, row: int) -> tuple[np.ndarray, np.ndarray]:
    begin, end = matrix.indptr[row], matrix.indptr[row + 1]
    return matrix.indices[begin:end].astype(np.int32), matrix.data[begin:end]


def clear() -> None:
    for model in (SimilarTrial, SimilarityKey, SimilarityProfile, SimilarityTerm):
        model.objects.all()._raw_delete(model.objects.db)


def insert(model, rows: list[dict], with_ids: bool = False) -> None:
    db.table(model).insert(rows, with_ids=with_ids)


def save_terms(
    keys: list[str], labels: list[str], document_counts: list[int], total: int, mesh_terms: Iterable = ()
) -> None:
    """Every feature's key, label and document count, and the condition MeSH terms the rebuild read.

    Term ids are the row numbers of the matrices, so the stored vectors need
    no remapping. ``mesh_terms`` (MeSH key, term) not among the features (a
    term the registry gives only beside its subtype) are stored as well, in
    no trial: a refresh reads its trials' terms from them as the rebuild did.
    """
    known = set(keys)
    extra = [(f"m:{mesh_id}", term) for mesh_id, term in mesh_terms if f"m:{mesh_id}" not in known]
    extra = list(dict(extra).items())
    insert(
        SimilarityTerm,
        [
            {"id": term_id + 1, "key": key, "label": label, "document_count": count}
            for term_id, (key, label, count) in enumerate(zip(keys, labels, document_counts, strict=True))
        ]
        + [{"id": len(keys) + 1, "key": TOTAL_KEY, "label": "every trial", "document_count": total}]
        + [
            {"id": len(keys) + 2 + offset, "key": key, "label": label[:600], "document_count": 0}
            for offset, (key, label) in enumerate(extra)
        ],
        with_ids=True,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('trials_similarityterm', 'id'), GREATEST(MAX(id), 1)) "
                "FROM trials_similarityterm"
            )


def save_profiles(trial_ids: list[int], vectors) -> None:
    rows = []
    for row, trial_id in enumerate(trial_ids):
        ids, weights = matrix_row(vectors, row)
        rows.append(
            {"trial_id": trial_id, "term_ids": (ids + 1).astype(np.int32).tobytes(), "weights": weights.tobytes()}
        )
        if len(rows) >= 5000:
            insert(SimilarityProfile, rows, with_ids=True)
            rows = []
    insert(SimilarityProfile, rows, with_ids=True)


def save_keys(trial_ids: list[int], key_matrix) -> None:
    rows = []
    for row, trial_id in enumerate(trial_ids):
        ids, weights = matrix_row(key_matrix, row)
        rows.extend(
            {"term_id": int(term_id) + 1, "trial_id": trial_id, "weight": float(weight)}
            for term_id, weight in zip(ids, weights, strict=True)
        )
        if len(rows) >= 50000:
            insert(SimilarityKey, rows)
            rows = []
    insert(SimilarityKey, rows)
