"""A search text as patients type it: phrases that name a MeSH descriptor, and misspelled words.

``read`` finds the phrases of a text that name a descriptor (``vocabulary``)
and widens each to the trials the registry filed under that descriptor (its
MeSH terms, the assigned ones and their ancestors, by id) or that write its
preferred name; what was added is kept, for the page to show. ``correct``
replaces a word that is not in the index's vocabulary by the closest one.
Both are skipped for a search asked for in exact words.
"""

from __future__ import annotations

import difflib
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Count, Exists, Max, Min, OuterRef, Q, Sum
from django.db.models.functions import MD5, Length, Ord, Substr

from .. import facets
from ..models import Condition, MeshTerm, Site
from ..places import country_label, country_names, named_in_text
from . import aliases
from .query import parse_query
from .vocabulary import Descriptor, WordIndex, close_words, key, lookup, spans, words_of

# A word this close to a word of the index (difflib's ratio) is read as its misspelling.
CORRECTION_CUTOFF = 0.75
# How many of the closest words of the condition names on file a word is compared with.
CONDITION_CANDIDATES = 5
# Words shorter than this are not corrected: too many real words lie one letter away.
CORRECTION_MIN_LENGTH = 4
# Longest country name looked up in a text, in words ("Lao People's Democratic Republic").
COUNTRY_MAX_WORDS = 4
_LETTERS = re.compile(r"[^\W\d_]+")
# What ``read`` widens a text by: the descriptors its phrases name (MeSH and our own words), the other
# names the records give an intervention (brand <-> generic), and the countries it names.
DESCRIPTORS, NAMES, COUNTRIES = "descriptors", "names", "countries"
WIDENINGS = frozenset({DESCRIPTORS, NAMES, COUNTRIES})


@dataclass(frozen=True)
class Added:
    """A phrase of the search and the descriptor it was widened to."""

    phrase: str
    descriptor: Descriptor

    @property
    def name(self) -> str:
        return natural_name(self.descriptor.name)


@dataclass(frozen=True)
class AlsoCalled:
    """A phrase of the search and the names the records also give that intervention (brand ↔ generic)."""

    phrase: str
    names: list[aliases.Alias]

    @property
    def generics(self) -> list[aliases.Alias]:
        """The names of which the phrase is another name (the generic of a brand)."""
        return [alias for alias in self.names if alias.generic]

    @property
    def others(self) -> list[aliases.Alias]:
        """The other names the phrase has (brands, codes)."""
        return [alias for alias in self.names if not alias.generic]


@dataclass
class Reading:
    text: str
    q: Q
    # What ranking and snippets look for: the text, or the preferred names beside it.
    rank_text: str
    added: list[Added] = field(default_factory=list)
    exact: bool = False
    # Trials filed under a descriptor the text names: ranked above those that only write the words.
    boost: Q | None = None
    # (phrase, country): phrases naming a country, which also match the trials with a site there.
    countries: list[tuple[str, str]] = field(default_factory=list)
    # Phrases naming an intervention the records also call otherwise, which find those names too.
    also_called: list[AlsoCalled] = field(default_factory=list)

    @property
    def known_words(self) -> set[str]:
        """The words of the phrases widened (named a descriptor, an intervention or a country): not misspelled."""
        phrases = [item.phrase for item in [*self.added, *self.also_called]] + [phrase for phrase, _ in self.countries]
        return {word.casefold() for phrase in phrases for word in phrase.split()}


def natural_name(name: str) -> str:
    """MeSH's inverted names as written in text: "Lupus Erythematosus, Systemic" → "Systemic Lupus Erythematosus".

    The qualifier "Human" is dropped: it tells people's disease from animals' in MeSH, and every record
    is about people, who write "influenza", not "human influenza".
    """
    name = name.removesuffix(", Human")
    head, comma, tail = name.partition(", ")
    return f"{tail} {head}" if comma and ", " not in tail else name


def _as_text(terms: list[tuple[str, bool]]) -> str:
    return " ".join(("-" if negated else "") + (f'"{term}"' if " " in term else term) for term, negated in terms)


def descriptor_q(ui: str, tokens: bool) -> Q:
    """Trials filed under the descriptor ``ui``: by facet token where there are ``tokens``.

    OR'ed with a text match, a correlated EXISTS would scan every trial; the
    token is matched in the same GIN index as the text.
    """
    if tokens:
        return Q(facet_tokens__any=[facets.token(facets.MESH, ui)])
    return Q(Exists(MeshTerm.objects.filter(trial=OuterRef("pk"), mesh_id=ui)))


def _country_q(code: str, backend) -> Q:
    """Trials with a site in the country ``code``, under any of its spellings."""
    names = country_names(code)
    if backend.has_facet_tokens:
        return Q(facet_tokens__any=facets.tokens(facets.COUNTRY, names))
    spelled = Q()
    for name in names:
        spelled |= Q(country__iexact=name)
    return Q(Exists(Site.objects.filter(spelled, trial=OuterRef("pk"))))


