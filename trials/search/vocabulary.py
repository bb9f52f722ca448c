"""The words search knows the meaning of: MeSH descriptors and our own everyday words.

``trials/data/mesh-terms.tsv.gz`` is the project's copy of the MeSH 2024
descriptors it uses (trees C, F03 and D: diseases, mental disorders,
chemicals and drugs), each with its preferred name and entry terms; the
``build_mesh_vocabulary`` command rebuilds it from the shared reference.
``trials/data/lay-terms.tsv`` adds everyday words MeSH lacks ("bowel
cancer", "flu"), each with a line saying where its meaning comes from.

A phrase is looked up by its *key*: lower case, apostrophes dropped,
each word in a crude singular, so "Alzheimer's", "alzheimers" and
"Heart Attacks" find the same entries as "alzheimer" and "heart attack".
No database here: ``expand.py`` turns what is found into matches.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
MESH_PATH = DATA / "mesh-terms.tsv.gz"
LAY_PATH = DATA / "lay-terms.tsv"
# The trees of the shared reference that search uses: diseases, mental disorders, chemicals and drugs.
MESH_TREES = ("C", "F03", "D")
# Longest phrase looked up, in words ("acute st elevation myocardial infarction" has five).
MAX_PHRASE_WORDS = 6
# Shorter keys are abbreviations too ambiguous to expand on their own ("ms", "ad").
MIN_KEY_LENGTH = 3
MESH_SOURCE = "MeSH"
# How many known words sharing the most letter pairs with a word difflib compares it with: comparing
# it with all of them (about 11,000) took 60-260 ms a word, and a close word shares most of its pairs.
CLOSE_CANDIDATES = 300

_WORD = re.compile(r"[^\W_]+")
_LETTERS = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Descriptor:
    """A MeSH descriptor a phrase names, and what says so (MeSH, or the line of our own vocabulary)."""

    ui: str
    name: str
    source: str = MESH_SOURCE

    @property
    def from_mesh(self) -> bool:
        return self.source == MESH_SOURCE


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def key(phrase: str) -> str:
    """The form a phrase is looked up by: "Alzheimer's Disease" → "alzheimer disease"."""
    text = phrase.casefold().replace("\u2019", "'").replace("'", "")
    return " ".join(_singular(word) for word in _WORD.findall(text))


def _mesh_rows() -> list[tuple[str, str, list[str]]]:
    with gzip.open(MESH_PATH, "rt", encoding="utf-8") as lines:
        rows = csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rows)
        return [(ui, name, terms.split("|") if terms else []) for ui, name, terms in rows]


def _lay_rows() -> list[tuple[str, str, str]]:
    rows = []
    for line in LAY_PATH.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            phrase, ui, source = line.split("\t")
            rows.append((phrase, ui, source))
    return rows


@cache
def mesh_names() -> dict[str, str]:
    """Descriptor id → preferred name, for every descriptor search knows."""
    return {ui: name for ui, name, _ in _mesh_rows()}


@cache
def known_words() -> tuple[str, ...]:
    """The words of the descriptors' preferred names and of our own words, for correcting misspellings."""
    return words_of([*mesh_names().values(), *(phrase for phrase, _, _ in _lay_rows())])


def _letter_pairs(word: str) -> set[str]:
    padded = f" {word} "
    return {padded[at : at + 2] for at in range(len(padded) - 1)}


class WordIndex:
    """Words, found by their letter pairs: the closest to a misspelled one without comparing it with all."""

    def __init__(self, words: tuple[str, ...]):
        self.words = words
        index: dict[str, list[int]] = {}
        for position, word in enumerate(words):
            for pair in _letter_pairs(word):
                index.setdefault(pair, []).append(position)
        # Letter pair → the positions in ``words`` of the words holding it.
        self.pairs = {pair: tuple(positions) for pair, positions in index.items()}

    def close(self, word: str, n: int, cutoff: float) -> list[str]:
        """The words closest to ``word``, as ``difflib.get_close_matches`` finds them among all of them.

        Compared only with the ``CLOSE_CANDIDATES`` words that share the most letter pairs with it.
        """
        shared: Counter[int] = Counter()
        for pair in _letter_pairs(word):
            shared.update(self.pairs.get(pair, ()))
        candidates = [self.words[position] for position, _ in shared.most_common(CLOSE_CANDIDATES)]
        return difflib.get_close_matches(word, candidates, n=n, cutoff=cutoff)


