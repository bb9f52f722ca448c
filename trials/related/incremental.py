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
from django.db.models import Count, F, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Greatest

from .. import choices
from ..models import (
    Condition,
    MeshTerm,
    RelatedTrial,
    SimilarityKey,
    SimilarityProfile,
    SimilarityTerm,
    SimilarTrial,
    Trial,
    TrialCondition,
)
from . import full
from .choice import Match, Posting, choose, filling, shortfall
from .scoring import (
    CANDIDATES,
    CATCH_ALL_CONDITIONS,
    COVERAGE,
    FILL_CANDIDATES,
    MIN_SCORE,
    Features,
    Vectorizer,
    aligned,
    explain,
    main_condition,
    mesh_key,
    population_condition,
)
from .store import TOTAL_KEY, insert, load_features, mesh_spellings, trial_total
from .tiers import Tier, aspect_ids, aspects, match_tier
from .titles import broad_classes, coded_ancestors

# A changed trial is offered to the short lists of the conditions it names held by this many trials at most.
SHORT_CONDITION = 3 * COVERAGE
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
        held = _forget(ids)
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

        labels_by_key = {key: label for item in features for key, label in item.labels.items()}
        trial_aspects = _aspects_of({item.trial_id: item.counts for item in features}, by_key, labels_by_key)
        candidates = {trial_id: _candidates(trial_id, key_rows) for trial_id in vectors}
        others = _stored_vectors({other for found in candidates.values() for other in found} - set(vectors))
        others.update(vectors)
        trials = _trial_facts(set(others) | set(vectors))
        listed = _listed_between(set(vectors), set(others), trials)
        open_ids = {trial_id for trial_id, (_, status) in trials.items() if status in choices.OPEN_STATUSES}
        keys = {term_id: key for term_id, (key, _, _) in terms.items()}
        labels = {term_id: label for term_id, (_, _, label) in terms.items()}

        features_of = {item.trial_id: item for item in features}
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
                    if other not in vectors and (other, trial_id) not in listed and (other, trial_id) not in held:
                        offers[other].append(Match(trial_id, score, []))
            chosen = choose(matches, open_ids)
            if shortfall(chosen):
                # As the rebuild does: trials sharing its main condition (or else its population) fill
                # the list, however they score.
                fillers = _fillers(trial_id, vector, features_of[trial_id], trial_aspects.get(trial_id), listed)
                others.update(fillers[1])
                open_ids |= fillers[2]
                chosen = choose(matches, open_ids, fillers[0])
            for match in chosen:
                tier, population = match_tier(trial_aspects.get(trial_id), others[match.other_id][0])
                match.score, match.reasons = explain(vector, others[match.other_id], keys, labels, tier, population)
                rows.append(_row_of(trial_id, match))
        insert(SimilarTrial, rows)
        # The lists that held a changed trial are offered it back, however it now scores: it may have filled them.
        # So are the short lists whose main condition it now shares, as the rebuild would fill them.
        counts = {key: count for key, count, _ in terms.values()}
        held = held | (_short_lists_sharing(features_of, counts) - listed)
        holders = _stored_vectors({holder for holder, _ in held})
        for holder, trial_id in held:
            if holder in holders and all(match.other_id != trial_id for match in offers[holder]):
                offers[holder].append(Match(trial_id, float(np.dot(*aligned(holders[holder], vectors[trial_id]))), []))
        _take_offers(offers, vectors, keys, labels, open_ids, held)
    return len(vectors)


