"""Which matches a trial's list keeps: by tier, then score, filled up to ``COVERAGE``, with its open trials.

``scoring`` finds how alike two trials are and why; this decides, from
those matches, what the trial's stored list holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .scoring import COVERAGE, FILL_CANDIDATES, FILL_MIN_SCORE, MIN_SCORE, OPEN_SHOWN, SHOWN
from .tiers import Tier


@dataclass
class Match:
    other_id: int
    score: float
    reasons: list[str]
    tier: int = Tier.MAIN


def ranked(matches: Iterable[Match]) -> list[Match]:
    """Matches by tier, then score: a trial sharing only the population only when none shares the main aspect.

    Sharing the population alone is not enough to be listed unless nothing
    better exists (and then the reason says so): an erectile-dysfunction
    trial in men with diabetes lists no diabetes-only trial while a single
    erectile-dysfunction one is on file.
    """
    found = sorted(matches, key=lambda m: (m.tier, -m.score, m.other_id))
    if any(match.tier in (Tier.BOTH, Tier.MAIN) for match in found):
        found = [match for match in found if match.tier != Tier.POPULATION_ONLY]
    return found


def choose(matches: list[Match], open_ids: set[int], fillers: Iterable[Match] = ()) -> list[Match]:
    """What a trial stores: its best ``SHOWN`` matches, and its best open ones besides.

    ``fillers`` share the trial's main condition (or its population, when no
    other trial has that: ``full.Space.fillers``): below ``MIN_SCORE`` they
    are still listed, best first, while fewer than ``COVERAGE`` trials share
    what the trial is about (``shortfall``).
    """
    best = ranked(match for match in matches if match.score >= MIN_SCORE)
    short = shortfall(best)
    if short and fillers:
        taken = {match.other_id for match in best}
        extra = sorted(
            (m for m in fillers if m.other_id not in taken and m.score >= FILL_MIN_SCORE),
            key=lambda m: (-m.score, m.other_id),
        )
        best = ranked(best + extra[:short])
    kept = best[:SHOWN]
    open_kept = [match for match in best if match.other_id in open_ids][:OPEN_SHOWN]
    return kept + [match for match in open_kept if match not in kept]


def shortfall(chosen: Iterable[Match]) -> int:
    """How many more trials a list needs to reach ``COVERAGE`` (trials sharing only the population do not count)."""
    return max(0, COVERAGE - sum(1 for match in chosen if match.tier != Tier.POPULATION_ONLY))


# The trials having one condition feature (sorted, unique ids), and whether each studies it rather than lists it
# for its population only (a comorbidity).
Posting = tuple[np.ndarray, np.ndarray]


def sharing(postings: Iterable[Posting], listed: bool = False, first: int | None = None) -> np.ndarray:
    """The trials that study a trial's main condition: by its name, then by its MeSH term while few share the name.

    ``postings`` are the name's and the term's (``main_condition``). A MeSH
    term is often broader than the name ("Infections" for a urinary tract
    infection): the name, when others use it, keeps the list closer to the
    trial. ``listed`` takes the trials that list it only for their
    population too; ``first`` only the first of them on file.
    """
    found = np.zeros(0, dtype=np.int64)
    for ids, studied in postings:
        ids = (ids if listed else ids[studied])[:first]
        # A posting is sorted already: only a second one is merged in (thousands of trials, for a common condition).
        found = np.union1d(found, ids) if found.size else ids
        if len(found) >= COVERAGE:
            break
    return found


def filling(postings: Iterable[Posting]) -> np.ndarray:
    """The trials a short list is filled from, the first ``FILL_CANDIDATES`` on file: those studying its main
    condition, or those listing it as well when fewer than ``COVERAGE`` study it.

    The rebuild and the refresh both fill by this, so a refreshed list is the rebuilt one.
    """
    postings = list(postings)
    found = sharing(postings, first=FILL_CANDIDATES)
    if len(found) < COVERAGE:
        found = sharing(postings, listed=True, first=FILL_CANDIDATES)
    return found[:FILL_CANDIDATES]
