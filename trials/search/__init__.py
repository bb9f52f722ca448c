"""Text search over trials, with one backend per database.

``backend()`` picks by ``connection.vendor``: ``postgres.py`` (full-text
search on a stored, weighted vector) or ``simple.py`` (term matching, for
SQLite). Each returns a QuerySet, so filters, ordering and pagination
compose with it; ``base.py`` says what they answer.

The rest of the package, by job: ``query.py`` (the query grammar, NCT IDs,
the size caps; no database), ``areas.py`` (term matching by area, the API's
``query.*`` parameters), ``index.py`` (what the vector and the facet tokens
are made of, and the SQL that writes them on import and after an edit),
``highlight.py`` (snippets with the matched words marked), ``counts.py`` (a
condition query's exact count from the link tables), ``vocabulary.py``
(MeSH descriptors and our everyday words), ``aliases.py`` (the names the
records give one intervention: brand and generic) and ``expand.py`` (a text
widened by the descriptors and names its phrases name, and misspelled words
corrected). The names other
rooms use are re-exported here: ``from trials import search; search.X``.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Q, QuerySet

from . import aliases, vocabulary
from .areas import AREAS, count_condition_area, match, match_q
from .base import CLOSE_MATCHES, RANK_CANDIDATES, Backend
from .counts import count_linked
from .expand import (
    COUNTRIES,
    DESCRIPTORS,
    NAMES,
    WIDENINGS,
    Added,
    AlsoCalled,
    Reading,
    area_q,
    correct,
    correctable,
    descriptor_q,
    read,
)
from .highlight import SNIPPET_START, SNIPPET_STOP, highlight
from .index import (
    DESCRIPTION_LIMIT,
    FACET_COLUMNS,
    FACETS_FROM_ROWS,
    FACETS_FROM_STAGING,
    MAX_TOKENS,
    VECTOR_SQL,
    insert_trials_with_vectors,
    search_documents,
    trial_documents,
)
from .postgres import PostgresBackend, index_scans
from .query import (
    QuerySyntaxError,
    TrailingPlace,
    check_size,
    nct_id_from_token,
    only_nct_ids,
    parse_query,
    trailing_place,
    wanted_terms,
)
from .simple import SimpleBackend
from .words import word_q

__all__ = [
    "aliases",
    "Added",
    "AlsoCalled",
    "AREA_WIDENINGS",
    "area_q",
    "Reading",
    "correct",
    "correctable",
    "descriptor_q",
    "read",
    "AREAS",
    "CLOSE_MATCHES",
    "DESCRIPTION_LIMIT",
    "FACETS_FROM_ROWS",
    "FACETS_FROM_STAGING",
    "FACET_COLUMNS",
    "MAX_TOKENS",
    "RANK_CANDIDATES",
    "SNIPPET_START",
    "SNIPPET_STOP",
    "VECTOR_SQL",
    "Backend",
    "PostgresBackend",
    "QuerySyntaxError",
    "SimpleBackend",
    "TrailingPlace",
    "backend",
    "check_size",
    "count_condition_area",
    "count_linked",
    "highlight",
    "index_scans",
    "insert_trials_with_vectors",
    "match",
    "matched_area_q",
    "widened_area_q",
    "nct_id_from_token",
    "only_nct_ids",
    "parse_query",
    "search_documents",
    "trailing_place",
    "trial_documents",
    "vocabulary",
    "wanted_terms",
    "word_q",
]


def backend() -> PostgresBackend | SimpleBackend:
    return PostgresBackend() if connection.vendor == "postgresql" else SimpleBackend()


# What the API's areas widen a text by, as the list page does (``expand.read``): the text box's area
# by everything, the conditions by descriptors, the interventions by descriptors and other names
# (brand <-> generic), the locations by countries' other names; the patient's terms by other names.
AREA_WIDENINGS: dict[str, frozenset[str]] = {
    "term": WIDENINGS,
    "patient": frozenset({NAMES}),
    "cond": frozenset({DESCRIPTORS}),
    "intr": frozenset({DESCRIPTORS, NAMES}),
    "locn": frozenset({COUNTRIES}),
}
# The areas whose misspelled words are corrected when the text as typed finds nothing.
CORRECTED_AREAS = ("term", "patient", "cond", "intr")


def widened_area_q(text: str, area: str) -> Q:
    """What the API's area ``area`` asks of a trial for ``text``, widened as ``AREA_WIDENINGS`` says.

    Full-text search for ``term`` where the backend has it.
    """
    chosen = backend()
    if area == "term" and isinstance(chosen, PostgresBackend):
        term_q = chosen.text_q
    else:

        def term_q(text: str) -> Q:
            return match_q(text, area, strict=False, tokens=chosen.has_facet_tokens)

    widen = AREA_WIDENINGS.get(area)
    widened = area_q(text, term_q, widen, chosen.has_facet_tokens) if widen else None
    return widened if widened is not None else term_q(text)


def matched_area_q(queryset: QuerySet, text: str, area: str) -> Q:
    """What the API's area ``area`` asks of the trials of ``queryset`` for ``text`` (``widened_area_q``).

    Its misspelled words are corrected when it finds nothing, as the list page corrects a search (``correct``).
    """
    widened = widened_area_q(text, area)
    if area not in CORRECTED_AREAS:
        return widened
    # Asked first: most texts have no word to correct (every word known), and then no query is
    # needed to learn whether the text as typed finds nothing.
    found = correct(text)
    if found and not queryset.filter(widened).exists():
        return widened_area_q(found[0], area)
    return widened
