"""Text search over trials, with one backend per database.

A query uses web-search syntax: terms and "quoted phrases" must all match,
``OR`` between alternatives, ``-term`` or ``NOT term`` to exclude.

``backend()`` picks by ``connection.vendor``:

- PostgreSQL: a stored, weighted ``tsvector`` (title, acronym and IDs above
  conditions, keywords and interventions, above the summary and sponsors,
  above the description) with a GIN index, ``websearch_to_tsquery`` with an
  accent-insensitive English configuration, ``ts_rank_cd`` ranking and
  ``ts_headline`` snippets; trigram matching for misspelled conditions.
- Anything else (SQLite for ``make run``): case-insensitive term matching
  over the same texts, ranking by where the terms appear, and difflib for
  misspellings.

Each returns a QuerySet, so filters, ordering and pagination compose with it.
The ``match`` function also serves the API's per-area queries.
"""

from __future__ import annotations

import re
import shlex

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Value

from . import facets
from .models import Identifier, Intervention, Site, Sponsor, TrialCondition

NCT_TOKEN = re.compile(r"^[Nn][Cc][Tt]0*([1-9]\d{0,7})$")


class QuerySyntaxError(ValueError):
    pass


def _exists(model, **lookup) -> Exists:
    return Exists(model.objects.filter(trial=OuterRef("pk"), **lookup))


def _condition_area(term: str) -> Q:
    from .models import Condition

    # Through the small table of condition names (and its trigram index),
    # then the trials' facet tokens where there are some.
    matching = Condition.objects.filter(name__icontains=term)
    if backend().has_facet_tokens:
        ids = list(matching.values_list("id", flat=True)[: MAX_TOKENS + 1])
        if len(ids) <= MAX_TOKENS:
            return Q(facet_tokens__any=facets.tokens(facets.CONDITION, ids)) if ids else Q(pk__in=[])
    return Q(_exists(TrialCondition, condition__in=matching))


def _intervention_area(term: str) -> Q:
    return (
        Q(_exists(Intervention, name__icontains=term))
        | Q(_exists(Intervention, other_names__icontains=term))
        | Q(_exists(Intervention, description__icontains=term))
    )


def _location_area(term: str) -> Q:
    return (
        Q(_exists(Site, city__icontains=term))
        | Q(_exists(Site, state__icontains=term))
        | Q(_exists(Site, country__icontains=term))
        | Q(_exists(Site, facility__icontains=term))
        | Q(_exists(Site, zip__iexact=term))
    )


def _sponsor_area(term: str) -> Q:
    return Q(_exists(Sponsor, name__icontains=term))


def _basic_area(term: str) -> Q:
    canonical = nct_id_from_token(term)
    if canonical:
        return Q(nct_id=canonical)
    return (
        Q(brief_title__icontains=term)
        | Q(official_title__icontains=term)
        | Q(acronym__icontains=term)
        | Q(brief_summary__icontains=term)
        | Q(detailed_description__icontains=term)
        | _condition_area(term)
        | _intervention_area(term)
        | _sponsor_area(term)
        | Q(_exists(Identifier, identifier__iexact=term))
    )


def count_condition_area(text: str) -> int | None:
    """How many trials ``match(..., text, "cond")`` finds, counted from the conditions' index.

    Only for one plain term (None otherwise): the trials of the conditions
    named like it, read from the (condition, trial) index without the trials.
    """
    from .models import Condition

    alternatives = parse_query(text)
    if len(alternatives) != 1 or len(alternatives[0]) != 1 or alternatives[0][0][1]:
        return None
    term = alternatives[0][0][0]
    matching = Condition.objects.filter(name__icontains=term)
    # count(DISTINCT ...) sorts the trial ids it reads; a DISTINCT subquery hashed them, three times slower.
    return TrialCondition.objects.filter(condition__in=matching).aggregate(trials=Count("trial", distinct=True))[
        "trials"
    ]


AREAS = {
    "term": _basic_area,
    "cond": _condition_area,
    "intr": _intervention_area,
    "locn": _location_area,
    "spons": _sponsor_area,
}


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
    return alternatives


def check_size(text: str) -> None:
    """Refuse a text that asks for more than one request may do (``SEARCH_MAX_*`` settings).

    Every term is an index look-up (or, for places and interventions, a join
    per column), so the work grows with the terms however short they are.
    Counted as the lenient parser reads the text, which both backends accept.
    """
    from django.conf import settings

    alternatives = parse_query(text, strict=False)
    terms = sum(len(terms) for terms in alternatives)
    if len(alternatives) > settings.SEARCH_MAX_ALTERNATIVES:
        raise QuerySyntaxError(
            f"{len(alternatives)} alternatives joined by OR; at most {settings.SEARCH_MAX_ALTERNATIVES} are allowed"
        )
    if terms > settings.SEARCH_MAX_TERMS:
        raise QuerySyntaxError(f"{terms} terms; at most {settings.SEARCH_MAX_TERMS} are allowed")


