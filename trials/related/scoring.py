"""How alike two trials are, and why: features, weights, scores and reasons.

Pure functions over plain values: no database. Each trial becomes a
weighted feature vector with one block per signal (``SIGNALS``). Inside a
block, features are weighted by TF-IDF (rare conditions and words count
more than common ones) and the block is scaled to length
``sqrt(weight)``, so the dot product of two vectors is the weighted sum of
their per-signal cosine similarities: a score in [0, 1], and up to 0.1
more for a shared population (``SIGNALS["population"]``).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .. import choices
from .populations import groups_of, population_of
from .text import normalize, stem_word, telling_name, telling_stems, words
from .tiers import Tier, within


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
    # Who the trial enrols apart from what it studies (``population_of``):
    # shared, it lifts a trial that also shares the main aspect; alone it is
    # not enough (``Tier``).
    "population": Signal("p", 0.10, "Same population: {}"),
}
POPULATION_ONLY_REASON = "Same population only: {}"
# A population condition's feature counts for a third of a studied one's (1 + log 0.5).
POPULATION_COUNT = 0.5
# Below this score a trial is not shown: fewer related trials beat unrelated
# ones. Measured: 0.2 keeps precision@5 at 0.92 with every judged query
# showing some; 0.25 gains little (0.92) and leaves a record without
# conditions of its own (the seed) with none; 0.3 reaches 0.94, but 10 of
# the 45 queries show nothing.
MIN_SCORE = 0.2
SHOWN = 10  # "More related trials" on the Related tab
# A trial whose main condition others share lists at least this many of them, whatever
# their score: a migraine trial with a hundred migraine trials on file lists five.
COVERAGE = 5
# How many trials of a common main condition are scored to fill a short list (at 600,000 trials
# a condition may have thousands): the first on file, which all share it. Measured: 500 cost
# 1.6 ms a filled list, 2,000 cost 5 ms; at 600,000 trials with a quarter of lists short, 4 and
# 14 minutes more rebuild.
FILL_CANDIDATES = 500
# Sharing the main condition lists a trial below ``MIN_SCORE``, but not one that shares next to
# nothing else (a "Drug Interaction" label between a leukaemia study and a diabetes one).
# Measured: 0.05 keeps topic precision@5 at 0.92 and leaves 4 of 1,162 trials short; 0 leaves
# none short at 0.90; 0.1 leaves 11 at 0.93.
FILL_MIN_SCORE = 0.05
# A registry or cohort naming more conditions than this (55, 64, 343 among the shared records) has no main
# one, and fills no other trial's list: it studies none of them.
CATCH_ALL_CONDITIONS = 40
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
_FEATURE_WEIGHTS = {"c": 1.0, "m": 1.0, "a": 0.4, "i": 1.0, "j": 1.0, "k": 0.4, "t": 1.0, "e": 1.0, "d": 1.0, "p": 1.0}
# Feature prefix → its signal's block.
_BLOCK = {"c": "c", "m": "c", "a": "c", "i": "i", "j": "i", "k": "i", "t": "t", "e": "e", "d": "d", "p": "p"}
_BLOCK_WEIGHT = {signal.prefix: signal.weight for signal in SIGNALS.values()}
_KEYED = ("c", "m", "i", "j", "t", "p")

_NOT_INTERVENTIONS = frozenset({"placebo", "sham", "placebo comparator", "sham comparator", "control"})
# An arm's label, not what it is given: "Intervention group", "Control arm", "Usual care", "Group A".
_ARM_WORDS = frozenset(
    re.findall(
        r"\w+",
        "intervention interventions group groups arm arms control controls experimental treatment treatments "
        "usual standard care of the comparator active placebo sham study a b c d 1 2 3 4 i ii iii iv",
    )
)


def _arm_label(name: str) -> bool:
    """Whether a normalized intervention name only labels an arm; one word alone only if it says nothing else."""
    named = name.split()
    return set(named) <= _ARM_WORDS and (len(named) > 1 or name in ("intervention", "experimental", "treatment"))


_PHASE_ORDER = {"EARLY_PHASE1": 0, "PHASE1": 1, "PHASE2": 2, "PHASE3": 3, "PHASE4": 4}
_PHASE_BY_ORDER = {order: code for code, order in _PHASE_ORDER.items()}


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


def extract(
    trial: dict,
    conditions: list[str],
    mesh: list[tuple],
    interventions: list[tuple],
    primary_outcomes: Iterable[str] = (),
    populations: bool = True,
    title_conditions: Iterable[tuple[str, str]] = (),
    treats: Iterable[str] = (),
    entry_terms: dict[str, str] | None = None,
) -> Features:
    """Features of one trial from its stored values.

    ``mesh`` holds (domain, is_ancestor, mesh_id, term); ``interventions``
    (name, other_names); ``primary_outcomes`` the primary outcome measures.
    A condition the trial enrols people with but does not study (see
    ``population_of``) counts for a third, and is also a population
    feature, ``p:`` before its key;
    ``populations=False`` leaves every condition what the trial studies and
    no population (the scoring before population aspects, for comparison).
    ``title_conditions`` holds (key, label) of conditions the titles name
    and the list leaves out (``titles.title_conditions``): counted as listed.
    ``treats``: which of the conditions a title joins after its people the
    trial's intervention treats on file (``store._treated``).
    ``entry_terms`` maps a condition MeSH key to the words of the listed
    names that MeSH gives as its entry terms ("Chronic Kidney Disease" for
    "Renal Insufficiency, Chronic"): the term is read as them too.
    """
    counts: Counter = Counter()
    labels: dict[str, str] = {}

    def add(key: str, label: str, count: float = 1.0) -> None:
        counts[key] += count
        labels.setdefault(key, label)

    # A term the registry assigns beside its own subtype ("Diabetes Mellitus" beside "Diabetes
    # Mellitus, Type 1") is, for this trial, the subtype's ancestor: what it studies is the subtype.
    terms = {
        term for domain, is_ancestor, _, term in mesh if domain == choices.MeshDomain.CONDITION and not is_ancestor
    }
    if populations:
        mesh = [
            (domain, is_ancestor or any(other.startswith(f"{term}, ") for other in terms), mesh_id, term)
            for domain, is_ancestor, mesh_id, term in mesh
        ]
    condition_mesh = [
        (mesh_key(mesh_id), term)
        for domain, is_ancestor, mesh_id, term in mesh
        if domain == choices.MeshDomain.CONDITION and not is_ancestor
    ]
    titles = [trial["brief_title"], trial["official_title"]]
    title_conditions = list(title_conditions)
    entry_terms = entry_terms or {}
    named = [(f"c:{normalize(name)}", name) for name in conditions]
    named += [(f"m:{k}", f"{term} {entry_terms.get(k, '')}") for k, term in condition_mesh]
    named += title_conditions
    population = population_of(titles, named, primary_outcomes, set(treats)) if populations else set()

    def add_condition(key: str, label: str) -> None:
        if key in population:
            # Still met by trials that study it, but weakly; ``p:`` marks it as the population.
            add(key, label, POPULATION_COUNT)
            add(f"p:{key}", label)
        else:
            add(key, label)

    for name in conditions:
        add_condition(f"c:{normalize(name)}", name)
    for key, label in title_conditions:
        add_condition(key, label)
    for domain, is_ancestor, mesh_id, term in mesh:
        if domain == choices.MeshDomain.CONDITION:
            add_condition(f"{'a' if is_ancestor else 'm'}:{mesh_key(mesh_id)}", term)
        else:
            add(f"{'k' if is_ancestor else 'j'}:{mesh_key(mesh_id)}", term)
    mesh_ids = {mesh_key(mesh_id) for domain, _, mesh_id, _ in mesh if domain == choices.MeshDomain.CONDITION}
    if populations:
        # Not the official title: it may name a programme of which the trial is one part ("Diabetes,
        # Impaired Glucose Tolerance and Gestational Diabetes Intervention ... - Impaired Glucose Tolerance Study").
        text = " ".join([trial["brief_title"], *conditions, *(trial["keywords"] or ())])
        for group in groups_of(text, mesh_ids):
            add(f"p:{group}", group)
    for name, other_names in interventions:
        for each in (name, *(other_names or ())):
            key = normalize(each)
            # A placebo, a sham or an arm's label says nothing about what a trial tests.
            if key and stem_word(key) not in _NOT_INTERVENTIONS and not _arm_label(key):
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
            # A band's label is never shown: which phases two trials share depends on both (``phase_reason``).
            order = _PHASE_ORDER[phase]
            add(f"d:phase:{order}", f"Phase band {order}")
            add(f"d:phase:{order + 1}", f"Phase band {order + 1}")
    return Features(trial["id"], counts, labels)


def main_condition(
    keys: Iterable[str], labels: dict[str, str], broad: Iterable[str] = ()
) -> tuple[str | None, str | None]:
    """The keys of the first condition name and the first condition MeSH term a trial studies.

    The registry lists the main condition first; its MeSH term meets the
    trials that name it otherwise ("Migraine Headaches", "Migraine").
    ``keys`` in the order ``extract`` added them, the conditions first. A
    catch-all registry has none (``CATCH_ALL_CONDITIONS``). A name that
    says nothing alone ("Disease", "Cancer") is passed over, and so is a
    MeSH term sharing no telling word with the name, unless the title or
    summary names it: the registry codes a relapsing multiple sclerosis
    trial "Neoplasm Metastasis" too. Nor is a ``broad`` class of another.
    """
    keys = list(keys)
    if sum(1 for key in keys if key.startswith("c:")) > CATCH_ALL_CONDITIONS:
        return None, None
    population = {key[2:] for key in keys if key.startswith("p:")} | set(broad)
    studied = [key for key in keys if key[:2] in ("c:", "m:") and key not in population and telling_name(labels[key])]
    name = next((key for key in studied if key.startswith("c:")), None)
    terms = [key for key in studied if key.startswith("m:")]
    if name:
        # The term the name is coded as, or else one the title or summary names ("Sars-CoV2": COVID-19).
        named = telling_stems(labels[name])
        text = {key[2:] for key in keys if key.startswith("t:")}
        terms = [key for key in terms if telling_stems(labels[key]) & named] or [
            key for key in terms if telling_stems(labels[key]) <= text
        ]
    return name, next(iter(terms), None)


def population_condition(keys: Iterable[str], labels: dict[str, str]) -> tuple[str | None, str | None]:
    """The keys of the first condition name and MeSH term a trial lists for its population.

    What fills its list, marked "Same population only", when no other trial
    on file has its main condition (``main_condition``): a registry of
    lipoprotein(a) in people with hypercholesterolemia and diabetes lists
    hypercholesterolemia trials rather than none. The term is the one coding
    the name, else the first.
    """
    keys = list(keys)
    if sum(1 for key in keys if key.startswith("c:")) > CATCH_ALL_CONDITIONS:
        return None, None
    held = [key[2:] for key in keys if key[:4] in ("p:c:", "p:m:") and telling_name(labels[key[2:]])]
    name = next((key for key in held if key.startswith("c:")), None)
    terms = [key for key in held if key.startswith("m:")]
    if name:
        terms = [key for key in terms if telling_stems(labels[key]) & telling_stems(labels[name])] or terms
    return name, next(iter(terms), None)


class Vectorizer:
    """Turns features into weighted, block-normalized vectors over term ids."""

    def __init__(self, document_counts: dict[int, int], total: int, weights: dict[str, float] | None = None):
        self.document_counts = document_counts
        self.total = max(total, 1)
        self.weights = weights or _BLOCK_WEIGHT
        self._idf: dict[int, float] = {}  # worked out once a term: a rebuild weighs every feature of every trial

    def idf(self, term_id: int) -> float:
        if (idf := self._idf.get(term_id)) is None:
            idf = self._idf[term_id] = math.log((self.total + 1) / (self.document_counts.get(term_id, 0) + 1)) + 1.0
        return idf

    def vector(
        self, term_ids: list[int], counts: list[float], prefixes: dict[int, str] | list[str]
    ) -> tuple[np.ndarray, np.ndarray]:
        """The weighted vector of a trial's features (by term id, with their raw counts)."""
        blocks: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for term_id, count in zip(term_ids, counts, strict=True):
            prefix = prefixes[term_id]
            weight = _FEATURE_WEIGHTS[prefix] * (1.0 + math.log(count))
            if prefix != "d":
                weight *= self._idf.get(term_id) or self.idf(term_id)
            if self.weights.get(_BLOCK[prefix]):
                blocks[_BLOCK[prefix]].append((term_id, weight))
        ids, weights = [], []
        # Signals a trial lacks (no conditions on file) hand their weight to the others. The
        # population comes on top: it lifts the trials that share it, and takes from none.
        present = sum(self.weights[block] for block in blocks if block != "p") or 1.0
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
        self,
        ids: np.ndarray,
        weights: np.ndarray,
        prefixes: dict[int, str],
        limit: int,
        population: set[int] = frozenset(),
    ) -> list[tuple[int, float]]:
        """The trial's most telling features: rare enough to find a few hundred trials, not thousands.

        Never the plain features of its population (``population``, term ids): the trials that
        study the population's condition would crowd out those that study the trial's own.
        """
        telling = [
            (int(term_id), float(weight))
            for term_id, weight in zip(ids, weights, strict=True)
            if prefixes[int(term_id)] in _KEYED
            and self.document_counts.get(int(term_id), 0) <= limit
            and int(term_id) not in population
        ]
        return sorted(telling, key=lambda item: -item[1])[:KEYS_PER_TRIAL]

    def key_limit(self) -> int:
        return max(KEY_MIN_DOCUMENTS, int(self.total * KEY_MAX_SHARE))


