"""A sync run: pages of studies from the source, each imported and checkpointed in one transaction.

A full run pages through every study; an incremental one asks only for
those last updated since the last successful run began, a day earlier for
overlap. Each page goes through the importer's pipeline (validation,
unchanged detection, the report) inside a transaction that also moves the
checkpoint on: a run killed halfway has written whole pages only, and the
next run of the same source continues from the first page it did not write.
"""

from __future__ import annotations

import datetime
import urllib.parse
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import pages, related
from ..importers import import_documents
from ..importers.writer import Outcome
from ..models import SyncCheckpoint, VersionSource
from .client import Client, SourceError
from .lock import source_lock

PAGE_SIZE = 1000
MAX_URL_LENGTH = SyncCheckpoint._meta.get_field("source_url").max_length
# What a source answers to a page token it no longer takes.
STALE_TOKEN_STATUSES = {400, 404, 410}
# Failures kept in the checkpoint's message; the count holds them all.
MAX_FAILURES_KEPT = 20
Mode = SyncCheckpoint.Mode
Result = SyncCheckpoint.Outcome


class SyncRefused(ValueError):
    """The run was asked for something it cannot do (a source that is no http(s) URL)."""


def source_url(value: str | None) -> str:
    url = (value or settings.SYNC_SOURCE_URL).strip().rstrip("/")
    parts = urllib.parse.urlsplit(url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or len(url) > MAX_URL_LENGTH
    ):
        raise SyncRefused(f"--from must be the http(s) address of an API v2 server, not {(value or url)[:100]!r}")
    return url


def last_success(source: str | None = None) -> SyncCheckpoint | None:
    """The latest successful run, of ``source`` or of any."""
    runs = SyncCheckpoint.objects.filter(outcome=Result.SUCCEEDED)
    return (runs.filter(source_url=source) if source else runs).first()


def last_run() -> SyncCheckpoint | None:
    """The latest run of any source, for the version endpoint and the About the data page."""
    return SyncCheckpoint.objects.exclude(outcome=Result.ABANDONED).first()


def plan(source: str, full: bool = False, since: datetime.date | None = None) -> SyncCheckpoint:
    """The run to do: an unfinished one continued, or a new one.

    The source's latest run, when it stopped before its last page (killed,
    or failed at its checkpoint), is continued: whatever it was without
    ``full`` or ``since``, only if it asked for the same thing with them (a
    killed run that is not continued is marked abandoned). Otherwise a new
    run is incremental from the start of the last successful one, with a
    day of overlap, or full when there is none.
    """
    explicit = full or since is not None
    if since:
        mode = Mode.INCREMENTAL
    elif full:
        mode = Mode.FULL
    else:
        previous = last_success(source)
        mode = Mode.INCREMENTAL if previous else Mode.FULL
        since = previous.started_at.date() - datetime.timedelta(days=1) if previous else None
    latest = SyncCheckpoint.objects.filter(source_url=source).first()
    unfinished = latest and latest.outcome in (Result.RUNNING, Result.FAILED) and latest.next_page_token
    if unfinished and (not explicit or (latest.mode == mode and (mode == Mode.FULL or latest.since == since))):
        return latest
    if latest and latest.outcome == Result.RUNNING:
        latest.outcome, latest.finished_at = Result.ABANDONED, timezone.now()
        latest.save(update_fields=["outcome", "finished_at"])
    return SyncCheckpoint(source_url=source, mode=mode, since=since, started_at=timezone.now())


def sync(
    source: str | None = None,
    full: bool = False,
    since: datetime.date | None = None,
    page_size: int = PAGE_SIZE,
    client: Client | None = None,
    on_page: Callable[[SyncCheckpoint, int], None] | None = None,
) -> SyncCheckpoint:
    """Run (or continue) a sync of ``source``; the checkpoint returned says how it ended.

    ``on_page`` is called after each page is written, with the checkpoint and
    the page's number of studies. A source that cannot give a page (after the
    client's retries) or answers garbage ends the run as failed at its
    checkpoint, and is not raised. The related lists of the trials that
    changed are refreshed at the end, whatever the outcome. While another
    run of the same source goes on, ``SyncAlreadyRunning`` is raised before
    anything is read or written.
    """
    url = source_url(source)
    with source_lock(url):
        return _run(url, full, since, page_size, client, on_page)


