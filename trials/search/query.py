"""The search text's grammar: what a query asks for, with no database.

A query uses web-search syntax: terms and "quoted phrases" must all match,
``OR`` between alternatives, ``-term`` or ``NOT term`` to exclude. Both
backends and the API read a text through ``parse_query``; ``check_size``
refuses one that asks for more than a request may do, and an NCT ID typed
any way (``nct4133233``) is recognised here, and so is a place the text ends
with (``trailing_place``: "heart attack near Boston").
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from django.conf import settings

NCT_TOKEN = re.compile(r"^[Nn][Cc][Tt]0*([1-9]\d{0,7})$")


class QuerySyntaxError(ValueError):
    pass


# A text may end in a place, as patients write one: "heart attack near Boston", "diabetes in Lyon",
# "asthma trials near 02115". The words that introduce it, and those that only say trials are wanted.
PLACE_CONNECTORS = ("near", "in", "around", "close to")
TRIAL_WORDS = ("clinical trials", "clinical studies", "trials", "studies")
# Names the gazetteer may hold as a town ("Asia" in the Philippines) but a text means as a continent.
NOT_PLACES = frozenset({"africa", "america", "americas", "antarctica", "asia", "australasia", "europe", "oceania"})
# Longest place read from a text, in words and characters (the location box's limit).
PLACE_MAX_WORDS = 5
PLACE_MAX_LENGTH = 100
# Greedy before the connector: the last one counts ("pain in the chest near Boston").
_TRAILING_PLACE = re.compile(
    r"^(?:(?P<words>.*)\s+)?(?P<connector>{})\s+(?P<place>[^\s\"()-][^\"()]*?)\s*$".format(
        "|".join(connector.replace(" ", r"\s+") for connector in PLACE_CONNECTORS)
    ),
    re.IGNORECASE | re.DOTALL,
)
_TRIAL_WORDS = re.compile(r"(?:^|\s+)(?:{})$".format("|".join(TRIAL_WORDS)), re.IGNORECASE)


@dataclass(frozen=True)
class TrailingPlace:
    """A text split before the place it ends with: the words to search, and the place as typed."""

    words: str
    phrase: str  # "near Boston", as the page shows it
    place: str  # "Boston", as the location box takes it
    as_words: str  # the text with its place in quotes, which is then searched as words: 'heart attack near "Boston"'


def trailing_place(text: str) -> TrailingPlace | None:
    """The place ``text`` ends with after one of ``PLACE_CONNECTORS``; None when it ends with none.

    Only a split: whether the gazetteer knows the place is the caller's to ask
    (an unknown one stays words). The last connector counts ("pain in the
    chest near Boston"); a place in quotes, after an operator or joined by
    one is not read as a place. "trials" just before the connector only says
    what is wanted, and is dropped with it.
    """
    text = text.strip()
    match = _TRAILING_PLACE.match(text)
    if match is None:
        return None
    place = " ".join(match.group("place").split())
    words = (match.group("words") or "").strip()
    if (
        len(place) > PLACE_MAX_LENGTH
        or len(place.replace(",", " ").split()) > PLACE_MAX_WORDS
        or any(word in _OPERATORS for word in place.split())
        or place.casefold() in NOT_PLACES
        or words.split()[-1:] in (["OR"], ["AND"], ["NOT"])
        or words.count('"') % 2
    ):
        return None
    words = _TRIAL_WORDS.sub("", words).strip()
    connector = " ".join(match.group("connector").split()).lower()
    as_words = f'{text[: match.start("place")]}"{match.group("place")}"'
    return TrailingPlace(words, f"{connector} {place}", place, as_words)


def nct_id_from_token(token: str) -> str | None:
    """``nct4133233`` → ``NCT04133233``; None when the token is not an NCT ID."""
    match = NCT_TOKEN.match(token.strip())
    return f"NCT{int(match.group(1)):08d}" if match else None


def only_nct_ids(text: str) -> list[str] | None:
    """The NCT IDs when ``text`` holds nothing else (comma- or space-separated)."""
    tokens = [token for token in re.split(r"[\s,]+", text.strip()) if token]
    ids = [nct_id_from_token(token) for token in tokens]
    return ids if tokens and all(ids) else None


def _split_words(text: str) -> list[str]:
    """Words and "quoted phrases", as a shell splits them.

    Only double quotes make a phrase (as in the registry's syntax): an
    apostrophe (Crohn's) and a backslash are plain characters.
    """
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    lexer.quotes = '"'
    lexer.escape = ""
    return list(lexer)


def parse_query(text: str, strict: bool = True) -> list[list[tuple[str, bool]]]:
    """Alternatives (split on OR), each a list of (term, negated).

    ``strict`` refuses unbalanced quotes (the API reports them); otherwise
    they are read as web search engines read them, quotes and all ignored.
    """
    try:
        tokens = _split_words(text)
    except ValueError as error:
        if strict:
            raise QuerySyntaxError(f"unbalanced quotes ({error})") from None
        tokens = _split_words(text.replace('"', " "))
    alternatives: list[list[tuple[str, bool]]] = [[]]
    negate = False
    for token in tokens:
        if token == "OR":
            alternatives.append([])
        elif token == "AND":
            continue
        elif token == "NOT":
            negate = True
        else:
            if token.startswith("-") and len(token) > 1:
                token, negate = token[1:], True
            token = token.strip("()")
            if token:
                alternatives[-1].append((token, negate))
            negate = False
    alternatives = [terms for terms in alternatives if terms]
    if strict and text.strip() and not alternatives:
        raise QuerySyntaxError("the query has no terms")
    if strict:
        _check_operators(tokens)
    return alternatives


_OPERATORS = ("AND", "OR", "NOT")


def _check_operators(tokens: list[str]) -> None:
    """Refuse an operator with nothing to join or exclude ("a AND", "OR b", "a AND OR b", "a NOT")."""
    words = [token for token in tokens if token.strip("()")]
    for position, token in enumerate(words):
        if token not in _OPERATORS:
            continue
        before = words[position - 1] if position else None
        after = words[position + 1] if position + 1 < len(words) else None
        if token != "NOT" and (before is None or before in _OPERATORS):
            raise QuerySyntaxError(f"'{token}' has no term before it: remove it or add a term")
        if after is None or after in ("AND", "OR"):
            what = "excludes" if token == "NOT" else "joins"
            raise QuerySyntaxError(f"'{token}' {what} nothing: add a term after it or remove it")


def wanted_terms(text: str) -> list[str]:
    """Every term ``text`` asks for, leniently read, leaving out the excluded ones."""
    return [term for alternative in parse_query(text, strict=False) for term, negated in alternative if not negated]


def check_size(text: str) -> None:
    """Refuse a text that asks for more than one request may do (``SEARCH_MAX_*`` settings).

    Every term is an index look-up (or, for places and interventions, a join
    per column), so the work grows with the terms however short they are.
    Counted as the lenient parser reads the text, which both backends accept.
    """
    alternatives = parse_query(text, strict=False)
    terms = sum(len(terms) for terms in alternatives)
    if len(alternatives) > settings.SEARCH_MAX_ALTERNATIVES:
        raise QuerySyntaxError(
            f"{len(alternatives)} alternatives joined by OR; at most {settings.SEARCH_MAX_ALTERNATIVES} are allowed"
        )
    if terms > settings.SEARCH_MAX_TERMS:
        raise QuerySyntaxError(f"{terms} terms; at most {settings.SEARCH_MAX_TERMS} are allowed")