def _fillers(
    trial_id: int, vector: tuple[np.ndarray, np.ndarray], item: Features, aspect, listed: set[tuple[int, int]]
) -> tuple[list[Match], dict, set[int]]:
    """Trials sharing the trial's main condition, or else its population, scored, as ``full.Space.fillers`` finds them.

    From the trials ``choice.filling`` takes, the best ``3 * COVERAGE`` tiered. Returns the
    matches, the vectors read and which of those trials are open.
    """
    stored: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    main = main_condition(item.counts, item.labels, broad_classes(item.counts, item.labels))
    rows = filling(_postings(trial_id, item, main, stored)).tolist()
    if not rows and not _held_by_others([key for key in main if key]):
        # No other trial has what it studies: those sharing its population, tiered as such.
        rows = filling(_postings(trial_id, item, population_condition(item.counts, item.labels), stored)).tolist()
    scored = sorted(
        ((float(np.dot(*aligned(vector, stored[other]))), other) for other in rows),
        key=lambda pair: (-pair[0], pair[1]),
    )[: 3 * COVERAGE]
    # Those the record itself lists are left out after, as the rebuild leaves them out (``full.Space.chosen``).
    found = [
        Match(other, score, [], match_tier(aspect, stored[other][0])[0])
        for score, other in scored
        if (trial_id, other) not in listed
    ]
    open_ids = set(
        Trial.objects.filter(id__in=[m.other_id for m in found], overall_status__in=choices.OPEN_STATUSES).values_list(
            "id", flat=True
        )
    )
    return found, {m.other_id: stored[m.other_id] for m in found}, open_ids


def _held_by_others(keys: list[str]) -> bool:
    """Whether another trial has one of these features, by the document counts (the trial's own among them).

    A name spelt otherwise ("Lp(a)", "LP (a)") is one feature but escapes ``_postings``' look-up by
    name: such a trial is not filled from its population, which the rebuild would not do.
    """
    return SimilarityTerm.objects.filter(key__in=keys, document_count__gt=1).exists()


def _postings(trial_id: int, item: Features, condition: tuple[str | None, str | None], stored: dict) -> list[Posting]:
    """The postings of a condition's name and MeSH term (``main_condition``, ``population_condition``), as
    ``full.Space.postings``."""
    name_key, mesh = condition
    postings = []
    if name_key:
        names = Condition.objects.filter(name__iexact=item.labels[name_key]).values("id")
        postings.append(
            _posting(trial_id, name_key, (TrialCondition.objects.filter(condition__in=names), "trial_id"), stored)
        )
    if mesh and (not postings or postings[0][1].sum() < COVERAGE):
        # The term comes in only while few study the name (``choice.sharing``).
        postings.append(_posting(trial_id, mesh, (_mesh_trials(mesh[2:]), "trial_id"), stored, inferred=True))
    return postings


def _posting(trial_id: int, key: str, having, stored: dict, inferred: bool = False) -> Posting:
    """The trials having a condition feature (``key``), by their stored profiles, and whether each studies it.

    ``having`` (a queryset, the field of its trial's id) holds the trials that may have it (naming
    it among their conditions, or among their MeSH terms), read by id a page at a time until
    ``FILL_CANDIDATES`` study it (the most ``choice.filling`` takes), without the catch-all
    registries, as the rebuild's condition index is. ``inferred``: a MeSH term, which a trial
    the registry gave no condition term may have from its words (``store._inferred_mesh``).
    ``stored`` gathers the profiles read.
    """
    rows = SimilarityTerm.objects.filter(key__in=[key, f"p:{key}"]).values_list("key", "id", "document_count")
    terms = {feature: (term_id, count) for feature, term_id, count in rows}
    if key not in terms:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    found: dict[int, bool] = {}
    last = _read_posting(trial_id, key, terms, having, stored, found)
    # Unless those found (and the trial itself) are all its trials, the others were inferred: looked
    # for in the profiles of trials without terms, up to the last trial read.
    if inferred and (last is not None or len(found) + 1 < terms[key][1]):
        at = "position(%s in term_ids)" if connection.vendor == "postgresql" else "instr(term_ids, %s)"
        bare = SimilarityProfile.objects.exclude(trial__mesh_terms__domain=choices.MeshDomain.CONDITION)
        # A match may straddle two ids: the ids themselves are read after.
        bare = bare.alias(at=RawSQL(at, [np.int32(terms[key][0]).tobytes()])).filter(at__gt=0)
        bare = bare.filter(trial_id__lte=last) if last else bare
        # Read until every trial the term's document count gives is found (the trial itself is one).
        _read_posting(trial_id, key, terms, (bare, "trial_id"), stored, found, until=terms[key][1] - 1)
    ids = sorted(found)
    return np.asarray(ids, dtype=np.int64), np.asarray([found[other] for other in ids], dtype=bool)


