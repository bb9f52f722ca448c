"""Importers: from files to the database (``parse → record → save``).

- ``sources``: finding documents in paths, directories and ZIPs, reading
  each one within the study limit, detecting its format;
- ``page``: the trial-page parser (the seed's format); ClinicalTrials.gov
  JSON is read by ``trials.ctgov``;
- ``writer``: record → rows, and what changed;
- ``pipeline``: worker processes, batches, the writer thread, the report;
- ``bulk``: what a large import drops and rebuilds once (PostgreSQL).

The importers report which trials changed (``ImportReport.changed``) and
know nothing of related trials: the caller refreshes those.
"""

from .bulk import BULK_LOAD_FROM, RESTORE_CONNECTIONS, bulk_load, restore_deferred, worth_bulk_loading
from .pipeline import BATCH_SIZE, ImportReport, default_workers, import_documents, import_paths
from .sources import (
    SEED_DOCUMENT,
    ImportFailure,
    UnknownFormat,
    count_documents,
    max_study_bytes,
    read_document,
)

__all__ = [
    "BATCH_SIZE",
    "BULK_LOAD_FROM",
    "RESTORE_CONNECTIONS",
    "SEED_DOCUMENT",
    "ImportFailure",
    "ImportReport",
    "UnknownFormat",
    "bulk_load",
    "count_documents",
    "default_workers",
    "import_documents",
    "import_paths",
    "max_study_bytes",
    "read_document",
    "restore_deferred",
    "worth_bulk_loading",
]
