"""What a trial's titles say about its point beyond its conditions list.

The registry's conditions list is the sponsor's: it may leave out what the
trial studies ("Insomnia Prevention in Children With Acute Lymphoblastic
Leukemia" lists only the leukaemia) or name only its broad class ("Leukemia"
for a trial of acute lymphoblastic leukaemia). The titles say it, in words
that other trials on file use as a condition's name. Pure functions over
plain values; ``store`` reads the names on file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from .populations import POPULATION_GROUPS, POPULATION_MARKER
from .text import STOPWORDS, normalize, stem_word, stems_of, telling_name, telling_stems

# A name longer than this many telling words is never met in a title as a whole.
_LONGEST = 4
_TOKEN = re.compile(r"[a-z0-9]+")
# "Type II" is "Type 2": a number tells one condition from another here.
_NUMERALS = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}
# Words of a trial's design, never its subject, though some trial lists them as its condition
# ("Control", "Pharmacokinetics") or a MeSH term is spelt with them ("Blindness" in "double-blind").
_DESIGN = frozenset(
    map(
        stem_word,
        re.findall(
            r"\w+",
            "blind blindness control controlled random randomized placebo pharmacokinetics pharmacodynamics "
            "bioequivalence bioavailability safety efficacy tolerability intervention trial study healthy volunteers",
        ),
    )
)


def name_phrase(name: str) -> str:
    """A condition's name as titles are matched against it: its stems and numbers, in order."""
    tokens = _TOKEN.findall(name.casefold())
    return " ".join(
        _NUMERALS.get(token, token) if token.isdigit() or token in _NUMERALS else stem_word(token)
        for token in tokens
        if token not in STOPWORDS or token in _NUMERALS
    )


def known_names(names: Iterable[str], mesh_terms: Mapping[str, tuple[str, str]]) -> dict[str, list[tuple[str, str]]]:
    """Phrase → (feature key, label) of every condition name and condition MeSH term on file that tells what it is.

    ``names`` are the registry's condition names, ``mesh_terms`` its
    condition MeSH terms (phrase → (MeSH key, term), as
    ``store.condition_mesh_names`` gives them). Names are taken in the order
    given, so the first spelling of a key labels it.
    """
    found: dict[str, list[tuple[str, str]]] = {}
    seen: set[str] = set()
    for mesh_id, term in sorted(set(mesh_terms.values())):
        if _subject(term):
            found.setdefault(name_phrase(term), []).append((f"m:{mesh_id}", term))
            seen.add(f"m:{mesh_id}")
    for name in names:
        key = f"c:{normalize(name)}"
        if key not in seen and _subject(name):
            seen.add(key)
            found.setdefault(name_phrase(name), []).append((key, name))
    return found


def _subject(name: str) -> bool:
    """Whether a name can be what a trial studies: short, telling, and not a word of its design."""
    phrase = name_phrase(name)
    short = bool(phrase) and len(phrase.split()) <= _LONGEST
    return short and telling_name(name) and bool(telling_stems(name) - _DESIGN)


def _phrases(text: str) -> set[str]:
    stems = name_phrase(text).split()
    return {" ".join(stems[i : i + n]) for n in range(1, _LONGEST + 1) for i in range(len(stems) - n + 1)}


# What a title says is done to a condition it studies: "Insomnia Prevention", "Treatment of Sexual Dysfunction".
_TREATED = frozenset(
    stem_word(word)
    for word in ("treatment", "treating", "prevention", "preventing", "management", "managing", "therapy", "relief")
)


def _treated(head: str) -> set[str]:
    """The phrases of ``head`` right before or after a word of treating: what it says the trial treats."""
    stems = name_phrase(head).split()
    found = set()
    for index, stem in enumerate(stems):
        if stem in _TREATED:
            found |= {" ".join(stems[index + 1 : index + 1 + n]) for n in range(1, _LONGEST + 1)}
            found |= {" ".join(stems[max(0, index - n) : index]) for n in range(1, _LONGEST + 1) if index - n >= 0}
    return found - {""}


def condition_stems(key: str, label: str) -> frozenset[str]:
    """The telling stems of a condition feature: its normalized name for a name, its term for a MeSH key."""
    return telling_stems(key[2:] if key.startswith("c:") else label) - _VAGUE


# Words that make no name narrower: "Type II Diabetes" is no narrower than "Diabetes", nor "Erectile Function"
# than "Erectile Dysfunction", nor "Male Erectile Disorder" (sex says whom, not what); "Pre-diabetes" is no
# kind of diabetes.
_VAGUE = frozenset(
    {
        *_NUMERALS,
        *map(
            stem_word,
            ("function", "abnormality", "abnormalities", "related", "pre", "male", "female", "adult", "adults"),
        ),
    }
)


