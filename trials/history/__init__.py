"""A trial's history: every earlier version of its record, and what each change changed.

- ``diff``: two studies in, the changes in plain words out (no database);
- ``store``: keeping the previous study around a rewrite, and reading the versions back.
"""

from . import diff
from .store import (
    VERSION_NUMBER,
    Previous,
    Version,
    keep,
    previous_versions,
    record_new,
    study_at,
    versions,
    versions_of,
)

__all__ = [
    "VERSION_NUMBER",
    "Previous",
    "Version",
    "diff",
    "keep",
    "previous_versions",
    "record_new",
    "study_at",
    "versions",
    "versions_of",
]
