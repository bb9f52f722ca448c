"""Sync from an API v2 server (the registry, or another TrialPortal).

- ``client``: requests, politely and within bounds, with retries; a page
  checked to be one;
- ``run``: a run planned (continued or new, full or incremental), its pages
  imported through the importer's pipeline, checkpointed after each;
- ``lock``: one run of a source at a time.
"""

from .client import Client, Page, SourceError, parse_page, user_agent
from .lock import SyncAlreadyRunning
from .run import PAGE_SIZE, SyncRefused, last_run, last_success, plan, source_url, summary, sync

__all__ = [
    "PAGE_SIZE",
    "Client",
    "Page",
    "SourceError",
    "SyncAlreadyRunning",
    "SyncRefused",
    "last_run",
    "last_success",
    "parse_page",
    "plan",
    "source_url",
    "summary",
    "sync",
    "user_agent",
]
