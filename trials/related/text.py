"""Words as the similarity engine compares them: stemmed, case and stop words ignored.

Pure functions over strings, shared by the scoring, the populations and the titles.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import snowballstemmer

_WORD = re.compile(r"[a-z0-9][a-z0-9\-]*[a-z0-9]|[a-z]")
STOPWORDS = frozenset(
    line.strip()
    for line in (Path(__file__).parent / "stopwords.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
)


@functools.lru_cache(maxsize=100_000)
def normalize(name: str) -> str:
    """A name as features compare it: case, punctuation and spacing ignored."""
    return " ".join(re.sub(r"[^\w+]+", " ", name.casefold()).split())


_STEMMER = snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=200_000)
def stem_word(word: str) -> str:
    # "Depressive" meets "depression"; a registry's vocabulary fits the cache.
    return _STEMMER.stemWord(word)


def words(text: str) -> list[tuple[str, str]]:
    """(stem, word) of each telling word of ``text``."""
    found = _WORD.findall(text.casefold())
    return [(stem_word(word), word) for word in found if word not in STOPWORDS and not word.isdigit()]


# Words too general to tell which condition a title names ("Type 1 Diabetes
# Mellitus" is named by "diabetes").
_GENERIC = frozenset(
    map(
        stem_word,
        re.findall(
            r"\w+",
            "type disease diseases disorder disorders syndrome mellitus chronic acute primary secondary severe "
            "advanced stage early late cancer cancers neoplasm neoplasms tumor tumors tumour carcinoma dysfunction "
            "failure insufficiency infection infections condition conditions health",
        ),
    )
)


def stems_of(text: str) -> list[str]:
    # "Pre-diabetes" names diabetes too.
    return [stem for stem, _ in words(text.replace("-", " "))]


@functools.lru_cache(maxsize=100_000)
def telling_name(name: str) -> bool:
    """Whether a condition's name tells what it is: not "Disease", "Infections" or "Cancer" alone."""
    stems = set(stems_of(name))
    return bool(stems - _GENERIC)


@functools.lru_cache(maxsize=100_000)
def telling_stems(name: str) -> frozenset[str]:
    stems = frozenset(stems_of(name))
    return (stems - _GENERIC) or stems