def match_area(queryset: QuerySet, text: str, area: str) -> QuerySet:
    """The API's per-area query: full-text search for ``term`` where the backend has it."""
    if area == "term" and isinstance(backend(), PostgresBackend):
        return backend().matching(queryset, text)
    return match(queryset, text, area)


def match(queryset: QuerySet, text: str, area: str = "term", strict: bool = True) -> QuerySet:
    """Trials of ``queryset`` matching ``text`` in ``area`` (see ``AREAS``)."""
    alternatives = parse_query(text, strict)
    if not alternatives:
        return queryset
    builder = AREAS[area]
    combined = Q()
    for terms in alternatives:
        group = Q()
        for term, negated in terms:
            group &= ~builder(term) if negated else builder(term)
        combined |= group
    return queryset.filter(combined)


# Full-text search -----------------------------------------------------------

SNIPPET_START, SNIPPET_STOP = "\x02", "\x03"
CLOSE_MATCHES = 5
# Most tokens a filter asks for at once (conditions named like a word); past it, a join.
MAX_TOKENS = 500
# How many matches relevance ranking reads, at most (see PostgresBackend.ranked).
RANK_CANDIDATES = 200


def highlight(text: str) -> str:
    """Undo markdown escapes, escape HTML, and turn the backend's markers into ``<mark>``."""
    from django.utils.html import escape

    from .criteria import unescape

    return escape(unescape(text)).replace(SNIPPET_START, "<mark>").replace(SNIPPET_STOP, "</mark>")


class PostgresBackend:
    config = "trialportal"
    # Filters match facet tokens (fields.TokenListField).
    has_facet_tokens = True

    def query(self, text: str):
        from django.contrib.postgres.search import SearchQuery

        return SearchQuery(text, search_type="websearch", config=self.config)

    def matching(self, queryset: QuerySet, text: str) -> QuerySet:
        return queryset.filter(search_vector=self.query(text))

    def ranked(self, matches: QuerySet, text: str) -> QuerySet:
        """The best of the first ``RANK_CANDIDATES`` matches, best first.

        Ranking reads every candidate's whole vector, so it is bounded: a rare
        or specific query has fewer matches than that and is ranked entirely;
        a very common term ranks the first matches the index yields.
        """
        from django.contrib.postgres.search import SearchRank
        from django.db.models import F

        from .models import Trial

        query = self.query(text)
        candidates = matches.order_by().values("pk")[:RANK_CANDIDATES]
        # Cover density rewards terms found together; normalization 32 scales into 0..1.
        return (
            Trial.objects.filter(pk__in=candidates)
            .annotate(rank=SearchRank(F("search_vector"), query, cover_density=True, normalization=32))
            .order_by(F("rank").desc(), *Trial._meta.ordering)
        )

    def headlines(self, trial_ids: list[int], text: str) -> dict[int, str]:
        from django.contrib.postgres.search import SearchHeadline
        from django.db.models.functions import Coalesce, NullIf

        from .models import Trial

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
        from django.db import connection

        from .models import Trial

        trials = list(Trial.objects.filter(pk__in=trial_ids).for_detail())
        if not trials:
            return
        documents = [trial_documents(trial) for trial in trials]
        vector = VECTOR_SQL.format(a="v.a", b="v.b", c="v.c", d="v.d")
        with connection.cursor() as cursor:
            cursor.execute(
                f"""UPDATE trials_trial AS t SET search_vector = {vector}, facet_tokens = {FACETS_FROM_ROWS}
                FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[]) AS v(id, a, b, c, d)
                WHERE t.id = v.id""",
                [[trial.pk for trial in trials], *([document[i] for document in documents] for i in range(4))],
            )

    def close_conditions(self, term: str) -> list[str]:
        from django.contrib.postgres.search import TrigramWordSimilarity
        from django.db.models.functions import Lower

        from .models import Condition

        # LOWER(name) %> term: served by the trigram index on LOWER(name).
        return list(
            Condition.objects.annotate(lower_name=Lower("name"))
            .filter(lower_name__trigram_word_similar=term.lower())
            .annotate(similarity=TrigramWordSimilarity(term.lower(), "lower_name"))
            .order_by("-similarity", "name")
            .values_list("name", flat=True)[:CLOSE_MATCHES]
        )


# The weighted vector from the four documents of ``search_documents``.
VECTOR_SQL = (
    "setweight(to_tsvector('trialportal', {a}), 'A') || setweight(to_tsvector('trialportal', {b}), 'B')"
    " || setweight(to_tsvector('trialportal', {c}), 'C') || setweight(to_tsvector('trialportal', {d}), 'D')"
)
DESCRIPTION_LIMIT = 50_000

