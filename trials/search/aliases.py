"""Brand and generic names: what the registry's own records say an intervention is also called.

A record lists an intervention's ``name`` ("tadalafil") and its
``otherNames`` ("Cialis", "IC351"). Across the records on file these pairs
say which names are one intervention, so a search for a brand also finds the
trials that name only the generic, and the other way round. ``rows`` turns a
record's interventions into ``InterventionAlias`` rows (the writer saves them
with the trial's other rows, so the map is always what the records on file
say); ``lookup`` reads the names across from a text's phrases in one query.
One step only: "Cialis" adds "tadalafil", not every other name of tadalafil's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Min, Q

from ..models import Intervention, InterventionAlias
from .vocabulary import MAX_PHRASE_WORDS, MIN_KEY_LENGTH, key

# Other names that say there is none ("No other names", "N/A"), keyed.
NOT_NAMES = frozenset({"none", "no other name", "not applicable", "n a", "na", "nil", "other", "unknown", "tbd"})
# Most names a phrase adds: the ones the most trials give, so a scan with a dozen aliases (MRI) stays small.
MAX_NAMES = 5


@dataclass(frozen=True)
class Alias:
    """A name the records give the same intervention as a phrase of the search."""

    name: str
    # True when ``name`` is the intervention's own name and the phrase one of its other names
    # (the generic of a brand); False when ``name`` is another name of it (a brand, a code).
    generic: bool
    # How many trials on file pair the two names.
    trials: int

    @property
    def phrase(self) -> str:
        """The name as one phrase of a search text, without the double quotes that would end it."""
        return " ".join(self.name.replace('"', " ").split())

    @property
    def quoted(self) -> str:
        return f'"{self.phrase}"'


def rows(interventions: Iterable[tuple[str, list[str]]]) -> list[dict]:
    """The ``InterventionAlias`` rows of a record's (name, other names), without the trial.

    Pairs that cannot be a search phrase (longer than ``MAX_PHRASE_WORDS``
    words, or a key shorter than ``MIN_KEY_LENGTH``), that say there is no
    other name, or that only respell the name are left out.
    """
    found: dict[tuple[str, str], dict] = {}
    for name, other_names in interventions:
        name = name.strip()
        name_key = key(name)
        if not _usable(name, name_key):
            continue
        for alias in other_names or ():
            alias = alias.strip()
            alias_key = key(alias)
            if _usable(alias, alias_key) and alias_key != name_key:
                found.setdefault(
                    (name_key, alias_key), {"name": name, "name_key": name_key, "alias": alias, "alias_key": alias_key}
                )
    return list(found.values())


def _usable(text: str, text_key: str) -> bool:
    return (
        len(text_key) >= MIN_KEY_LENGTH
        and text_key not in NOT_NAMES
        and len(text_key.split()) <= MAX_PHRASE_WORDS
        and len(text) <= InterventionAlias._meta.get_field("alias").max_length
    )


def refresh(trial_ids: list[int]) -> None:
    """Rebuild these trials' rows from their stored interventions (after a staff edit)."""
    InterventionAlias.objects.filter(trial_id__in=trial_ids).delete()
    by_trial: dict[int, list[tuple[str, list[str]]]] = {}
    for trial_id, name, other_names in Intervention.objects.filter(trial_id__in=trial_ids).values_list(
        "trial_id", "name", "other_names"
    ):
        by_trial.setdefault(trial_id, []).append((name, other_names))
    InterventionAlias.objects.bulk_create(
        [InterventionAlias(trial_id=trial_id, **row) for trial_id, pairs in by_trial.items() for row in rows(pairs)]
    )


def phrase_keys(runs: Iterable[list[str]]) -> set[str]:
    """The keys of every phrase of consecutive terms (at most ``MAX_PHRASE_WORDS``) of each run."""
    keys = set()
    for terms in runs:
        for start in range(len(terms)):
            for end in range(start + 1, min(len(terms), start + MAX_PHRASE_WORDS) + 1):
                phrase_key = key(" ".join(terms[start:end]))
                if len(phrase_key) >= MIN_KEY_LENGTH:
                    keys.add(phrase_key)
    return keys


def lookup(keys: set[str]) -> dict[str, list[Alias]]:
    """Key → the names the records pair with it, most trials first (one query)."""
    if not keys:
        return {}
    pairs = (
        InterventionAlias.objects.filter(Q(name_key__in=keys) | Q(alias_key__in=keys))
        .values("name_key", "alias_key")
        .annotate(name=Min("name"), alias=Min("alias"), trials=Count("trial", distinct=True))
        .order_by()
    )
    found: dict[str, dict[str, Alias]] = {}
    for pair in pairs:
        for side, other, other_key, generic in (
            ("name_key", "alias", "alias_key", False),
            ("alias_key", "name", "name_key", True),
        ):
            if pair[side] not in keys:
                continue
            names = found.setdefault(pair[side], {})
            seen = names.get(pair[other_key])
            trials = pair["trials"] + (seen.trials if seen else 0)
            names[pair[other_key]] = Alias(pair[other], seen.generic if seen else generic, trials)
    return {
        phrase_key: sorted(names.values(), key=lambda alias: (-alias.trials, alias.name.casefold()))[:MAX_NAMES]
        for phrase_key, names in found.items()
    }


def spans(terms: list[str], table: dict[str, list[Alias]]) -> list[tuple[int, int, list[Alias]]]:
    """(start, end, names) for the longest phrases of consecutive ``terms`` that ``table`` knows, left to right."""
    found = []
    start = 0
    while start < len(terms):
        for end in range(min(len(terms), start + MAX_PHRASE_WORDS), start, -1):
            names = table.get(key(" ".join(terms[start:end])))
            if names:
                found.append((start, end, names))
                start = end
                break
        else:
            start += 1
    return found