def _run(
    url: str,
    full: bool,
    since: datetime.date | None,
    page_size: int,
    client: Client | None,
    on_page: Callable[[SyncCheckpoint, int], None] | None,
) -> SyncCheckpoint:
    checkpoint = plan(url, full=full, since=since)
    client = client or Client(url)
    resumed_requests = checkpoint.requests
    if checkpoint.pk is None or checkpoint.outcome != Result.RUNNING:
        checkpoint.outcome, checkpoint.finished_at, checkpoint.message = Result.RUNNING, None, ""
        checkpoint.save()
    params = {"format": "json", "pageSize": str(page_size)}
    if checkpoint.mode == Mode.INCREMENTAL:
        params["filter.advanced"] = f"AREA[LastUpdatePostDate]RANGE[{checkpoint.since.isoformat()},MAX]"
    changed: list[str] = []
    failures: list[str] = []
    # Every token this run was given: one given again means the source loops.
    seen = {checkpoint.next_page_token} - {""}
    # The tokens this process was given, as opposed to one kept from an earlier run.
    seen_here: set[str] = set()
    try:
        while True:
            token = checkpoint.next_page_token
            query = {**params, "pageToken": token} if token else {**params, "countTotal": "true"}
            try:
                page = client.studies_page(query)
            except SourceError as error:
                if token and token not in seen_here and error.status in STALE_TOKEN_STATUSES:
                    # A token kept from an earlier run that the source no longer takes (the registry's
                    # expire): that run cannot be continued, so this one starts afresh.
                    _finish(
                        checkpoint,
                        Result.ABANDONED,
                        f"its page token expired: {error}",
                        resumed_requests + client.requests,
                    )
                    return _run(url, full, since, page_size, client, on_page)
                raise
            seen_here.add(page.next_page_token)
            if page.next_page_token and page.next_page_token in seen:
                raise SourceError(f"the source gave the page token {page.next_page_token!r} again: it loops")
            seen.add(page.next_page_token)
            with transaction.atomic():
                report = import_documents(
                    [(f"{url}/studies page {checkpoint.pages + 1}", page.body)], origin=VersionSource.SYNC
                )
                checkpoint.created += report.counts[Outcome.CREATED]
                checkpoint.updated += report.counts[Outcome.UPDATED]
                checkpoint.unchanged += report.counts[Outcome.UNCHANGED]
                checkpoint.failed += len(report.failures)
                checkpoint.pages += 1
                checkpoint.next_page_token = page.next_page_token
                if page.total_count is not None:
                    checkpoint.total_count = page.total_count
                checkpoint.requests = resumed_requests + client.requests
                checkpoint.save()
            changed += report.changed
            failures += [str(failure) for failure in report.failures]
            if on_page:
                on_page(checkpoint, page.studies)
            if not page.next_page_token:
                break
    except SourceError as error:
        _finish(checkpoint, Result.FAILED, str(error), resumed_requests + client.requests)
    else:
        _finish(checkpoint, Result.SUCCEEDED, _failures_message(failures), resumed_requests + client.requests)
    # What the pages written changed, and what an earlier killed run never related.
    related.after_import(changed)
    pages.build(changed)
    return checkpoint


def _finish(checkpoint: SyncCheckpoint, outcome: str, message: str, requests: int) -> None:
    checkpoint.outcome, checkpoint.message, checkpoint.requests = outcome, message, requests
    checkpoint.finished_at = timezone.now()
    checkpoint.save()


def _failures_message(failures: list[str]) -> str:
    if not failures:
        return ""
    kept = failures[:MAX_FAILURES_KEPT]
    more = f"\n… and {len(failures) - len(kept)} more" if len(failures) > len(kept) else ""
    return "\n".join(kept) + more


def summary(checkpoint: SyncCheckpoint) -> str:
    return (
        f"{checkpoint.get_mode_display()} sync of {checkpoint.source_url}: {checkpoint.outcome}. "
        f"{checkpoint.created} new, {checkpoint.updated} updated, {checkpoint.unchanged} unchanged, "
        f"{checkpoint.failed} failed; {checkpoint.pages} page{'s' if checkpoint.pages != 1 else ''}, "
        f"{checkpoint.requests} request{'s' if checkpoint.requests != 1 else ''}."
    )
