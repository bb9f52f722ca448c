"""What /stats/field/values and /stats/field/sizes cost for the elements of lists, against a field on the trial row.

    .venv/bin/python bench/stats.py [RUNS]     (default 3 runs per field)

Reads DATABASE_URL, or the ``trialportal_bench`` database on the local server, and writes nothing: run it
on a database already filled (``generate_trials``). Prints, per field, the queries one answer takes and the
seconds it takes (min / median / max of the runs), with the median's ratio to the baseline in the same run:
``OverallStatus`` (one grouped count on the trial row) for values, ``Condition`` (a child table) for sizes.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/trialportal_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialportal.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from trials.api.stats import list_sizes, selected_leaves, selected_lists, value_stats  # noqa: E402
from trials.models import Trial  # noqa: E402

ARM_NAMES = "protocolSection.armsInterventionsModule.armGroups.interventionNames"
VALUES = ("OverallStatus", "Phase", "Condition", "InterventionName", ARM_NAMES)
SIZES = ("Condition", "Phase", ARM_NAMES)


def _measure(answer, runs: int) -> tuple[int, list[float]]:
    with CaptureQueriesContext(connection) as queries:
        answer()
    figures = []
    for _ in range(runs):
        start = time.perf_counter()
        answer()
        figures.append(time.perf_counter() - start)
    return len(queries), figures


def main(runs: int) -> None:
    print(f"{Trial.objects.count():,} trials, {runs} runs")
    for label, names, answer in (
        ("values", VALUES, lambda name: value_stats(selected_leaves([name], []))),
        ("sizes", SIZES, lambda name: list_sizes(selected_lists([name]))),
    ):
        baseline = None
        for name in names:
            count, figures = _measure(lambda name=name, answer=answer: answer(name), runs)
            median = statistics.median(figures)
            baseline = baseline or median
            print(
                f"{label} {'.'.join(name.split('.')[-2:])}: "
                f"{count} queries, {min(figures):.2f} / {median:.2f} / {max(figures):.2f} s "
                f"(x{median / baseline:.1f} the {names[0]} baseline)"
            )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