def _read_posting(
    trial_id: int, key: str, terms: dict, having, stored: dict, found: dict[int, bool], until: int | None = None
) -> int | None:
    """``_posting``'s pages: the last trial read when ``FILL_CANDIDATES`` study the feature, None when all are read.

    ``until``: read until that many trials having the feature are found, whether or not they study it.
    """
    (queryset, field), last = having, 0
    while len(found) < until if until is not None else sum(found.values()) < FILL_CANDIDATES:
        after = queryset.filter(**{f"{field}__gt": last}).exclude(**{field: trial_id}).order_by(field)
        page = list(dict.fromkeys(after.values_list(field, flat=True)[:FILL_CANDIDATES]))
        if not page:
            return None
        last = page[-1]
        catch_alls = _catch_alls(page)
        profiles = _stored_vectors({other for other in page if other not in catch_alls})
        stored.update(profiles)
        population = terms.get(f"p:{key}", (-1, 0))[0]
        for other, (term_ids, _) in profiles.items():
            if terms[key][0] in term_ids:
                found[other] = population not in term_ids
    return last


def _short_lists_sharing(features_of: dict[int, Features], counts: dict[str, int]) -> set[tuple[int, int]]:
    """(trial, changed trial) where the trial's main condition is one the changed trial names, and its list is short.

    Only for a condition few trials hold (``SHORT_CONDITION``, ``counts`` by
    feature key): a list is short when few share its main condition, and
    the many sharing a common one fill it. A handful of queries for all the
    changed trials.
    """
    names, terms = defaultdict(set), defaultdict(set)
    for trial_id, item in features_of.items():
        keys = [key for key in item.counts if key[:2] in ("c:", "m:") and counts.get(key, 0) <= SHORT_CONDITION]
        if sum(1 for key in item.counts if key.startswith("c:")) > CATCH_ALL_CONDITIONS:
            continue
        for key in keys:
            if key.startswith("c:"):
                names[item.labels[key]].add(trial_id)
            else:
                terms[key[2:]].add(trial_id)
    firsts: dict[int, set[int]] = defaultdict(set)
    for other, name in TrialCondition.objects.filter(condition__name__in=list(names), position=0).values_list(
        "trial_id", "condition__name"
    ):
        firsts[other] |= names[name]
    if terms:
        spellings = [spelling for key in terms for spelling in mesh_spellings(key)]
        holders = set(_mesh_trials(None).filter(mesh_id__in=spellings).values_list("trial_id", flat=True))
        # A list filled by its main condition's MeSH term: the trial's first condition term.
        first = {}
        for other, mesh_id in _mesh_trials(None).filter(trial_id__in=holders).values_list("trial_id", "mesh_id"):
            first.setdefault(other, mesh_key(mesh_id))
        for other, mesh_id in first.items():
            firsts[other] |= terms.get(mesh_id, set())
    for changed in features_of:
        firsts.pop(changed, None)
    kept = Counter(
        SimilarTrial.objects.filter(trial_id__in=list(firsts))
        .exclude(tier=Tier.POPULATION_ONLY)
        .values_list("trial_id", flat=True)
    )
    short = [other for other in firsts if kept[other] < COVERAGE]
    # Their main condition as the rebuild reads it: by name, or by MeSH term when few share the name.
    mains = {
        item.trial_id: main_condition(item.counts, item.labels, broad_classes(item.counts, item.labels))
        for item in load_features(short)
    }
    names = {name for name, _ in mains.values() if name}
    shared = dict(SimilarityTerm.objects.filter(key__in=list(names)).values_list("key", "document_count"))
    pairs = set()
    for other, (name, mesh) in mains.items():
        for trial_id in firsts[other]:
            keys = features_of[trial_id].counts
            by_mesh = mesh and mesh in keys and (not name or shared.get(name, 0) <= COVERAGE)
            if (name and name in keys) or by_mesh:
                pairs.add((other, trial_id))
    return pairs


def _catch_alls(trial_ids: Iterable[int]) -> set[int]:
    """The trials naming more than ``CATCH_ALL_CONDITIONS`` conditions: they fill no list."""
    return set(
        TrialCondition.objects.filter(trial_id__in=list(trial_ids))
        .values("trial_id")
        .annotate(count=Count("id"))
        .filter(count__gt=CATCH_ALL_CONDITIONS)
        .values_list("trial_id", flat=True)
    )


