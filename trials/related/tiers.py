"""Where a related trial ranks before its score: the aspects of a trial it shares.

A trial about *X in people with Y* has a main aspect (X: the conditions it
studies, or its intervention) and a population (Y). A candidate sharing both
ranks first, the main aspect next, neither after, the population alone last.
Pure functions over feature keys and term ids; ``scoring`` finds the keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np


class Tier:
    """Where a match ranks, before its score: what it shares with the trial."""

    BOTH = 0  # the main aspect (a condition studied) and the population
    MAIN = 1  # the main aspect; every match of a trial without a population
    OTHER = 2  # neither: words, an intervention, a related condition
    POPULATION_ONLY = 3  # only the population: listed when nothing better fills the list


@dataclass(frozen=True)
class Aspects:
    """A trial's main aspect and its population, as the keys a candidate may share."""

    main: frozenset[str]
    population: frozenset[str]


def aspects(keys: Iterable[str], broad: Iterable[str] = (), coded: Mapping[str, str] | None = None) -> Aspects:
    """What a trial is about and whom it enrols, from its feature keys.

    Only a trial with a population has aspects to rank by. A candidate
    shares the main aspect when it has a studied condition (by name or MeSH
    term, or that term as an ancestor of its own), or the intervention of a
    trial that studies no condition on file; it shares the population when
    it has a population condition in any role, or falls in the same group.
    ``broad`` names the studied conditions that another studied one
    narrows ("Leukemia" beside "Acute Lymphoblastic Leukemia",
    ``titles.broad_classes``): sharing only the broad class is not sharing
    the point of the trial. ``coded`` maps a MeSH ancestor key to the
    condition name it codes (``titles.coded_ancestors``): the registry's term
    for a studied name, kept as an ancestor beside its subtypes, is met as
    that name ("Diabetes Mellitus" listed beside its types meets "Diabetes,
    Gestational").
    """
    keys = set(keys)
    population = {key for key in keys if key.startswith("p:")}
    if not population:
        return Aspects(frozenset(), frozenset())
    main = {key for key in keys if key[:2] in ("c:", "m:")} - {key[2:] for key in population}
    main -= set(broad)
    main |= {key for key, name in (coded or {}).items() if name in main}
    if not main:
        main = {key for key in keys if key[:2] in ("i:", "j:")}
    # A candidate coded with a narrower term than a studied one has it as an ancestor.
    main |= {f"a:{key[2:]}" for key in main if key.startswith("m:")}
    plain = {key[2:] for key in population if key[2:4] in ("c:", "m:", "a:")}
    plain |= {f"a:{key[2:]}" for key in plain if key.startswith("m:")}
    return Aspects(frozenset(main), frozenset(population | plain))


def aspect_ids(found: Aspects, id_of) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``found``'s main and population keys as sorted term ids (``id_of`` maps a key to its id, or None).

    And, as a 2 × N array, each main condition's id beside the id of its population form
    (``p:`` before its key): a candidate that has a condition only as its population (a
    comorbidity it lists, a drug's indication in healthy volunteers) does not study it.
    """

    def ids(keys: frozenset[str]) -> np.ndarray:
        return np.unique(np.asarray([i for i in map(id_of, keys) if i is not None], dtype=np.int32))

    pairs = [
        (main, people)
        for key in sorted(found.main)
        if key[:2] in ("c:", "m:") and (main := id_of(key)) is not None and (people := id_of(f"p:{key}")) is not None
    ]
    return ids(found.main), ids(found.population), np.asarray(pairs, dtype=np.int32).reshape(-1, 2).T


def match_tier(ids: tuple[np.ndarray, ...] | None, other: np.ndarray) -> tuple[int, np.ndarray]:
    """The tier of a candidate (its sorted term ids) for a trial of these aspect ids, and the population it shares."""
    if ids is None or not ids[1].size:
        return Tier.MAIN, _NONE
    population = ids[1][within(ids[1], other)]
    main = ids[0][within(ids[0], other)]
    if main.size and len(ids) > 2 and ids[2].size:
        # Shared only as the candidate's population: not what it studies.
        main = main[~np.isin(main, ids[2][0][within(ids[2][1], other)])]
    if main.size:
        return (Tier.BOTH if population.size else Tier.MAIN), population
    return (Tier.POPULATION_ONLY if population.size else Tier.OTHER), population


_NONE = np.zeros(0, dtype=np.int32)


def within(ids: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Which of ``ids`` are in ``other`` (sorted, unique): ``np.isin`` without its sort, for the many small look-ups."""
    if not other.size:
        return np.zeros(ids.shape, dtype=bool)
    at = np.searchsorted(other, ids)
    at[at == other.size] = 0
    return other[at] == ids
