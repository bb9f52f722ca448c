"""What every search backend answers, and the bounds they share.

A backend is picked per database by ``search.backend()``: ``postgres.py``
(full-text search) or ``simple.py`` (term matching). Each returns querysets,
so the list page's filters, ordering and pagination compose with it.
"""

from __future__ import annotations

from typing import Protocol

from django.db.models import Exists, OuterRef, Q, QuerySet

from ..models import TrialCondition

# How many close condition names a misspelled word suggests, at most.
CLOSE_MATCHES = 5
# How many matches relevance ranking reads, at most (see PostgresBackend.ranked);
# the list page pages through that many.
RANK_CANDIDATES = 200
# A trial listing more conditions than this (a registry, a cohort of dozens of diseases) is about none
# of them in particular: a match among its conditions, or by a descriptor, earns no more than one in
# its summary, so the trials about the condition come first.
MANY_CONDITIONS = 20


def focused_q() -> Q:
    """The trials that list at most ``MANY_CONDITIONS`` conditions (one probe of the trial's index each)."""
    return ~Q(Exists(TrialCondition.objects.filter(trial=OuterRef("pk"), position__gte=MANY_CONDITIONS)))


class Backend(Protocol):
    # Whether filters may match facet tokens (fields.TokenListField).
    has_facet_tokens: bool
    # What a match in the title, conditions or interventions adds to a rank (one by the descriptor the text
    # names adds twice that): more than a match elsewhere can score, so a match in the summary or
    # description only comes last.
    head_rank: float

    def text_q(self, text: str) -> Q:
        """What ``matching`` asks of a trial, as a ``Q`` that combines with others."""

    def named_q(self, name: str) -> Q:
        """The trials that write an intervention's ``name`` (a phrase) where a trial names its interventions."""

    def matching(self, queryset: QuerySet, text: str) -> QuerySet:
        """The trials of ``queryset`` that ``text`` finds, leniently read."""

    def ranked(self, matches: QuerySet, text: str, candidates: int, boost: Q | None = None) -> QuerySet:
        """``matches`` best first (the first ``candidates`` of them where ranking is bounded).

        ``boost``: the trials that come before any that match only by text.
        """

    def headlines(self, trial_ids: list[int], text: str) -> dict[int, str]:
        """A snippet per trial id, as HTML, with the matched words in ``<mark>``."""

    def update_vectors(self, trial_ids: list[int]) -> None:
        """Bring what the index holds for these trials up to date (after a staff edit)."""

    def close_conditions(self, term: str) -> list[str]:
        """Condition names spelled like ``term``, at most ``CLOSE_MATCHES``."""