@cache
def _known_index() -> WordIndex:
    return WordIndex(known_words())


def close_words(word: str, n: int, cutoff: float) -> list[str]:
    """The known words closest to ``word`` (``WordIndex.close``)."""
    return _known_index().close(word, n, cutoff)


def load() -> None:
    """Read the vocabulary's files now (seconds), not in the first search that looks a phrase up or corrects a word."""
    lookup_table()
    _known_index()


def words_of(phrases: Iterable[str]) -> tuple[str, ...]:
    """The distinct words of ``phrases`` worth correcting to (letters only, longer than three), sorted."""
    return tuple(sorted({word for phrase in phrases for word in _LETTERS.findall(phrase.casefold()) if len(word) > 3}))


def lay_terms() -> list[tuple[str, Descriptor]]:
    """Our own everyday words, each with the descriptor it means and the line that says why."""
    names = mesh_names()
    return [(phrase, Descriptor(ui, names[ui], source)) for phrase, ui, source in _lay_rows()]


@cache
def lookup_table() -> dict[str, Descriptor]:
    """Key → descriptor. Preferred names win over our words, which win over entry terms."""
    rows = _mesh_rows()
    names = {ui: name for ui, name, _ in rows}
    table: dict[str, Descriptor] = {}
    for ui, name, terms in rows:
        for term in terms:
            table.setdefault(key(term), Descriptor(ui, name))
    for phrase, ui, source in _lay_rows():
        table[key(phrase)] = Descriptor(ui, names[ui], source)
    for ui, name, _ in rows:
        table[key(name)] = Descriptor(ui, name)
    return {phrase: descriptor for phrase, descriptor in table.items() if len(phrase) >= MIN_KEY_LENGTH}


def lookup(phrase: str) -> Descriptor | None:
    return lookup_table().get(key(phrase))


def spans(terms: list[str]) -> list[tuple[int, int, Descriptor]]:
    """(start, end, descriptor) for the longest phrases of consecutive ``terms`` that name a descriptor.

    Read left to right, longest first, so "lung cancer" is one phrase and not "lung" then "cancer".
    """
    found = []
    start = 0
    while start < len(terms):
        for end in range(min(len(terms), start + MAX_PHRASE_WORDS), start, -1):
            descriptor = lookup(" ".join(terms[start:end]))
            if descriptor:
                found.append((start, end, descriptor))
                start = end
                break
        else:
            start += 1
    return found


def build_mesh_file(source: Path, destination: Path = MESH_PATH) -> int:
    """Write the descriptors of ``MESH_TREES`` from the shared reference TSV, without tree numbers.

    ``source`` is ``mesh2024-terms.tsv.gz`` (descriptor_ui, preferred_name,
    tree_numbers, entry_terms); returns the number of descriptors written.
    """
    written = 0
    with (
        gzip.open(source, "rt", encoding="utf-8") as lines,
        gzip.open(destination, "wt", encoding="utf-8", compresslevel=9) as out,
    ):
        rows = csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(rows)
        if header[:4] != ["descriptor_ui", "preferred_name", "tree_numbers", "entry_terms"]:
            raise ValueError(f"{source}: unexpected columns {header}")
        out.write("descriptor_ui\tpreferred_name\tentry_terms\n")
        for ui, name, trees, terms in rows:
            if any(tree.startswith(MESH_TREES) for tree in trees.split(";")):
                out.write(f"{ui}\t{name}\t{terms}\n")
                written += 1
    return written
