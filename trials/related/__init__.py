"""More related trials: which trials resemble a trial, by how much, and why.

- ``scoring``: features, weights, scores and reasons, pure (no database);
- ``text``: words as they are compared (the ones ignored are ``stopwords.txt``);
- ``populations``: whom a trial enrols apart from what it studies;
- ``titles``: what the titles say of the point beyond the conditions list;
- ``tiers``: where a related trial ranks by the aspects it shares;
- ``store``: reading trials' features and writing the index;
- ``full``: the whole registry at once, in memory (``rebuild``);
- ``incremental``: a few trials after an import or an admin save (``refresh``);
- ``lists``: what a trial's Related tab shows.
"""

from .full import load_space, rebuild
from .incremental import REFRESH_LIMIT, after_import, pending, refresh
from .lists import RelatedTrials, related_trials
from .scoring import COVERAGE, MIN_SCORE, OPEN_SHOWN, SHOWN, SIGNALS
from .text import words

__all__ = [
    "COVERAGE",
    "MIN_SCORE",
    "OPEN_SHOWN",
    "REFRESH_LIMIT",
    "SHOWN",
    "SIGNALS",
    "RelatedTrials",
    "after_import",
    "load_space",
    "pending",
    "rebuild",
    "refresh",
    "related_trials",
    "words",
]
