"""What a trial's Related tab shows: the record's own list, then the computed ones."""

from __future__ import annotations

from dataclasses import dataclass

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
    """The Related tab's lists for a trial from ``Trial.objects.for_detail()``: two queries."""
    listed = list(trial.listed_related_trials)
    on_file = {
        other.nct_id: other
        for other in Trial.objects.filter(nct_id__in=[item.nct_id for item in listed]).only(
            "id", "nct_id", "brief_title", "phases", *status.COLUMNS
        )
    }
    for item in listed:
        item.on_file = on_file.get(item.nct_id)
    similar = list(
        SimilarTrial.objects.filter(trial=trial)
        .select_related("other")
        .only(
            "score",
            "reasons",
            "trial_id",
            "other__nct_id",
            "other__brief_title",
            "other__phases",
            *(f"other__{column}" for column in status.COLUMNS),
        )
    )
    recruiting = []
    # Open as shown: a lapsed "Recruiting" is no alternative for a patient.
    if trial.shown_status not in choices.OPEN_STATUSES:
        recruiting = [item for item in similar if item.other.shown_status in choices.OPEN_STATUSES]
        recruiting = recruiting[:OPEN_SHOWN]
    return RelatedTrials(listed, similar[:SHOWN], recruiting)
