"""The registry's Essie expression syntax (``filter.advanced``), read into a tree; no database.

What it reads: words and "quoted phrases" (side by side, all must match),
``AND``, ``OR``, ``NOT`` (upper case, as the registry writes them; NOT binds
tightest, then AND, then OR), parentheses, and operators that scope what
follows them: ``AREA[Piece]``, ``EXPANSION[None|Term|Concept|Relaxation|Lossy]``,
``COVERAGE[FullMatch|StartsWith|EndsWith|Contains]`` and
``SEARCH[Location](...)``; after ``AREA[...]``, ``MISSING`` and
``RANGE[from, to]`` (``MIN``/``MAX`` for an open end). The parser is lark's
LALR(1); an operator's bracket is one token, read here, so a mistake is
reported at the position of the bracket that holds it.

Positions count characters from 1. Anything malformed, unknown or too big
raises ``EssieError`` naming what and where.
"""

from __future__ import annotations

from dataclasses import dataclass

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

MAX_LENGTH = 2000
MAX_DEPTH = 12
MAX_PARTS = 100

EXPANSIONS = ("None", "Term", "Concept", "Relaxation", "Lossy")
COVERAGES = ("FullMatch", "StartsWith", "EndsWith", "Contains")
SEARCH_SCOPES = ("Location",)

_GRAMMAR = r"""
?start: or_expr
?or_expr: and_expr (_OR and_expr)*
?and_expr: not_expr (_AND? not_expr)*
?not_expr: NOT not_expr -> negation
         | operand
?operand: "(" or_expr ")"
        | AREA operand -> area
        | AREA MISSING -> missing
        | AREA RANGE -> range
        | EXPANSION operand -> expansion
        | COVERAGE operand -> coverage
        | SEARCH "(" or_expr ")" -> search
        | PHRASE -> phrase
        | WORD -> word

AREA.3: /AREA\[[^\]]*\]/
RANGE.3: /RANGE\[[^\]]*\]/
EXPANSION.3: /EXPANSION\[[^\]]*\]/
COVERAGE.3: /COVERAGE\[[^\]]*\]/
SEARCH.3: /SEARCH\[[^\]]*\]/
MISSING.2: /MISSING(?![^\s()"\[\]])/
_AND.2: /AND(?![^\s()"\[\]])/
_OR.2: /OR(?![^\s()"\[\]])/
NOT.2: /NOT(?![^\s()"\[\]])/
PHRASE: /"[^"]*"/
WORD: /[^\s()"\[\]]+/

%ignore /\s+/
"""

_PARSER = Lark(_GRAMMAR, parser="lalr", lexer="basic", propagate_positions=True, maybe_placeholders=False)


class EssieError(ValueError):
    pass


@dataclass(frozen=True)
class Text:
    """A word or a phrase."""

    text: str
    phrase: bool
    position: int


@dataclass(frozen=True)
class Range:
    area: str
    low: str | None  # None: MIN
    high: str | None  # None: MAX
    position: int  # of the bounds
    area_position: int


@dataclass(frozen=True)
class Missing:
    area: str
    position: int


@dataclass(frozen=True)
class Scoped:
    """``kind`` (area, expansion, coverage, search) set to ``value`` for ``child``."""

    kind: str
    value: str
    child: Node
    position: int


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class AllOf:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    children: tuple[Node, ...]


Node = Text | Range | Missing | Scoped | Not | AllOf | AnyOf


def _inside(token: Token) -> tuple[str, int]:
    """The text between an operator's brackets, stripped, and its position."""
    start = token.index("[") + 1
    inner = token[start:-1]
    return inner.strip(), token.column + start + (len(inner) - len(inner.lstrip()))


def _choice(token: Token, allowed: tuple[str, ...], what: str) -> str:
    value, position = _inside(token)
    for option in allowed:
        if option.lower() == value.lower():
            return option
    raise EssieError(f"unknown {what} {value!r} at position {position}; use one of {', '.join(allowed)}")


