"""What a trial's other tabs say of its Related tab."""

from __future__ import annotations

from django import template

from .. import choices, status
from ..models import SimilarTrial, Trial

register = template.Library()


@register.simple_tag
def recruiting_alternatives(trial: Trial) -> bool:
    """Whether the Related tab lists similar trials recruiting now (its ``#recruiting-heading``): one query.

    As ``related.related_trials``: a similar trial open as shown, for a trial that is not.
    """
    if trial.shown_status in choices.OPEN_STATUSES:
        return False
    return (
        Trial.objects.filter(
            pk__in=SimilarTrial.objects.filter(trial=trial).values("other"),
            overall_status__in=choices.OPEN_STATUSES,
        )
        .exclude(status.lapsed())
        .exists()
    )
