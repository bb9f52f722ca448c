"""What a trial's Related tab shows: the record's own list, then the computed ones."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import OuterRef, Q, Subquery

from .. import choices, status
from ..models import SimilarTrial, Trial
from .scoring import OPEN_SHOWN, SHOWN


@dataclass
class RelatedTrials:
    """What a trial's Related tab shows: the record's own list, then the computed ones."""

    listed: list  # RelatedTrial rows, with ``on_file`` set to the trial on file or None
    more: list  # SimilarTrial rows (``other`` loaded), best first
    recruiting: list  # SimilarTrial rows of trials a patient could still join


def related_trials(trial: Trial) -> RelatedTrials:
    """The Related tab's lists for a trial from ``Trial.objects.for_detail()``: one query.

    The listed trials on file and the similar ones are read together, each
    similar one with its score and reasons.
    """
    listed = list(trial.listed_related_trials)
    match = SimilarTrial.objects.filter(trial=trial, other=OuterRef("pk"))
    others = (
        Trial.objects.filter(
            Q(nct_id__in=[item.nct_id for item in listed])
            | Q(pk__in=SimilarTrial.objects.filter(trial=trial).values("other"))
        )
        .annotate(
            match_id=Subquery(match.values("id")),
            match_score=Subquery(match.values("score")),
            match_reasons=Subquery(match.values("reasons")),
            match_tier=Subquery(match.values("tier")),
        )
        .only("id", "nct_id", "brief_title", "phases", *status.COLUMNS)
    )
    on_file = {}
    similar = []
    for other in others:
        on_file[other.nct_id] = other
        if other.match_id is not None:
            similar.append(
                SimilarTrial(
                    id=other.match_id,
                    trial=trial,
                    other=other,
                    score=other.match_score,
                    reasons=other.match_reasons,
                    tier=other.match_tier,
                )
            )
    for item in listed:
        item.on_file = on_file.get(item.nct_id)
    # As stored: what a trial shares with this one (``tiers.Tier``) ranks before its score.
    similar.sort(key=lambda item: (item.tier, -item.score, item.other_id))
    return RelatedTrials(listed, similar[:SHOWN], recruiting_now(trial, similar)[:OPEN_SHOWN])


def recruiting_now(trial: Trial, similar: Iterable[SimilarTrial]) -> list[SimilarTrial]:
    """The similar trials a patient could join instead (``other`` loaded): open as shown, for a trial that is not.

    A lapsed "Recruiting" is no alternative for a patient. The Related tab
    lists them ("Recruiting now"); the other tabs point there when there are
    some (``has_recruiting_alternatives``). ``similar`` is read only for a
    trial that is not open.
    """
    if trial.shown_status in choices.OPEN_STATUSES:
        return []
    return [item for item in similar if item.other.shown_status in choices.OPEN_STATUSES]


def has_recruiting_alternatives(trial: Trial) -> bool:
    """Whether the Related tab lists trials recruiting now (``recruiting_now``): one query, none for an open trial."""
    similar = (
        SimilarTrial.objects.filter(trial=trial)
        .select_related("other")
        .only("other", *(f"other__{column}" for column in status.COLUMNS))
    )
    return bool(recruiting_now(trial, similar))
