"""What a trial's other tabs say of its Related tab."""

from __future__ import annotations

from django import template

from ..models import Trial
from ..related.lists import has_recruiting_alternatives

register = template.Library()


@register.simple_tag
def recruiting_alternatives(trial: Trial) -> bool:
    """Whether the Related tab lists similar trials recruiting now (its ``#recruiting-heading``): one query."""
    return has_recruiting_alternatives(trial)
