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
from .vocabulary import MAX_PHRASE_WORDS, MIN_KEY_LENGTH, key, lookup_table

# Other names that say there is none ("No other names", "N/A"), keyed.
NOT_NAMES = frozenset({"none", "no other name", "not applicable", "n a", "na", "nil", "other", "unknown", "tbd"})
# Most names a phrase adds: the ones the most trials give, so a scan with a dozen aliases (MRI) stays small.
MAX_NAMES = 5
# An other name at most this long (letters and digits) that names another descriptor is an abbreviation
# colliding with a word of the vocabulary ("Flu" of fludarabine): the word wins.
SHORT_NAME = 4
# How many records must give a pair the vocabulary disputes (two names of different descriptors), or one
# that calls a name other records give as an intervention's own name the other name of something else.
DISPUTED_TRIALS = 2


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
    other name, or that only respell the name are left out. So are the
    other names a record with several interventions does not attribute
    unambiguously: one that is the name of another of its interventions
    (a combination's partner listed under the wrong drug), or one it lists
    under two differently named interventions.
    """
    interventions = [(name.strip(), other_names or ()) for name, other_names in interventions]
    names = {key(name) for name, _ in interventions}
    listed_under: dict[str, set[str]] = {}
    for name, other_names in interventions:
        for alias in other_names:
            listed_under.setdefault(key(alias), set()).add(key(name))
    found: dict[tuple[str, str], dict] = {}
    for name, other_names in interventions:
        name_key = key(name)
        if not _usable(name, name_key):
            continue
        for alias in other_names:
            alias = alias.strip()
            alias_key = key(alias)
            if alias_key == name_key or not _usable(alias, alias_key):
                continue
            if alias_key in names or len(listed_under[alias_key]) > 1:
                continue
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


def agreed(name_key: str, alias_key: str, trials: int) -> bool:
    """Whether the vocabulary lets the records' pair stand: neither name means something else.

    A name that names a descriptor the other does not name is disputed: a
    short one (an abbreviation, "Flu") always loses to the vocabulary's
    word; a longer one ("Vitamin D" for cholecalciferol) stands when
    ``DISPUTED_TRIALS`` records give the pair, or when the other name
    names no descriptor (a generic MeSH lists, a brand it does not).
    """
    table = lookup_table()
    name_meaning, alias_meaning = table.get(name_key), table.get(alias_key)
    name_ui = name_meaning.ui if name_meaning else None
    alias_ui = alias_meaning.ui if alias_meaning else None
    for word, meaning, other in ((alias_key, alias_ui, name_ui), (name_key, name_ui, alias_ui)):
        if meaning is None or meaning == other:
            continue
        if len(word.replace(" ", "")) <= SHORT_NAME:
            return False
        if other is not None and trials < DISPUTED_TRIALS:
            return False
    return True


def lookup(keys: set[str]) -> dict[str, list[Alias]]:
    """Key → the names the records pair with it, most trials first (one query).

    Pairs the vocabulary disputes are left out (``agreed``), and so is a
    generic that fewer than ``DISPUTED_TRIALS`` records give a phrase which
    more records give as an intervention's own name ("Pembrolizumab" listed
    once as another name of adagrasib).
    """
    if not keys:
        return {}
    pairs = [
        pair
        for pair in InterventionAlias.objects.filter(Q(name_key__in=keys) | Q(alias_key__in=keys))
        .values("name_key", "alias_key")
        .annotate(name=Min("name"), alias=Min("alias"), trials=Count("trial", distinct=True))
        .order_by()
        if agreed(pair["name_key"], pair["alias_key"], pair["trials"])
    ]
    own_name = _own_name_trials(pairs, keys)
    found: dict[str, dict[str, Alias]] = {}
    for pair in pairs:
        for side, other, other_key, generic in (
            ("name_key", "alias", "alias_key", False),
            ("alias_key", "name", "name_key", True),
        ):
            if pair[side] not in keys:
                continue
            if generic and pair["trials"] < DISPUTED_TRIALS <= own_name.get(pair[side], 0):
                continue
            names = found.setdefault(pair[side], {})
            seen = names.get(pair[other_key])
            trials = pair["trials"] + (seen.trials if seen else 0)
            names[pair[other_key]] = Alias(pair[other], seen.generic if seen else generic, trials)
    return {
        phrase_key: sorted(names.values(), key=lambda alias: (-alias.trials, alias.name.casefold()))[:MAX_NAMES]
        for phrase_key, names in found.items()
        if names
    }


def _own_name_trials(pairs: list[dict], keys: set[str]) -> dict[str, int]:
    """How many records give each phrase as an intervention's own name, for the phrases a lone record disputes.

    A second query, and only when some phrase is both an own name and a lone record's other name.
    """
    disputed = {
        pair["alias_key"] for pair in pairs if pair["alias_key"] in keys and pair["trials"] < DISPUTED_TRIALS
    } & {pair["name_key"] for pair in pairs}
    if not disputed:
        return {}
    return dict(
        InterventionAlias.objects.filter(name_key__in=disputed)
        .values("name_key")
        .annotate(trials=Count("trial", distinct=True))
        .order_by()
        .values_list("name_key", "trials")
    )


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