def title_conditions(
    titles: Iterable[str],
    listed: list[tuple[str, str]],
    known: Mapping[str, list[tuple[str, str]]],
    interventions: Iterable[str] = (),
) -> list[tuple[str, str]]:
    """(key, label) of the conditions on file that the titles name and the trial's list leaves out.

    ``listed`` holds (key, name) of the trial's condition names and MeSH
    terms. Two cases, no other: the titles turn to their people ("... in
    children with ...") and what comes before names none of the listed
    conditions but a condition on file (the insomnia of "Insomnia Prevention
    in Children With Acute Lymphoblastic Leukemia"), which is then what the
    trial studies; or a title names a condition narrower than a listed one
    ("Acute Lymphoblastic Leukemia" where the list names "Leukemia"). A name
    inside a longer one found is not taken apart. What the trial gives
    (``interventions``, names) or a treating word names is no condition it
    treats: "Stem Cell Therapy in Patients With ...".
    """
    titles = [title for title in titles if title]
    # Only where a title turns to its people: what else a trial names is its subject as listed.
    if not known or not any(POPULATION_MARKER.search(title) for title in titles):
        return []
    keys = {key for key, _ in listed}
    listed_stems = [condition_stems(key, name) for key, name in listed]
    # Narrower than a name the list gives: not than a term the registry, or an inference, adds to a bare list.
    named_stems = [condition_stems(key, name) for key, name in listed if key.startswith("c:")]
    # The brief title: the official one says more of the design ("A Randomized, Placebo-controlled ...").
    match = POPULATION_MARKER.search(titles[0])
    heads = [titles[0][: match.start()]] if match else []
    head_stems = set(stems_of(" ".join(heads)))
    found: dict[str, tuple[str, str, frozenset[str]]] = {}
    if heads and not any(stems & head_stems for stems in listed_stems):
        given = set(stems_of(" ".join(interventions))) | _TREATED
        for phrase in _treated(heads[0]):
            for key, label in known.get(phrase, ()):
                if not set(name_phrase(label).split()) & given:
                    found.setdefault(key, (key, label, condition_stems(key, label)))
    for phrase in set().union(*map(_phrases, titles)):
        for key, label in known.get(phrase, ()):
            stems = condition_stems(key, label)
            narrower = any(other < stems for other in named_stems)
            if narrower and not any(stems <= other for other in listed_stems):
                found.setdefault(key, (key, label, stems))
    whole = [stems for _, _, stems in found.values()]
    return sorted(
        (key, label)
        for key, label, stems in found.values()
        if key not in keys and not any(stems < other for other in whole)
    )


def coded_ancestors(keys: Iterable[str], labels: Mapping[str, str]) -> dict[str, str]:
    """MeSH ancestor key → the listed condition name it is the term of, by the same telling words.

    The registry's term for a listed name ("Diabetes Mellitus") is an
    ancestor when the trial also has its subtypes' terms (``scoring.extract``).
    """
    keys = list(keys)
    names = {condition_stems(key, labels.get(key, "")): key for key in keys if key.startswith("c:")}
    found = {}
    for key in keys:
        if key.startswith("a:") and (name := names.get(condition_stems(key, labels.get(key, "")))):
            found[key] = name
    return found


def broad_classes(keys: Iterable[str], labels: Mapping[str, str]) -> set[str]:
    """``broader_conditions`` of a trial with a population: only its aspects and main condition read them."""
    keys = list(keys)
    return broader_conditions(keys, labels) if any(key.startswith("p:") for key in keys) else set()


def broader_conditions(keys: Iterable[str], labels: Mapping[str, str]) -> set[str]:
    """The condition keys among ``keys`` that another of them narrows: "Leukemia" beside "Acute Lymphoblastic Leukemia".

    By their telling words: a condition whose words are all in a short
    name's (``_NARROWER_WORDS`` at most), and fewer, is its broad class;
    unless the words the short one adds name the trial's population, a
    group of people or a population condition ("Diabetes in Pregnancy",
    "Cystic Fibrosis Related Diabetes" in people with cystic fibrosis): the
    population says that. ``keys`` are a trial's feature keys, population ones too.
    """
    keys = list(keys)
    people = {
        stem for key in keys if key[:4] in ("p:c:", "p:m:") for stem in condition_stems(key[2:], labels.get(key, ""))
    }
    stems = {key: condition_stems(key, labels.get(key, "")) for key in keys if key[:2] in ("c:", "m:")}
    narrow = [stems for stems in stems.values() if len(stems) <= _NARROWER_WORDS]

    def narrows(other: frozenset[str], mine: frozenset[str]) -> bool:
        return mine < other and not all(stem in people or _GROUP_STEM.match(stem) for stem in other - mine)

    return {key for key, mine in stems.items() if mine and any(narrows(other, mine) for other in narrow)}


# A name of more telling words than this lists several conditions ("Type 2 Diabetes Mellitus Diabetic
# Retinopathy Cognitive Dysfunction"): it narrows none of them.
_NARROWER_WORDS = 4
_GROUP_STEM = re.compile(
    "|".join(re.escape(prefix) for prefixes, _ in POPULATION_GROUPS.values() for prefix in prefixes)
)
