"""Search for databases without full-text search (SQLite, for ``make run``).

Case-insensitive term matching over the same texts as PostgreSQL's vector
(the ``term`` area), ranking by where the terms appear (the title counts
most, then the conditions), and difflib for misspelled conditions.
"""

from __future__ import annotations

import difflib
import functools
import operator
import re

from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When

from ..models import Condition, Intervention, Trial
from .areas import condition_area, match, match_q
from .base import CLOSE_MATCHES, focused_q
from .highlight import highlight, snippet
from .query import parse_query, wanted_terms
from .words import word_q


def _intervention_named(term: str) -> Q:
    return Q(
        Exists(Intervention.objects.filter(word_q("name", term) | word_q("other_names", term), trial=OuterRef("pk")))
    )


def _head_q(term: str) -> Q:
    return word_q("brief_title", term) | word_q("acronym", term) | condition_area(term) | _intervention_named(term)


class SimpleBackend:
    """Term matching for databases without full-text search."""

    has_facet_tokens = False
    # What a match in the title, conditions or interventions (and one by descriptor) adds to a rank:
    # more than the words can score elsewhere, so a match in the summary or description only comes after.
    head_rank = 1000

    def text_q(self, text: str) -> Q:
        return match_q(text, "term", strict=False)

    def named_q(self, name: str) -> Q:
        # Where an intervention's name is written: its title or its interventions (not every text: a
        # brand's generic and its other names add one EXISTS each, not one per area).
        return word_q("brief_title", name) | word_q("official_title", name) | _intervention_named(name)

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
        # Rank: a term in the title counts most, then conditions and interventions' names.
        score = sum(
            (
                Case(
                    When(word_q("brief_title", term) | word_q("acronym", term), then=4),
                    default=0,
                    output_field=IntegerField(),
                )
                + Case(When(condition_area(term), then=2), default=0, output_field=IntegerField())
                + Case(When(_intervention_named(term), then=2), default=0, output_field=IntegerField())
            )
            for term in terms
        )
        # Above any such sum: a trial where all the words of an alternative are in the title, conditions
        # or interventions (not the summary or description only), and one filed under the descriptor the text names.
        head = Q(pk__in=[])
        for alternative in parse_query(text, strict=False):
            wanted = [term for term, negated in alternative if not negated]
            if wanted:
                head |= functools.reduce(operator.and_, (_head_q(term) for term in wanted))
        # Neither counts for a trial of dozens of conditions (``focused_q``).
        focused = focused_q()
        score += Case(When(head & focused, then=self.head_rank), default=0, output_field=IntegerField())
        if boost is not None:
            # Worth more: the registry filed the trial under it, where the words may be apart.
            score += Case(When(boost & focused, then=2 * self.head_rank), default=0, output_field=IntegerField())
        return matched.annotate(rank=score)

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
