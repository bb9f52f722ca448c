"""Versions kept and read: the study a trial held before each change, compressed.

A change is recorded in two steps around the write that makes it:
``previous_versions`` exports what the trials say before they are
rewritten, and ``keep`` (after the write, in the same transaction) stores
those documents and words what the new versions changed. A trial that has
never changed has no rows: it is version 1.
"""

from __future__ import annotations

import datetime
import re
import zlib
from dataclasses import dataclass, field

import orjson
from django.utils import timezone

from ..exports import export_studies
from ..models import Trial, TrialVersion, VersionSource
from . import diff

# A version number as a visitor or a client writes it: ASCII digits (not ² or ٣), within reason.
VERSION_NUMBER = re.compile(r"[0-9]{1,9}")
# zlib's default: a study compresses about tenfold at a fraction of the cost of level 9.
COMPRESSION_LEVEL = 6


def compress(study: dict) -> bytes:
    return zlib.compress(orjson.dumps(study), COMPRESSION_LEVEL)


def decompress(data: bytes | memoryview) -> dict:
    return orjson.loads(zlib.decompress(bytes(data)))


@dataclass
class Previous:
    """A trial's study as it stands before a rewrite."""

    nct_id: str
    recorded_at: datetime.datetime
    study: dict


def previous_versions(trial_ids: list[int]) -> dict[int, Previous]:
    """The studies of these trials before they change, by trial id (a fixed number of queries)."""
    if not trial_ids:
        return {}
    trials = {
        pk: (nct_id, updated_at)
        for pk, nct_id, updated_at in Trial.objects.filter(pk__in=trial_ids).values_list("pk", "nct_id", "updated_at")
    }
    return {
        pk: Previous(trials[pk][0], trials[pk][1], study)
        for pk, study in zip(trials, export_studies(list(trials)), strict=True)
    }


def keep(previous: dict[int, Previous], source: str, now: datetime.datetime | None = None) -> int:
    """Store each trial's previous study and what its new one changed; returns the versions kept.

    Called after the trials were rewritten. A trial whose study reads the
    same as before (a staff save that changed nothing) keeps nothing.
    """
    if not previous:
        return 0
    now = now or timezone.now()
    current = dict(zip(previous, export_studies(list(previous)), strict=True))
    changed = {
        pk: item for pk, item in previous.items() if pk in current and not diff.same_record(item.study, current[pk])
    }
    if not changed:
        return 0
    heads = {
        row.nct_id: row
        for row in TrialVersion.objects.filter(
            nct_id__in=[item.nct_id for item in changed.values()], document__isnull=True
        ).defer("document")
    }
    rows = []
    for pk, item in changed.items():
        head = heads.get(item.nct_id)
        number = head.number if head else 1
        rows.append(
            TrialVersion(
                nct_id=item.nct_id,
                number=number,
                recorded_at=head.recorded_at if head else item.recorded_at,
                source=head.source if head else VersionSource.IMPORT,
                changes=head.changes if head else [],
                document=compress(item.study),
            )
        )
        rows.append(
            TrialVersion(
                nct_id=item.nct_id,
                number=number + 1,
                recorded_at=now,
                source=source,
                changes=diff.changes(item.study, current[pk]),
                document=None,
            )
        )
    if heads:
        TrialVersion.objects.filter(pk__in=[head.pk for head in heads.values()]).delete()
    TrialVersion.objects.bulk_create(rows)
    return len(changed)


def record_new(nct_id: str, source: str) -> None:
    """A trial created by other means than an import (a staff edit): its version 1 says so."""
    if source != VersionSource.IMPORT and not TrialVersion.objects.filter(nct_id=nct_id).exists():
        TrialVersion.objects.create(nct_id=nct_id, number=1, recorded_at=timezone.now(), source=source, document=None)


@dataclass
class Version:
    number: int
    recorded_at: datetime.datetime
    source: str
    changes: list[dict] = field(default_factory=list)
    current: bool = False

    @property
    def source_label(self) -> str:
        return VersionSource(self.source).label if self.source in VersionSource.values else self.source


def versions(trial: Trial) -> list[Version]:
    """The trial's versions, newest (the one it holds) first; one query, no documents read."""
    rows = list(
        TrialVersion.objects.filter(nct_id=trial.nct_id)
        .order_by("-number")
        .values_list("number", "recorded_at", "source", "changes")
    )
    if not rows:
        return [Version(1, trial.updated_at, VersionSource.IMPORT, current=True)]
    found = [Version(number, recorded_at, source, changes or []) for number, recorded_at, source, changes in rows]
    found[0].current = True
    return found


def versions_of(nct_ids: list[str]) -> dict[str, list[Version]]:
    """The versions of many trials at once (one query), newest first; trials never changed have none listed."""
    found: dict[str, list[Version]] = {}
    rows = (
        TrialVersion.objects.filter(nct_id__in=nct_ids)
        .order_by("nct_id", "-number")
        .values_list("nct_id", "number", "recorded_at", "source", "changes")
    )
    for nct_id, number, recorded_at, source, changes in rows:
        versions = found.setdefault(nct_id, [])
        versions.append(Version(number, recorded_at, source, changes or [], current=not versions))
    return found


def study_at(trial: Trial, number: int) -> dict | None:
    """The study as version ``number`` said it; None for a version the trial never had."""
    stored = (
        TrialVersion.objects.filter(nct_id=trial.nct_id, number=number).values_list("document", flat=True).first()
        if number >= 1
        else None
    )
    if stored is not None:
        return decompress(stored)
    latest = (
        TrialVersion.objects.filter(nct_id=trial.nct_id).order_by("-number").values_list("number", flat=True).first()
    )
    if number == (latest or 1):
        return export_studies([trial.pk])[0]
    return None
