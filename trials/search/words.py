"""A term matched as a word of a text, not inside other words, on every database.

``flu`` finds "flu" and "Flu vaccine" but not "influenza", "Fluvastatin" or
"dysfunction"; a term and its plural find each other (``alzheimers`` finds
"Alzheimer Disease", ``cancer`` finds "cancers"), as PostgreSQL's stemmed
full-text search does for the text box. On SQLite, matched by a regular
expression anchored at word boundaries (Django's ``REGEXP`` is Python's
``re``, whose boundary is ``\\b`` and whose case folding covers every letter,
where SQLite's ``LIKE`` folds ASCII only).
PostgreSQL matches in one step instead (the ``upper_word`` lookup): the
upper-cased column against the upper-cased expression, which the trigram
indexes on ``UPPER(column)`` serve directly and estimate as they estimate
``icontains``; a separate ``~*`` after it was estimated 40 times too rare,
and the planner then chose to read every match rather than walk a page.
"""

from __future__ import annotations

import re

from django.db import connection, models
from django.db.models import Q

# The words PostgreSQL's English dictionary leaves out of a search (its ``english.stop``, which the
# ``trialportal`` configuration uses): the simple backend leaves them out too.
STOP_WORDS = frozenset(
    str.split(
        """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers
    herself it its itself they them their theirs themselves what which who whom this that these those am is
    are was were be been being have has had having do does did doing a an the and but if or because as until
    while of at by for with about against between into through during before after above below to from up down
    in out on off over under again further then once here there when where why how all any both each few more
    most other some such no nor not only own same so than too very s t can will just don should now
        """
    )
)
# Endings a plural or possessive adds to a word; a term typed with one is matched by its stem.
_ENDINGS = "(s|es|'s|\u2019s)?"
# Words whose final "s" is not a plural: virus, diagnosis, glass.
_NOT_PLURAL = ("ss", "us", "is")


def stem(term: str) -> str:
    """``term`` without a plural or possessive ending (``alzheimers`` → ``alzheimer``), as typed.

    Not casefolded: "Gießen" would become "giessen", which no text holds. An
    acronym in capitals keeps its "S" (AIDS is not the plural of "aid").
    """
    lowered = term.lower()
    for ending in ("'s", "\u2019s"):
        if lowered.endswith(ending) and len(term) > len(ending) + 2:
            return term[: -len(ending)]
    if lowered.endswith("s") and len(term) > 3 and not lowered.endswith(_NOT_PLURAL) and not term.isupper():
        return term[:-1]
    return term


def pattern(term: str, vendor: str | None = None) -> str:
    """The regular expression (case-insensitive lookup) finding ``term`` as a word or its plural."""
    vendor = vendor or connection.vendor
    start, end = (r"\m", r"\M") if vendor == "postgresql" else (r"\b", r"\b")
    core = stem(term)
    # A boundary only where the term has a word character on that side ("c++" ends in none).
    before = start if re.match(r"\w", core[:1]) else ""
    after = end if re.match(r"\w", core[-1:]) else ""
    return f"{before}{re.escape(core)}{_ENDINGS}{after}"


def _upper(text: str) -> str:
    """``text`` upper-cased letter by letter as PostgreSQL's ``upper`` does (ß stays ß)."""
    return "".join(upper if len(upper := letter.upper()) == 1 else letter for letter in text)


def upper_pattern(term: str) -> str:
    """``pattern`` for PostgreSQL's upper-cased columns: a case-sensitive expression in capitals."""
    core = _upper(stem(term))
    before = r"\m" if re.match(r"\w", core[:1]) else ""
    after = r"\M" if re.match(r"\w", core[-1:]) else ""
    return f"{before}{re.escape(core)}{_upper(_ENDINGS)}{after}"


class UpperWord(models.Lookup):
    """``field__upper_word=term`` (PostgreSQL): ``UPPER(field) ~ upper_pattern(term)``, as its trigram index has it."""

    lookup_name = "upper_word"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"UPPER({lhs}::text) ~ %s", [*lhs_params, upper_pattern(str(self.rhs))]


for _field in (models.CharField, models.TextField, models.JSONField):
    _field.register_lookup(UpperWord)


def word_q(path: str, term: str) -> Q:
    """Rows whose ``path`` (a field, or a field across relations) holds ``term`` as a word."""
    if not term.strip():
        return Q(**{f"{path}__icontains": term})
    if connection.vendor == "postgresql":
        return Q(**{f"{path}__upper_word": term})
    # SQLite's LIKE folds ASCII letters only ("örebro" would miss "Örebro"); Python's regex folds all.
    return Q(**{f"{path}__iregex": pattern(term)})


def is_stop_word(term: str) -> bool:
    return term.casefold() in STOP_WORDS


def lookup_q(lookup: str, term: str) -> Q:
    """``Q(lookup=term)``, an ``icontains`` lookup read as a word match (``word_q``); other lookups as given."""
    if lookup.endswith("__icontains"):
        return word_q(lookup.removesuffix("__icontains"), term)
    return Q(**{lookup: term})