def _area(token: Token) -> tuple[str, int]:
    value, position = _inside(token)
    if not value:
        raise EssieError(f"AREA[] without a piece name at position {token.column}")
    return value, position


def _bound(text: str, open_word: str) -> str | None:
    text = text.strip()
    return None if text.upper() == open_word else text


@v_args(inline=True)
class _Tree(Transformer):
    def word(self, token: Token) -> Node:
        return Text(str(token), False, token.column)

    def phrase(self, token: Token) -> Node:
        return Text(str(token)[1:-1].strip(), True, token.column)

    def negation(self, _not: Token, child: Node) -> Node:
        return Not(child)

    def and_expr(self, *children: Node) -> Node:
        return AllOf(children)

    def or_expr(self, *children: Node) -> Node:
        return AnyOf(children)

    def area(self, token: Token, child: Node) -> Node:
        name, position = _area(token)
        return Scoped("area", name, child, position)

    def missing(self, token: Token, _missing: Token) -> Node:
        name, position = _area(token)
        return Missing(name, position)

    def range(self, token: Token, bounds: Token) -> Node:
        name, position = _area(token)
        inner, inner_position = _inside(bounds)
        parts = inner.split(",")
        if len(parts) != 2 or not all(part.strip() for part in parts):
            raise EssieError(f"RANGE needs two bounds, RANGE[from, to], at position {bounds.column}")
        low, high = _bound(parts[0], "MIN"), _bound(parts[1], "MAX")
        return Range(name, low, high, inner_position, position)

    def expansion(self, token: Token, child: Node) -> Node:
        return Scoped("expansion", _choice(token, EXPANSIONS, "expansion"), child, token.column)

    def coverage(self, token: Token, child: Node) -> Node:
        return Scoped("coverage", _choice(token, COVERAGES, "coverage"), child, token.column)

    def search(self, token: Token, child: Node) -> Node:
        return Scoped("search", _choice(token, SEARCH_SCOPES, "search scope"), child, token.column)


def _depth(text: str) -> int:
    deepest = depth = 0
    for character in text:
        if character == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif character == ")":
            depth -= 1
    return deepest


def _describe(error: UnexpectedInput, text: str) -> str:
    if isinstance(error, UnexpectedEOF) or (isinstance(error, UnexpectedToken) and error.token.type == "$END"):
        return f"the expression ends too soon (at position {len(text) + 1})"
    if isinstance(error, UnexpectedToken):
        return f"unexpected {str(error.token)!r} at position {error.column}"
    if isinstance(error, UnexpectedCharacters):
        if text[error.pos_in_stream] == '"':
            return f"unclosed quote at position {error.column}"
        return f"unexpected {text[error.pos_in_stream]!r} at position {error.column}"
    return f"malformed expression at position {getattr(error, 'column', '?')}"


def parse(text: str) -> Node:
    """``text`` as a tree; ``EssieError`` says what is wrong and where."""
    if len(text) > MAX_LENGTH:
        raise EssieError(f"longer than {MAX_LENGTH} characters")
    if not text.strip():
        raise EssieError("empty expression")
    if _depth(text) > MAX_DEPTH:
        raise EssieError(f"parentheses nested deeper than {MAX_DEPTH}")
    try:
        tree = _PARSER.parse(text)
    except UnexpectedInput as error:
        raise EssieError(_describe(error, text)) from None
    # Terms and operators alike: each is a filter (or a level of the tree) to build.
    parts = sum(1 for _ in tree.scan_values(lambda value: isinstance(value, Token)))
    if parts > MAX_PARTS:
        raise EssieError(f"{parts} terms and operators; at most {MAX_PARTS} are allowed")
    try:
        return _Tree().transform(tree)
    except VisitError as error:
        if isinstance(error.orig_exc, EssieError):
            raise error.orig_exc from None
        raise
