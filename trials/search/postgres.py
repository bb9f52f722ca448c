"""Full-text search on PostgreSQL.

A stored, weighted ``tsvector`` (see ``index.py``) with a GIN index,
``websearch_to_tsquery`` with an accent-insensitive English configuration
(``trialportal``), ``ts_rank_cd`` ranking and ``ts_headline`` snippets;
trigram matching for misspelled conditions.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, TrigramWordSimilarity
from django.db import DatabaseError
from django.db.models import BooleanField, Case, F, FloatField, Func, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Lower, NullIf
from django.db.models.lookups import Exact

from ..db import reading_connection
from ..models import Condition, Trial
from . import index
from .base import CLOSE_MATCHES, focused_q
from .highlight import SNIPPET_START, SNIPPET_STOP, highlight


@contextmanager
def index_scans() -> Iterator[None]:
    """Within: PostgreSQL finds a text's matches through the GIN index, not by reading the table in order.

    The planner prices ``@@`` on a stored vector like a comparison, while each
    test unpacks a vector of kilobytes: for the first matches of a text that
    a few percent of trials match, it would read thousands of rows in order.
    Set where the matches are read (a visitor's replica).
    """
    reading = reading_connection()
    if reading.vendor != "postgresql":
        yield
        return
    with reading.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_seqscan'), set_config('enable_seqscan', 'off', false)")
        previous = cursor.fetchone()[0]
    try:
        yield
    finally:
        try:
            with reading.cursor() as cursor:
                cursor.execute("SELECT set_config('enable_seqscan', %s, false)", [previous])
        except DatabaseError:
            pass  # in a failed transaction, whose rollback undoes the setting


class HeadMatch(Func):
    """Whether a query matches the words of weight A or B alone (``ts_filter``): titles, conditions, interventions."""

    output_field = BooleanField()

    def __init__(self, vector, query):
        super().__init__(vector, query)

    def as_sql(self, compiler, connection, **extra):
        vector, vector_params = compiler.compile(self.source_expressions[0])
        query, query_params = compiler.compile(self.source_expressions[1])
        return f"(ts_filter({vector}, '{{a,b}}') @@ {query})", (*vector_params, *query_params)


class PostgresBackend:
    config = "trialportal"
    # Filters match facet tokens (fields.TokenListField).
    has_facet_tokens = True
    # What a match in the title, conditions or interventions (and one by descriptor) adds to a rank (see ``ranked``).
    head_rank = 1.0

    def query(self, text: str) -> SearchQuery:
        return SearchQuery(text, search_type="websearch", config=self.config)

    def text_q(self, text: str) -> Q:
        query = self.query(text)
        # Stop words alone ("in", "the") make no lexemes: the empty query matches no vector, and
        # "bowel cancer in" would find nothing. Asking for nothing, such a text matches every trial;
        # for a query with lexemes the planner folds the test away and the GIN index serves the match.
        stop_words_only = Exact(Func(query, function="numnode", output_field=IntegerField()), 0)
        return Q(search_vector=query) | Q(stop_words_only)

    def named_q(self, name: str) -> Q:
        return self.text_q(f'"{name}"')

    def matching(self, queryset: QuerySet, text: str) -> QuerySet:
        return queryset.filter(self.text_q(text))

    def ranked(self, matches: QuerySet, text: str, candidates: int, boost: Q | None = None) -> QuerySet:
        """The best of the first ``candidates`` matches, best first.

        Ranking reads every candidate's whole vector, so it is bounded: a rare
        or specific query has fewer matches than that and is ranked entirely;
        a very common term ranks the first matches the index yields.
        """
        query = self.query(text)
        first = matches.order_by().values("pk")[:candidates]
        # Cover density rewards terms found together; normalization 32 scales into 0..1, so a match in
        # the title, conditions or interventions (worth 1) and one by the descriptor the text names
        # (``boost``, worth 2: the registry filed the trial under it, where the words may be apart)
        # come before a match in the summary or description only, however often repeated.
        rank = SearchRank(F("search_vector"), query, cover_density=True, normalization=32)
        # Neither counts for a trial of dozens of conditions (``focused_q``).
        focused = focused_q()
        rank = rank + Case(
            When(Q(HeadMatch(F("search_vector"), query)) & focused, then=Value(self.head_rank)),
            default=Value(0.0),
            output_field=FloatField(),
        )
        if boost is not None:
            rank = rank + Case(
                When(boost & focused, then=Value(2 * self.head_rank)), default=Value(0.0), output_field=FloatField()
            )
        return Trial.objects.filter(pk__in=first).annotate(rank=rank).order_by(F("rank").desc(), *Trial._meta.ordering)

    def headlines(self, trial_ids: list[int], text: str) -> dict[int, str]:
        if not trial_ids:
            return {}
        rows = Trial.objects.filter(pk__in=trial_ids).annotate(
            snippet=SearchHeadline(
                Coalesce(NullIf("brief_summary", Value("")), "brief_title"),
                self.query(text),
                config=self.config,
                start_sel=SNIPPET_START,
                stop_sel=SNIPPET_STOP,
                max_words=40,
                min_words=20,
                max_fragments=2,
                fragment_delimiter=" … ",
            )
        )
        return {pk: highlight(snippet) for pk, snippet in rows.values_list("pk", "snippet")}

    def update_vectors(self, trial_ids: list[int]) -> None:
        """Recompute the vectors and facet tokens of these trials from what is stored (after a staff edit)."""
        index.update_vectors(trial_ids)

    def close_conditions(self, term: str) -> list[str]:
        # LOWER(name) %> term: served by the trigram index on LOWER(name).
        return list(
            Condition.objects.annotate(lower_name=Lower("name"))
            .filter(lower_name__trigram_word_similar=term.lower())
            .annotate(similarity=TrigramWordSimilarity(term.lower(), "lower_name"))
            .order_by("-similarity", "name")
            .values_list("name", flat=True)[:CLOSE_MATCHES]
        )