# A stored trial ``t``'s facet tokens (see ``fields.TokenListField`` and migration 0012).
FACETS_FROM_ROWS = """trials_facet_tokens(
    t.overall_status, t.phases, t.study_type, t.allocation, t.sex, t.healthy_volunteers, t.has_results,
    (SELECT agency_class FROM trials_sponsor WHERE trial_id = t.id AND is_lead ORDER BY position LIMIT 1),
    ARRAY(SELECT country FROM trials_site WHERE trial_id = t.id ORDER BY position, id),
    ARRAY(SELECT city FROM trials_site WHERE trial_id = t.id ORDER BY position, id),
    ARRAY(SELECT condition_id FROM trials_trialcondition WHERE trial_id = t.id),
    ARRAY(SELECT type FROM trials_intervention WHERE trial_id = t.id)
)"""


def search_documents(
    *,
    nct_id: str,
    titles: list[str],
    identifiers: list[str],
    conditions: list[str],
    keywords: list[str],
    interventions: list[str],
    brief_summary: str,
    sponsors: list[str],
    detailed_description: str,
) -> tuple[str, str, str, str]:
    """What a trial's search vector is made of, by weight.

    A: NCT ID, titles, acronym and other IDs; B: conditions, keywords and
    interventions (names and other names); C: the brief summary and sponsors;
    D: the detailed description. The importer and staff edits both build the
    vector from this, so a trial is found the same way however it arrived.
    """
    return (
        " ".join([nct_id, *titles, *identifiers]),
        " ".join([*conditions, *keywords, *interventions]),
        " ".join([brief_summary, *sponsors]),
        detailed_description[:DESCRIPTION_LIMIT],
    )


def trial_documents(trial) -> tuple[str, str, str, str]:
    """``search_documents`` of a stored trial (from ``Trial.objects.for_detail()``)."""
    return search_documents(
        nct_id=trial.nct_id,
        titles=[trial.brief_title, trial.official_title, trial.acronym],
        identifiers=[identifier.identifier for identifier in trial.identifiers.all()],
        conditions=trial.condition_names,
        keywords=list(trial.keywords),
        interventions=[name for item in trial.interventions.all() for name in (item.name, *item.other_names)],
        brief_summary=trial.brief_summary,
        sponsors=[sponsor.name for sponsor in trial.sponsors.all()],
        detailed_description=trial.detailed_description,
    )


class SimpleBackend:
    """Term matching for databases without full-text search."""

    has_facet_tokens = False

    def matching(self, queryset: QuerySet, text: str) -> QuerySet:
        return match(queryset, text, "term", strict=False)

    def ranked(self, matches: QuerySet, text: str) -> QuerySet:
        from django.db.models import F

        from .models import Trial

        # Equal ranks in the trials' own order: most recently updated first.
        return self._scored(matches, text).order_by(F("rank").desc(), *Trial._meta.ordering)

    def _scored(self, matched: QuerySet, text: str) -> QuerySet:
        from django.db.models import Case, IntegerField, When

        terms = [
            term for alternative in parse_query(text, strict=False) for term, negated in alternative if not negated
        ]
        if not terms:
            return matched.annotate(rank=Value(0.0))
        # Rank: a term in the title counts most, then conditions, then anything else.
        score = sum(
            (
                Case(
                    When(Q(brief_title__icontains=term) | Q(acronym__icontains=term), then=4),
                    default=0,
                    output_field=IntegerField(),
                )
                + Case(When(_condition_area(term), then=2), default=0, output_field=IntegerField())
            )
            for term in terms
        )
        return matched.annotate(rank=score)

    def headlines(self, trial_ids: list[int], text: str) -> dict[int, str]:
        from .models import Trial

        terms = [
            term for alternative in parse_query(text, strict=False) for term, negated in alternative if not negated
        ]
        rows = Trial.objects.filter(pk__in=trial_ids).values_list("pk", "brief_summary", "brief_title")
        return {pk: highlight(_snippet(summary or title, terms)) for pk, summary, title in rows}

    def update_vectors(self, trial_ids: list[int]) -> None:
        """Nothing to keep: matching reads the texts themselves."""

    def close_conditions(self, term: str) -> list[str]:
        import difflib

        from .models import Condition

        words: dict[str, set[str]] = {}
        for name in Condition.objects.values_list("name", flat=True).iterator():
            for word in re.findall(r"\w+", name.casefold()):
                words.setdefault(word, set()).add(name)
        close = difflib.get_close_matches(term.casefold(), list(words), n=CLOSE_MATCHES, cutoff=0.75)
        return sorted({name for word in close for name in words[word]})[:CLOSE_MATCHES]


def _snippet(text: str, terms: list[str], width: int = 240) -> str:
    lowered = text.casefold()
    positions = [lowered.find(term.casefold()) for term in terms if term.casefold() in lowered]
    start = max(min(positions) - 60, 0) if positions else 0
    snippet = text[start : start + width]
    if terms:
        pattern = re.compile("|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
        snippet = pattern.sub(lambda found: f"{SNIPPET_START}{found.group(0)}{SNIPPET_STOP}", snippet)
    return ("… " if start else "") + snippet + (" …" if start + width < len(text) else "")


def backend() -> PostgresBackend | SimpleBackend:
    from django.db import connection

    return PostgresBackend() if connection.vendor == "postgresql" else SimpleBackend()