def _country_spans(terms: list[str]) -> list[tuple[int, int, str]]:
    """(start, end, ISO code) of the phrases of ``terms`` that name a country, longest first."""
    found = []
    start = 0
    while start < len(terms):
        for end in range(min(len(terms), start + COUNTRY_MAX_WORDS), start, -1):
            code = named_in_text(" ".join(terms[start:end]))
            if code:
                found.append((start, end, code))
                start = end
                break
        else:
            start += 1
    return found


def _runs(terms: list[tuple[str, bool]]) -> list[tuple[int, int]]:
    """(start, end) of each run of wanted terms: phrases run between excluded ones ("-flu" excludes the word only)."""
    found = []
    start = 0
    while start < len(terms):
        end = start
        while end < len(terms) and not terms[end][1]:
            end += 1
        if end > start:
            found.append((start, end))
        start = end + 1
    return found


def _names_q(backend, names: list[aliases.Alias]) -> Q:
    found = Q()
    for alias in names:
        found |= backend.named_q(alias.phrase)
    return found


def read(text: str, backend, exact: bool = False, widen: frozenset[str] = WIDENINGS) -> Reading:
    """What ``text`` asks for on ``backend``: unless ``exact``, widened by what it names (``widen``)."""
    plain = Reading(text=text, q=backend.text_q(text), rank_text=text, exact=exact)
    if exact:
        return plain
    alternatives = parse_query(text, strict=False)
    # Other names (brand ↔ generic) of every phrase, in one query.
    named = (
        aliases.lookup(
            aliases.phrase_keys(
                [term for term, _ in terms[start:end]] for terms in alternatives for start, end in _runs(terms)
            )
        )
        if NAMES in widen
        else {}
    )
    combined = Q()
    added: list[Added] = []
    also: list[AlsoCalled] = []
    countries: list[tuple[str, str]] = []
    for terms in alternatives:
        covered: set[int] = set()
        group = Q()
        for start, end in _runs(terms):
            words = [term for term, _ in terms[start:end]]
            other_names = {(first, last): names for first, last, names in aliases.spans(words, named)}
            for first, last, descriptor in spans(words) if DESCRIPTORS in widen else ():
                phrase_terms = terms[start + first : start + last]
                covered.update(range(start + first, start + last))
                phrase = " ".join(term for term, _ in phrase_terms)
                added.append(Added(phrase, descriptor))
                clause = backend.text_q(_as_text(phrase_terms)) | descriptor_q(descriptor.ui, backend.has_facet_tokens)
                if key(natural_name(descriptor.name)) != key(phrase):
                    # The preferred name, unless it is the phrase again ("insulin"): a second scan for nothing.
                    clause |= backend.text_q(f'"{natural_name(descriptor.name)}"')
                # A brand MeSH lists as an entry term may have other names the records give it.
                names = other_names.pop((first, last), None)
                if names:
                    also.append(AlsoCalled(phrase, names))
                    clause |= _names_q(backend, names)
                group &= clause
            for (first, last), names in other_names.items():
                positions = set(range(start + first, start + last))
                if positions & covered:
                    continue
                covered.update(positions)
                phrase_terms = terms[start + first : start + last]
                also.append(AlsoCalled(" ".join(term for term, _ in phrase_terms), names))
                group &= backend.text_q(_as_text(phrase_terms)) | _names_q(backend, names)
        rest = [term for position, term in enumerate(terms) if position not in covered]
        # A country's name also finds the trials with a site there ("UK", "South Korea").
        wanted = [term for term in rest if not term[1]]
        for first, last, code in _country_spans([term for term, _ in wanted]) if COUNTRIES in widen else ():
            phrase_terms = wanted[first:last]
            countries.append((" ".join(term for term, _ in phrase_terms), country_label(code)))
            group &= backend.text_q(_as_text(phrase_terms)) | _country_q(code, backend)
            rest = [term for term in rest if term not in phrase_terms]
        if rest:
            group &= backend.text_q(_as_text(rest))
        combined |= group
    if not added and not countries and not also:
        return plain
    names = [f'"{natural_name(item.descriptor.name)}"' for item in added]
    names += [alias.quoted for item in also for alias in item.names]
    boost = Q()
    for item in added:
        boost |= descriptor_q(item.descriptor.ui, backend.has_facet_tokens)
    return Reading(
        text=text,
        q=combined,
        rank_text=" OR ".join([text, *names]),
        added=added,
        boost=boost if added else None,
        countries=countries,
        also_called=also,
    )


