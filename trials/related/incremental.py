"""A few trials at a time: after an import or an admin save.

Each changed trial's features, keys and list are redone through the
database's key index, and the trial takes its place in other trials' lists
where it now scores high enough.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

import numpy as np
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest

from .. import choices
from ..models import RelatedTrial, SimilarityKey, SimilarityProfile, SimilarityTerm, SimilarTrial, Trial
from . import full
from .choice import Match, choose
from .scoring import (
    CANDIDATES,
    MIN_SCORE,
    Features,
    Vectorizer,
    aligned,
    explain,
)
from .store import TOTAL_KEY, insert, load_features, trial_total
from .tiers import aspect_ids, aspects, match_tier

# Past this many changed trials (or a tenth of the registry), an import rebuilds instead.
REFRESH_LIMIT = 2000


def pending() -> list[str]:
    """NCT IDs of the trials whose related lists are still to compute.

    A trial that an import creates or replaces has no profile until its
    refresh commits (replacing a trial deletes its profile with it), and
    every trial a refresh or a rebuild reads gets one. An import killed
    before its refresh leaves exactly these behind, for the next to compute.
    """
    return list(Trial.objects.filter(similarity_profile__isnull=True).values_list("nct_id", flat=True))


def after_import(nct_ids: list[str]) -> None:
    """Bring related lists up to date after an import changed these trials.

    For the caller of an import (``report.changed``). The trials an earlier
    import saved but was killed before relating (``pending``) are computed
    with them, so the next import, even of nothing new, repairs a killed one.
    """
    nct_ids = list(dict.fromkeys([*nct_ids, *pending()]))
    if not nct_ids:
        return
    total = trial_total()
    if len(nct_ids) > max(REFRESH_LIMIT, total // 10) or not total:
        full.rebuild()
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
        total = trial_total()
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
                for term_id, weight in vectorizer.keys(
                    vector_ids,
                    weights,
                    prefixes,
                    key_limit,
                    {by_key[key[2:]] for key in item.counts if key.startswith("p:") and key[2:] in by_key},
                )
            ]
        insert(SimilarityProfile, profiles, with_ids=True)
        insert(SimilarityKey, key_rows)

        trial_aspects = _aspects_of({item.trial_id: item.counts for item in features}, by_key)
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
                score = float(np.dot(*aligned(vector, others[other])))
                if score >= MIN_SCORE:
                    tier, _ = match_tier(trial_aspects.get(trial_id), others[other][0])
                    matches.append(Match(other, score, [], tier))
                    if other not in vectors and (other, trial_id) not in listed:
                        offers[other].append(Match(trial_id, score, []))
            for match in choose(matches, open_ids):
                tier, population = match_tier(trial_aspects.get(trial_id), others[match.other_id][0])
                match.score, match.reasons = explain(vector, others[match.other_id], keys, labels, tier, population)
                rows.append(_row_of(trial_id, match))
        insert(SimilarTrial, rows)
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


def _aspects_of(keys_by_trial: dict[int, Iterable[str]], by_key: dict[str, int]) -> dict[int, tuple]:
    """Trial → its aspects as term ids (``tiers.aspects``), for the trials with a population.

    A trial's aspects name keys it may not have itself (a population
    condition's plain key, its MeSH term as an ancestor): those are looked up.
    """
    found = {trial_id: aspects(keys) for trial_id, keys in keys_by_trial.items()}
    found = {trial_id: each for trial_id, each in found.items() if each.population}
    wanted = {key for each in found.values() for key in each.main | each.population} - set(by_key)
    known = dict(by_key)
    if wanted:
        known.update(SimilarityTerm.objects.filter(key__in=list(wanted)).values_list("key", "id"))
    return {trial_id: aspect_ids(each, known.get) for trial_id, each in found.items()}


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
    return {
        "trial_id": trial_id,
        "other_id": match.other_id,
        "score": match.score,
        "reasons": match.reasons,
        "tier": match.tier,
    }


def _take_offers(offers: dict[int, list[Match]], vectors: dict, keys: dict, labels: dict, open_ids: set[int]) -> None:
    """Put changed trials into other trials' lists where they now score high enough."""
    if not offers:
        return
    stored = defaultdict(list)
    for trial_id, other, score, reasons, tier in SimilarTrial.objects.filter(trial_id__in=list(offers)).values_list(
        "trial_id", "other_id", "score", "reasons", "tier"
    ):
        stored[trial_id].append(Match(other, score, reasons, tier))
    statuses = dict(
        Trial.objects.filter(id__in={m.other_id for matches in stored.values() for m in matches}).values_list(
            "id", "overall_status"
        )
    )
    open_ids = open_ids | {trial_id for trial_id, status in statuses.items() if status in choices.OPEN_STATUSES}
    own = _stored_vectors(set(offers))
    # The offered-to trials' own keys, for their aspects: a changed trial may share only their population.
    key_of = dict(
        SimilarityTerm.objects.filter(
            id__in={int(term_id) for ids, _ in own.values() for term_id in ids.tolist()}
        ).values_list("id", "key")
    )
    own_aspects = _aspects_of(
        {trial_id: [key_of[t] for t in ids.tolist() if t in key_of] for trial_id, (ids, _) in own.items()},
        {key: term_id for term_id, key in key_of.items()},
    )
    for trial_id, matches in offers.items():
        for match in matches:
            match.tier, _ = match_tier(own_aspects.get(trial_id), vectors[match.other_id][0])
    rewrite, rows = [], []
    for trial_id, matches in offers.items():
        before = {match.other_id for match in stored[trial_id]}
        # Its stored trials below the minimum filled it from its main condition: they still may.
        chosen = choose(stored[trial_id] + matches, open_ids, fillers=stored[trial_id])
        if {match.other_id for match in chosen} == before:
            continue
        for match in chosen:
            if match.other_id in vectors and trial_id in own:
                tier, population = match_tier(own_aspects.get(trial_id), vectors[match.other_id][0])
                match.score, match.reasons = explain(
                    own[trial_id], vectors[match.other_id], {**key_of, **keys}, {**labels}, tier, population
                )
        rewrite.append(trial_id)
        rows += [_row_of(trial_id, match) for match in chosen]
    SimilarTrial.objects.filter(trial_id__in=rewrite).delete()
    insert(SimilarTrial, rows)
