"""Search for databases without full-text search (SQLite, for ``make run``).

Case-insensitive term matching over the same texts as PostgreSQL's vector
(the ``term`` area), ranking by where the terms appear (the title counts
most, then the conditions), and difflib for misspelled conditions.
"""

from __future__ import annotations

import difflib
import re

from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When

from ..models import Condition, Trial
from .areas import condition_area, match, match_q
from .base import CLOSE_MATCHES
from .highlight import highlight, snippet
from .query import wanted_terms


class SimpleBackend:
    """Term matching for databases without full-text search."""

    has_facet_tokens = False

    def text_q(self, text: str) -> Q:
        return match_q(text, "term", strict=False)

    def matching(self, queryset: QuerySet, text: str) -> QuerySet:
        return match(queryset, text, "term", strict=False)

    def ranked(self, matches: QuerySet, text: str, candidates: int, boost: Q | None = None) -> QuerySet:
        # Every match is scored (``candidates`` bounds only PostgreSQL's reading of vectors);
        # equal ranks in the trials' own order: most recently updated first.
        return self._scored(matches, text, boost).order_by(F("rank").desc(), *Trial._meta.ordering)

    def _scored(self, matched: QuerySet, text: str, boost: Q | None = None) -> QuerySet:
        terms = wanted_terms(text)
        if not terms:
            return matched.annotate(rank=Value(0.0))
        # A trial filed under the descriptor the text names outranks any that only write the words.
        filed = Case(When(boost, then=100), default=0, output_field=IntegerField()) if boost is not None else 0
        # Rank: a term in the title counts most, then conditions, then anything else.
        score = sum(
            (
                Case(
                    When(Q(brief_title__icontains=term) | Q(acronym__icontains=term), then=4),
                    default=0,
                    output_field=IntegerField(),
                )
                + Case(When(condition_area(term), then=2), default=0, output_field=IntegerField())
            )
            for term in terms
        )
        return matched.annotate(rank=score + filed)

    def headlines(self, trial_ids: list[int], text: str) -> dict[int, str]:
        terms = wanted_terms(text)
        rows = Trial.objects.filter(pk__in=trial_ids).values_list("pk", "brief_summary", "brief_title")
        return {pk: highlight(snippet(summary or title, terms)) for pk, summary, title in rows}

    def update_vectors(self, trial_ids: list[int]) -> None:
        """Nothing to keep: matching reads the texts themselves."""

    def close_conditions(self, term: str) -> list[str]:
        words: dict[str, set[str]] = {}
        for name in Condition.objects.values_list("name", flat=True).iterator():
            for word in re.findall(r"\w+", name.casefold()):
                words.setdefault(word, set()).add(name)
        close = difflib.get_close_matches(term.casefold(), list(words), n=CLOSE_MATCHES, cutoff=0.75)
        return sorted({name for word in close for name in words[word]})[:CLOSE_MATCHES]