class _Area:
    """An API area as ``read`` sees a backend: how it matches a term, and whether trials carry facet tokens."""

    def __init__(self, term_q: Callable[[str], Q], tokens: bool):
        self.text_q = term_q
        self.has_facet_tokens = tokens

    def named_q(self, name: str) -> Q:
        return self.text_q(f'"{name}"')


def area_q(text: str, term_q: Callable[[str], Q], widen: frozenset[str], tokens: bool = False) -> Q | None:
    """``text`` as an API area matches it (``term_q``), widened as the list page widens a search (``read``).

    None when nothing widens it: the area then matches the text as it is.
    """
    reading = read(text, _Area(term_q, tokens), widen=widen)
    return reading.q if reading.added or reading.countries or reading.also_called else None


def _closest(word: str, words: set[str]) -> str | None:
    """The closest of ``words``, preferring one that names a descriptor ("diabetes" over "diabetic")."""
    scored = []
    for candidate in sorted(words):
        ratio = difflib.SequenceMatcher(None, word, candidate).ratio()
        if ratio >= CORRECTION_CUTOFF:
            scored.append((lookup(candidate) is not None, ratio, candidate))
    return max(scored)[2] if scored else None


def condition_words() -> WordIndex:
    """The words of the condition names on file, read again when conditions are added, removed or renamed.

    Asked once a correction (one small query: how many there are, the newest,
    the first and last names, each read from an index); kept in the process
    between, so a misspelled word costs no look-up in the conditions' trigram
    index. A rename changes none of these but the names' checksum, which
    reads every name: it is asked at most every ``NAMES_CHECKSUM_SECONDS``.
    """
    global _condition_words, _names_checksum
    fingerprint = tuple(
        Condition.objects.aggregate(count=Count("id"), newest=Max("id"), first=Min("name"), last=Max("name")).values()
    )
    asked, checksum = _names_checksum
    if time.monotonic() - asked >= NAMES_CHECKSUM_SECONDS:
        checksum = tuple(Condition.objects.aggregate(**_NAMES_CHECKSUM).values())
        _names_checksum = (time.monotonic(), checksum)
    fingerprint += (checksum,)
    kept = _condition_words
    if kept is None or kept[0] != fingerprint:
        kept = (fingerprint, WordIndex(words_of(Condition.objects.values_list("name", flat=True).iterator())))
        _condition_words = kept
    return kept[1]


_condition_words: tuple[tuple, WordIndex] | None = None
NAMES_CHECKSUM_SECONDS = 300
_names_checksum: tuple[float, tuple | None] = (-math.inf, None)
# The names' lengths, and each of the first eight hex digits of their MD5s, summed apart: a rename
# goes unseen only if it keeps all nine sums (about one in 16⁸). The same on both databases.
_NAMES_CHECKSUM = {
    "length": Sum(Length("name")),
    **{f"digit{place}": Sum(Ord(Substr(MD5("name"), place, 1))) for place in range(1, 9)},
}


def _unknown_terms(text: str, known: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """The wanted words of ``text`` that ``correct`` may replace: long enough, letters only, naming no descriptor.

    ``known``: words known otherwise, left alone.
    """
    found = []
    for terms in parse_query(text, strict=False):
        for term, negated in terms:
            word = term.casefold()
            if negated or not word.isalpha() or len(word) < CORRECTION_MIN_LENGTH or word in known:
                continue
            if not lookup(word):
                found.append(term)
    return found


def correctable(reading: Reading) -> bool:
    """Whether the text ``reading`` read has a word ``correct`` might change: no query, unlike ``correct``.

    The words of a phrase it widened ("heart attack") are not misspelled, though one alone names nothing.
    """
    return not reading.exact and bool(_unknown_terms(reading.text, reading.known_words))


def correct(text: str, known: set[str] | frozenset[str] = frozenset()) -> tuple[str, list[tuple[str, str]]] | None:
    """(the text with misspelled words replaced, [(word, correction)]), or None when none is.

    A word is compared with the closest words of the condition names on file
    (``condition_words``) and of the descriptors' names (drugs too); a word
    that names a descriptor, or one these hold as it is (or in another
    number), is left alone, and so are the ``known`` words (a widened
    phrase's, as ``correctable`` says). The same on every backend.
    """
    corrections = []
    conditions: WordIndex | None = None
    for term in _unknown_terms(text, known):
        word = term.casefold()
        if conditions is None:
            conditions = condition_words()
        words = set(conditions.close(word, n=CONDITION_CANDIDATES, cutoff=CORRECTION_CUTOFF))
        words.update(close_words(word, n=3, cutoff=CORRECTION_CUTOFF))
        if any(key(found) == key(word) for found in words):
            continue
        best = _closest(word, words)
        if best:
            corrections.append((term, best))
    if not corrections:
        return None
    corrected = text
    for term, replacement in corrections:
        corrected = re.sub(rf"(?<!\w){re.escape(term)}(?!\w)", replacement, corrected, count=1)
    return corrected, corrections
