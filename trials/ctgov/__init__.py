"""ClinicalTrials.gov's shape, with no database: what a study is and how it maps to a record.

- ``elements``: values at paths in a study's JSON, read and written by kind;
- ``records``: the plain record every importer produces and the writer saves;
- ``mapping``: the protocol's elements as rows (model field, JSON path, kind);
- ``results``: posted results as a tree of rows;
- ``reader``: a study → a record (``study_to_record``).

Writing stored trials back in this shape is ``trials.exports``.
"""

from .elements import StudyError, get_path, set_path
from .mapping import COVERED_PATHS
from .reader import project, record_to_results, study_to_record
from .records import RecordError, TrialRecord

__all__ = [
    "COVERED_PATHS",
    "RecordError",
    "StudyError",
    "TrialRecord",
    "get_path",
    "project",
    "record_to_results",
    "set_path",
    "study_to_record",
]
