"""``/stats/size``: how big the studies' JSON is, from sizes stored on the trials.

A study's size is the byte length of the JSON ``/studies/{nctId}`` sends
(the export, written by orjson). It is measured once per version of the
trial, in batches through the export, and kept on the trial row with the
``updated_at`` it was measured at; the statistics are then a few indexed
queries, however many trials there are. ``import_trials`` measures what it
changed and ``measure_study_sizes`` whatever is left; a request measures at
most ``MEASURE_ON_REQUEST`` trials changed since (an edit in the admin), so
it never exports the registry.
"""

from __future__ import annotations

from typing import Any

import orjson
from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum

from .. import db
from ..exports import export_studies
from ..models import Trial

BATCH = 500
MEASURE_ON_REQUEST = 200
LARGEST = 10
PERCENTILES = (5, 10, 25, 50, 75, 90, 95, 99)
KB = 1024
# The size ranges counted, in bytes: [low, high), the last open.
RANGES = (0, 5 * KB, 10 * KB, 20 * KB, 50 * KB, 100 * KB, 200 * KB, 500 * KB, 1024 * KB)


def stale() -> Q:
    """Trials not measured, or changed since they were."""
    return Q(json_size__isnull=True) | Q(json_size_of__isnull=True) | ~Q(json_size_of=F("updated_at"))


def measure(trial_ids: list[int] | None = None, limit: int | None = None) -> int:
    """Store the JSON size of these trials (or of every stale one, at most ``limit``); how many were measured."""
    selected = Trial.objects.filter(pk__in=trial_ids) if trial_ids is not None else Trial.objects.filter(stale())
    ids = list(selected.order_by("pk").values_list("pk", flat=True)[:limit])
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        with transaction.atomic():
            # Locked, so no edit lands between the export and the stamp that says which version was measured.
            list(Trial.objects.select_for_update().filter(pk__in=batch).values_list("pk"))
            # The stamp copied in SQL: it stays exactly as stored (a round trip through Python may not);
            # one UPDATE for both, so each row is rewritten once.
            trials = [
                Trial(pk=pk, json_size=len(orjson.dumps(study)), json_size_of=F("updated_at"))
                for pk, study in zip(batch, export_studies(batch), strict=True)
            ]
            Trial.objects.bulk_update(trials, ["json_size", "json_size_of"])
    if ids and limit is None and connection.vendor == "postgresql":
        # Measuring rewrites every row it measured, after the import's ANALYZE: statistics taken
        # before it make the planner scale the row count by the grown table (three times the trials
        # on file after a first import), until autovacuum comes by.
        db.analyze_trials()
    return len(ids)


def _label(low: int, high: int | None) -> str:
    def size(value: int) -> str:
        return f"{value // (1024 * KB)}MB" if value and value % (1024 * KB) == 0 else f"{value // KB}KB"

    return f"{size(low)}+" if high is None else f"{size(low)}-{size(high)}"


def size_stats() -> dict[str, Any]:
    """The registry's ``GzipStats`` of the measured studies."""
    measure(limit=MEASURE_ON_REQUEST)
    measured = Trial.objects.filter(json_size__isnull=False).order_by()
    bounds = list(zip(RANGES, (*RANGES[1:], None), strict=True))
    counted = measured.aggregate(
        total=Count("pk"),
        bytes=Sum("json_size"),
        **{
            f"r{index}": Count("pk", filter=Q(json_size__gte=low) & (Q(json_size__lt=high) if high else Q()))
            for index, (low, high) in enumerate(bounds)
        },
    )
    total = counted["total"]
    by_size = measured.order_by("json_size", "pk").values_list("json_size", flat=True)
    # The nearest-rank percentile: a read from the json_size index at that offset.
    percentiles = {str(p): by_size[max(0, -(-p * total // 100) - 1)] for p in PERCENTILES} if total else {}
    largest = measured.order_by("-json_size", "nct_id").values_list("nct_id", "json_size")[:LARGEST]
    return {
        "averageSizeBytes": round(counted["bytes"] / total) if total else 0,
        "largestStudies": [{"id": nct_id, "sizeBytes": size} for nct_id, size in largest],
        "percentiles": percentiles,
        "ranges": [
            {"sizeRange": _label(low, high), "studiesCount": counted[f"r{index}"]}
            for index, (low, high) in enumerate(bounds)
        ],
        "totalStudies": total,
    }
