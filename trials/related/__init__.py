"""More related trials: which trials resemble a trial, by how much, and why.

- ``scoring``: features, weights, scores and reasons, pure (no database);
  the words it ignores are ``stopwords.txt``;
- ``store``: reading trials' features and writing the index;
- ``full``: the whole registry at once, in memory (``rebuild``);
- ``incremental``: a few trials after an import or an admin save (``refresh``);
- ``lists``: what a trial's Related tab shows.
"""

from .full import load_space, rebuild
from .incremental import REFRESH_LIMIT, after_import, pending, refresh
from .lists import RelatedTrials, related_trials
from .scoring import COVERAGE, MIN_SCORE, OPEN_SHOWN, SHOWN, SIGNALS, words

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
