"""Whom a trial enrols apart from what it studies, read from its titles and outcomes.

A trial about *X in people with Y* studies X; Y (a condition its people
have, a group such as pregnancy or children) is its population. Pure
functions over plain values; ``scoring.extract`` turns what they find into
population features.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from .text import stems_of, telling_stems

# Where a title turns from what a trial studies to whom it enrols: "... erectile
# function in men with diabetes", "insulin for diabetes in pregnancy", "...
# in diabetic patients". The words between the preposition and the people
# may not be prepositions themselves, so "improvement of erectile function in
# men" splits at "in men", not at "of".
_PEOPLE = (
    r"patients?|people|persons?|subjects?|individuals?|participants?|adults?|men|women|males?|females?|"
    r"children|child|adolescents?|infants?|neonates?|newborns?|youths?|veterans?|survivors?|recipients?|"
    r"mothers?|girls?|boys?|elderly|diabetics?|smokers?|users?|carriers?|population|cohort"
)
_FILLER = r"(?:(?!(?:in|with|for|of|among|and|or|to|on)\b)[\w'/-]+\s+){0,4}?"
POPULATION_MARKER = re.compile(
    rf"\b(?:in|among|amongst)\s+{_FILLER}(?:{_PEOPLE})\b"
    rf"|\b(?:for|of)\s+{_FILLER}(?:{_PEOPLE})\s+(?:with|who|living|having|undergoing|after|receiving|diagnosed|on)\b"
    r"|\b(?:in|during|with|complicating)\s+pregnan\w*|\bin\s+pregnant\b",
    re.IGNORECASE,
)
# Within the population, where a second condition comes in: "... with erectile
# dysfunction after rectal cancer surgery", "... with asthma on inhaled corticosteroids".
# Not "secondary to" or "due to": a cause is part of what is studied.
_SECOND_TURN = re.compile(r"\b(?:after|following|undergoing|treated|receiving|on|who|with|and|during)\b", re.IGNORECASE)
# How a population goes on after its people: "patients | with ...", "men | who have ...".
_LEAD = re.compile(
    r"\s*(?:(?:who\s+(?:have|has|are)|living\s+with|diagnosed\s+with|with|having|undergoing|receiving|on)\b)?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Reading:
    """The stems of what titles and outcomes say before and after their turn to the people."""

    head: frozenset[str]  # before the turn: what the trial studies
    outcomes: frozenset[str]  # the primary outcomes, up to their own people
    first: frozenset[str]  # what the people are named by first: "with erectile dysfunction | after ..."
    joined: frozenset[str]  # a second joined to it: "with diabetes | and hypogonadism"
    rest: frozenset[str]  # everything after the first, and the words naming the people


def _read(titles: Iterable[str], primary_outcomes: Iterable[str]) -> _Reading:
    # A trial is read twice in a row (``joined_conditions``, then ``population_of``): once is enough.
    return _reading(tuple(titles), tuple(primary_outcomes))


@functools.lru_cache(maxsize=8)
def _reading(titles: tuple[str, ...], primary_outcomes: tuple[str, ...]) -> _Reading:
    heads, firsts, joins, rests, people = [], [], [], [], []
    for title in titles:
        match = POPULATION_MARKER.search(title or "")
        heads.append(title[: match.start()] if match else title or "")
        # The people may be named by their condition: "in type II diabetics".
        people.append(match.group() if match else "")
        tail = title[match.end() :] if match else ""
        tail = tail[_LEAD.match(tail).end() :]
        # "... with erectile dysfunction | after rectal cancer surgery".
        turn = _SECOND_TURN.search(tail)
        firsts.append(tail[: turn.start()] if turn else tail)
        rests.append(tail[turn.start() :] if turn else "")
        if turn and turn.group().casefold() == "and":
            after = tail[turn.end() :]
            following = _SECOND_TURN.search(after)
            joins.append(after[: following.start()] if following else after)
    # An outcome measured "in dialysis patients with diabetes" studies what comes before its people.
    outcome_heads = []
    for outcome in primary_outcomes:
        match = POPULATION_MARKER.search(outcome or "")
        outcome_heads.append(outcome[: match.start()] if match else outcome or "")

    def stems(parts: list[str]) -> frozenset[str]:
        return frozenset(stems_of(" ".join(parts)))

    return _Reading(stems(heads), stems(outcome_heads), stems(firsts), stems(joins), stems(rests) | stems(people))


def population_of(
    titles: Iterable[str],
    conditions: list[tuple[str, str]],
    primary_outcomes: Iterable[str],
    treats: Collection[str] = (),
) -> set[str]:
    """The keys of the conditions a trial enrols people with, or lists, but does not study.

    ``conditions`` holds (key, name) of its condition names and MeSH terms.
    What a trial studies is what its titles name before they turn to the
    population ("... erectile function in men with diabetes") and what its
    primary outcomes name. Then the conditions the population names (the
    diabetes of those men) are its population, and so are the others it
    lists and names nowhere (a comorbidity, a MeSH term the registry drew
    from a keyword), but for a MeSH term that shares a word with a studied
    condition (the registry's coding of it).

    When nothing there names a condition, the trial studies what the
    population names first ("stem cells in patients with erectile
    dysfunction after rectal cancer surgery": the surgery's cancer is the
    population) and everything it names nowhere; but of two conditions
    joined there ("testosterone ... in men with diabetes and
    hypogonadism"), the one its intervention treats, ``treats`` (keys, see
    ``joined_conditions``). A trial whose titles and outcomes name none of
    its conditions has no population.
    """
    reading = _read(titles, primary_outcomes)
    named = [(key, telling_stems(name)) for key, name in conditions]
    if any(stems & reading.head for _, stems in named) or not any(stems & reading.first for _, stems in named):
        studied = {key for key, stems in named if stems & (reading.head | reading.outcomes)}
        if not studied:
            return set()
        studied_stems = {stem for key, stems in named if key in studied for stem in stems}
        return {
            key
            for key, stems in named
            if key not in studied
            and (stems & (reading.first | reading.rest) or not (key.startswith("m:") and stems & studied_stems))
        }
    # The title names its subject only after its people: "... for adults with PTSD".
    subject = reading.first
    treated = {stem for key, stems in named if key in treats and stems & reading.joined for stem in stems}
    if treated and not any(stems & reading.first for key, stems in named if key in treats):
        subject = treated
    return {
        key
        for key, stems in named
        if stems & (reading.first | reading.rest) and not stems & (subject | reading.outcomes)
    }


def joined_conditions(
    titles: Iterable[str], conditions: list[tuple[str, str]], primary_outcomes: Iterable[str]
) -> tuple[list[str], list[str]]:
    """The keys of the first condition a title names after its people and of those joined to it by "and".

    Only where nothing before the people names a condition: "Testosterone
    Therapy and Bone Quality in Men With Diabetes and Hypogonadism". The
    words do not say which of them the trial studies (in "Sildenafil in Men
    With Erectile Dysfunction and Diabetes" it is the first); the
    intervention may (``treated``). Both empty for every other title.
    """
    reading = _read(titles, primary_outcomes)
    if not reading.joined:
        return [], []
    named = [(key, telling_stems(name)) for key, name in conditions]
    if any(stems & reading.head for _, stems in named):
        return [], []
    first = [key for key, stems in named if stems & reading.first]
    joined = [key for key, stems in named if stems & reading.joined and not stems & reading.first]
    return (first, joined) if first and joined else ([], [])


# Another trial giving the intervention lists the condition it treats: of two joined conditions, the
# one at least this many of them list, and twice as many as list the other.
TREATED_BY_AT_LEAST = 2


def _by_condition(counts: Mapping[str, int], stems: Mapping[str, frozenset[str]]) -> dict[frozenset[str], int]:
    """Counts by condition: a name and its MeSH term (sharing a telling word) are one, the larger count stands."""
    groups: list[tuple[set[str], list[str]]] = []
    for key in counts:
        overlapping = [group for group in groups if group[0] & stems[key]]
        merged: tuple[set[str], list[str]] = (set(stems[key]), [key])
        for group in overlapping:
            merged[0].update(group[0])
            merged[1].extend(group[1])
            groups.remove(group)
        groups.append(merged)
    return {frozenset(words): max(counts[key] for key in keys) for words, keys in groups}


def treated(listed: Mapping[str, int], conditions: list[tuple[str, str]]) -> set[str]:
    """Of ``joined_conditions``' keys, those of the condition the trial's intervention treats, if one stands out.

    ``listed`` holds, for each key, how many other trials giving the
    intervention list the condition; ``conditions``, (key, name) of each of them.
    """
    stems = {key: telling_stems(name) for key, name in conditions if key in listed}
    given = _by_condition(listed, stems)
    if not given:
        return set()
    best = max(given, key=given.get)
    if given[best] < TREATED_BY_AT_LEAST or any(
        2 * count > given[best] for other, count in given.items() if other != best
    ):
        return set()
    return {key for key in listed if stems[key] & best}


def rarer(keys: set[str], on_file: Mapping[str, int], conditions: list[tuple[str, str]]) -> bool:
    """Whether the condition of ``keys`` is listed by fewer trials on file than each other of ``on_file``.

    The condition an intervention treats is a trial's subject only if it is
    the rarer: a common one (diabetes) that the drug also treats is the
    people's comorbidity, as in "SGLT-2 Inhibitor in Patients With CAD and
    DM Undergoing PCI".
    """
    stems = {key: telling_stems(name) for key, name in conditions if key in on_file}
    counts = _by_condition(on_file, stems)
    mine = next((condition for condition in counts if any(condition & stems[key] for key in keys)), None)
    return mine is not None and all(count > counts[mine] for other, count in counts.items() if other != mine)


# Groups of people a trial may enrol, whatever it studies: a title or
# conditions word that starts with one of these, or a condition MeSH term (or
# ancestor) among these, puts the trial in the group.
POPULATION_GROUPS: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    "pregnancy": (
        ("pregnan", "gestation", "antenatal", "prenatal", "obstetric", "postpartum", "peripartum", "preeclampsia"),
        frozenset({"D011247", "D011248"}),  # Pregnancy, Pregnancy Complications
    ),
    "children": (
        ("child", "pediatric", "paediatric", "infant", "neonat", "newborn", "adolescen", "toddler", "preschool"),
        frozenset(),
    ),
    "older adults": (("elderly", "geriatric", "older adult", "older people", "older patients"), frozenset()),
}
_GROUP_WORDS = re.compile(
    r"\b(" + "|".join(re.escape(prefix) for prefixes, _ in POPULATION_GROUPS.values() for prefix in prefixes) + ")",
    re.IGNORECASE,
)


def groups_of(text: str, mesh_ids: set[str]) -> list[str]:
    """The population groups (``POPULATION_GROUPS``) a trial's titles, conditions or MeSH terms put it in."""
    found = {prefix.casefold() for prefix in _GROUP_WORDS.findall(text)}
    return [
        group
        for group, (prefixes, mesh) in POPULATION_GROUPS.items()
        if found.intersection(prefixes) or mesh & mesh_ids
    ]