def own_of(a: tuple[np.ndarray, np.ndarray], keys: dict[int, str]) -> tuple[frozenset[str], frozenset[int]]:
    """What ``explain`` reads of the list's own trial: its population's conditions (plain keys), its phase bands."""
    found = [keys.get(term_id, "") for term_id in a[0].tolist()]
    population = frozenset(key[2:] for key in found if key.startswith("p:"))
    return population, frozenset(int(key[8:]) for key in found if key.startswith("d:phase:"))


def explain(
    a: tuple[np.ndarray, np.ndarray],
    b: tuple[np.ndarray, np.ndarray],
    keys: dict[int, str],
    labels: dict[int, str],
    tier: int = Tier.MAIN,
    population: Iterable[int] = (),
    mine: tuple[frozenset[str], frozenset[int]] | None = None,
) -> tuple[float, list[str]]:
    """The score of two vectors and, in plain words, the signals that made it.

    ``tier`` and ``population`` (term ids of the population shared) come
    from ``match_tier``: a match on the population alone says so first.
    ``mine`` is ``own_of(a, keys)``, when the caller explains many matches of ``a``.
    """
    # A population's condition counts a little to the score, but is named as the population, not the condition.
    population_keys, own_bands = mine or own_of(a, keys)
    index_a = np.flatnonzero(within(a[0], b[0]))
    shared = a[0][index_a]
    products = a[1][index_a] * b[1][np.searchsorted(b[0], shared)]
    contributions: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for term_id, product in zip(shared.tolist(), products.tolist(), strict=True):
        contributions[_BLOCK[keys[term_id][0]]].append((product, term_id))
    reasons = []
    # Named by their MeSH terms when they have some: a condition's name and its term say the same thing twice.
    population = [term_id for term_id in population if term_id in labels and term_id in keys]
    coded = [t for t in population if keys[t].startswith(("m:", "p:m:", "a:", "p:a:"))]
    population_named = _distinct_labels(labels[term_id] for term_id in (coded or population))
    if tier == Tier.POPULATION_ONLY and population_named:
        reasons.append(POPULATION_ONLY_REASON.format(", ".join(population_named[:2])))

    def shared_named(signal: Signal, items: list[tuple[float, int]]) -> str:
        named = _distinct_labels(
            labels[term_id]
            for _, term_id in items
            if keys[term_id][0] in "cmij" and keys[term_id] not in population_keys
        )
        if named:
            return signal.reason.format(", ".join(named[:3]))
        ancestors = _distinct_labels(labels[term_id] for _, term_id in items)
        return f"Related {'condition' if signal.prefix == 'c' else 'intervention'}: {', '.join(ancestors[:2])}"

    for signal in SIGNALS.values():
        if signal.prefix == "p" or (signal.prefix == "c" and tier == Tier.POPULATION_ONLY):
            continue
        items = sorted(contributions.get(signal.prefix, []), reverse=True)
        # A signal explains the match when it carries a fair share of its weight.
        if not items or sum(product for product, _ in items) < 0.1 * signal.weight:
            continue
        if signal.prefix in ("c", "i"):
            reasons.append(shared_named(signal, items))
        elif signal.prefix == "t":
            reasons.append(signal.reason.format(", ".join(_distinct_labels(labels[t] for _, t in items)[:3])))
        elif signal.prefix == "d":
            bands = {int(keys[t][8:]) for _, t in items if keys[t].startswith("d:phase:")}
            reason = phase_reason(bands, set(own_bands))
            if reason:
                reasons.append(reason)
        else:
            reasons.append(signal.reason)
    if not reasons and tier != Tier.POPULATION_ONLY and contributions.get("c"):
        # A trial filling a short list from its main condition scores low, but shares that condition: say so.
        reasons.append(shared_named(SIGNALS["condition"], sorted(contributions["c"], reverse=True)))
    if tier == Tier.BOTH and population_named:
        # After what the trials share of their main aspect: "Same condition: X · Same population: Y".
        studied = sum(1 for reason in reasons[:2] if not reason.startswith(("Similar", "Same phase", "Neighbouring")))
        reasons.insert(studied, SIGNALS["population"].reason.format(", ".join(population_named[:2])))
    return float(products.sum()), reasons