def _mesh_trials(mesh_id: str | None):
    """The condition MeSH terms (not ancestors) of this id, in the order the records give them."""
    terms = MeshTerm.objects.filter(domain=choices.MeshDomain.CONDITION, is_ancestor=False)
    if mesh_id:
        terms = terms.filter(mesh_id__in=mesh_spellings(mesh_id))
    return terms.order_by("trial_id", "position", "id")


def _forget(ids: set[int]) -> set[tuple[int, int]]:
    """Drop what is stored of these trials, taking their features out of the document counts.

    Returns (trial, changed trial) of the other trials' lists that held them.
    """
    removed: Counter = Counter()
    profiles = 0
    for packed in SimilarityProfile.objects.filter(trial_id__in=ids).values_list("term_ids", flat=True):
        removed.update(np.frombuffer(bytes(packed), dtype=np.int32).tolist())
        profiles += 1
    total_id = SimilarityTerm.objects.filter(key=TOTAL_KEY).values_list("id", flat=True).first()
    if total_id and profiles:
        removed[total_id] += profiles
    _move_counts({term_id: -count for term_id, count in removed.items()})
    held = set(
        SimilarTrial.objects.filter(other_id__in=ids).exclude(trial_id__in=ids).values_list("trial_id", "other_id")
    )
    SimilarTrial.objects.filter(Q(trial_id__in=ids) | Q(other_id__in=ids)).delete()
    SimilarityKey.objects.filter(trial_id__in=ids).delete()
    SimilarityProfile.objects.filter(trial_id__in=ids).delete()
    return held


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


def _aspects_of(
    keys_by_trial: dict[int, Iterable[str]], by_key: dict[str, int], labels: dict[str, str]
) -> dict[int, tuple]:
    """Trial → its aspects as term ids (``tiers.aspects``), for the trials with a population.

    A trial's aspects name keys it may not have itself (a population
    condition's plain key, its MeSH term as an ancestor, a studied
    condition's population form): those are looked up.
    ``labels`` by key name the conditions, to tell a broad one.
    """
    found = {
        trial_id: aspects(keys, broad_classes(keys, labels), coded_ancestors(keys, labels))
        for trial_id, keys in keys_by_trial.items()
    }
    found = {trial_id: each for trial_id, each in found.items() if each.population}
    wanted = {key for each in found.values() for key in each.main | each.population}
    # A main condition's population form: a candidate having only that does not study it (``tiers.aspect_ids``).
    wanted |= {f"p:{key}" for each in found.values() for key in each.main if key[:2] in ("c:", "m:")}
    wanted -= set(by_key)
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


def _take_offers(
    offers: dict[int, list[Match]],
    vectors: dict,
    keys: dict,
    labels: dict,
    open_ids: set[int],
    held: set[tuple[int, int]] = frozenset(),
) -> None:
    """Put changed trials into other trials' lists where they now score high enough.

    A changed trial a list ``held`` may stay in it as it was kept, below the
    minimum score too: it filled the list from its main condition.
    """
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
    key_of, label_of = {}, {}
    for term_id, key, label in SimilarityTerm.objects.filter(
        id__in={int(term_id) for ids, _ in own.values() for term_id in ids.tolist()}
    ).values_list("id", "key", "label"):
        key_of[term_id], label_of[key] = key, label
    own_aspects = _aspects_of(
        {trial_id: [key_of[t] for t in ids.tolist() if t in key_of] for trial_id, (ids, _) in own.items()},
        {key: term_id for term_id, key in key_of.items()},
        label_of,
    )
    for trial_id, matches in offers.items():
        for match in matches:
            match.tier, _ = match_tier(own_aspects.get(trial_id), vectors[match.other_id][0])
    rewrite, rows = [], []
    for trial_id, matches in offers.items():
        before = {match.other_id for match in stored[trial_id]}
        # Its stored trials below the minimum filled it from its main condition: they still may.
        refill = [match for match in matches if (trial_id, match.other_id) in held]
        chosen = choose(stored[trial_id] + matches, open_ids, fillers=stored[trial_id] + refill)
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
