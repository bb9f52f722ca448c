"""Each study's API v2 JSON, kept in the shared cache by the trial's version.

A study's document is what ``exports.export_studies`` writes, as orjson
bytes, keyed by the code's release, the trial's id and when it was last
written (``updated_at``: an import, a sync and an admin save move it), the
version ``/studies/{nctId}`` is kept by too; an edit makes a new key, so a
kept document is never older than its record. A page of studies is then one
query for its ids and versions, one cache read for their documents, and one
export for those not kept: a page that is all kept reads no child rows, and
its JSON is the documents' bytes joined, never parsed nor rewritten. A
``fields`` selection or ``markupFormat=legacy`` parses each document
(orjson) and writes the page again.

Documents are kept from pages of at most ``MAX_KEPT_PAGE`` studies: a bulk
page is a client paging through the registry, rarely asked for again, and
a thousand documents would push the rendered pages out of a local-memory
cache. A cache that does not answer costs an export, never the page.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import orjson
from django.conf import settings
from django.core.cache import cache

from ..caching import cache_call, release
from ..exports import export_studies

MAX_KEPT_PAGE = 100
# A bulk page is written and sent this many studies at a time: half a page of 1,000 in memory at
# most, for an export query more (smaller chunks cost a query each, 10-30% of the page at 100).
STREAM_CHUNK = 500


@dataclass(frozen=True)
class Listed:
    """A study of a page as its query reads it: enough to find its document."""

    pk: int
    nct_id: str
    updated_at: datetime.datetime | None


def _key(study: Listed) -> str:
    stamp = study.updated_at.isoformat() if study.updated_at else "-"
    return f"study:{release()}:{study.pk}:{stamp}"


def _nct_id(study: dict) -> str:
    return study["protocolSection"]["identificationModule"]["nctId"]


def _kept_and_built(
    studies: list[Listed], columns: frozenset[str] | None, keep: bool, write: bool
) -> tuple[dict[int, str], dict[str, bytes], dict[str, dict]]:
    """Each study's key, the documents kept, and those built now (written as bytes too when ``write``)."""
    keys = {study.pk: _key(study) for study in studies}
    kept: dict[str, bytes] = cache_call(cache.get_many, list(keys.values())) or {}
    missing = [study for study in studies if keys[study.pk] not in kept]
    if not missing:
        return keys, kept, {}
    by_nct_id = {_nct_id(study): study for study in export_studies([study.pk for study in missing], columns=columns)}
    built = {keys[study.pk]: by_nct_id[study.nct_id] for study in missing if study.nct_id in by_nct_id}
    keeping = columns is None and keep
    if write or keeping:
        written = {key: orjson.dumps(study) for key, study in built.items()}
        if keeping:
            cache_call(cache.set_many, written, settings.SHARED_CACHE_SECONDS)
        kept = {**kept, **written}
    return keys, kept, built


def documents(studies: list[Listed], keep: bool = True) -> list[bytes]:
    """The studies' documents in their order; a study gone since its page was read is left out.

    ``keep=False``: what is built is not kept (a bulk page's studies).
    """
    if not studies:
        return []
    keys, kept, _ = _kept_and_built(studies, None, keep, write=True)
    return [kept[keys[study.pk]] for study in studies if keys[study.pk] in kept]


def parsed(studies: list[Listed], columns: frozenset[str] | None = None, keep: bool = True) -> list[dict]:
    """The studies as objects, for a caller that changes them (``fields``, legacy markup): as ``documents``.

    ``columns``: a caller keeping only these elements of the trial row; the
    studies not kept are written from those columns alone, and not kept.
    A study built now is used as built, never written and read back.
    """
    if not studies:
        return []
    keys, kept, built = _kept_and_built(studies, columns, keep, write=False)
    found = []
    for study in studies:
        key = keys[study.pk]
        if key in built:
            found.append(built[key])
        elif key in kept:
            found.append(orjson.loads(kept[key]))
    return found