def _phase_label(order: int) -> str:
    return choices.Phase(_PHASE_BY_ORDER[order]).label


def phase_reason(bands: set[int], own: set[int] | None = None) -> str:
    """Two trials' shared phase bands in words: both bands of a phase, or the one neighbours share.

    Phase N lies in bands N and N+1, so a trial of Phase 2 and one of Phase 3
    share band 3 alone: neighbours, not the same phase. ``own`` (the bands of
    the trial whose list it is) tells which of the two phases is the other
    trial's: "Neighbouring phase: Phase 2, next to this trial's Phase 3", never
    "Phase 2 / Phase 3", which reads as the registry's label of one trial of both.
    """
    same = sorted(band for band in bands if band + 1 in bands and band in _PHASE_BY_ORDER)
    if same:
        return f"Same phase: {_phase_label(same[0])}"
    neighbours = sorted(band for band in bands if band - 1 in _PHASE_BY_ORDER and band in _PHASE_BY_ORDER)
    if not neighbours:
        return ""
    band = neighbours[0]
    # This trial has the band below the shared one: its phase is the lower, the other's the higher.
    this, other = (band - 1, band) if own is None or band - 1 in own else (band, band - 1)
    return f"Neighbouring phase: {_phase_label(other)}, next to this trial's {_phase_label(this)}"


def _distinct_labels(labels: Iterable[str]) -> list[str]:
    # By their words in any order: a name ("Type 2 Diabetes Mellitus") and its MeSH term ("Diabetes Mellitus, Type 2").
    seen: dict[frozenset[str], str] = {}
    for label in labels:
        seen.setdefault(frozenset(normalize(label).split()), label)
    return list(seen.values())


def aligned(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    _, index_a, index_b = np.intersect1d(a[0], b[0], assume_unique=True, return_indices=True)
    return a[1][index_a], b[1][index_b]
