"""Related-trials speed at registry scale, on PostgreSQL.

    createdb -h 127.0.0.1 -U postgres trialportal_bench   (once)
    .venv/bin/python bench/related.py [N] [--no-rebuild]  (default 600000 trials)

Fills the database with N generated trials if it holds fewer (as
``bench/search.py`` does), then prints: the full rebuild's wall time and the
process's peak memory; the time to recompute one trial (``refresh``, p50 /
p95 over 50 trials); and the Related tab's server time (p50 / p95 over 100
requests). Targets: rebuild ≤ 30 min under 2 GB, one trial ≤ 100 ms p95,
the tab ≤ 30 ms p95.
"""

from __future__ import annotations

import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from search import ensure_trials, percentile  # noqa: E402  (sets up Django)

from trials import related  # noqa: E402
from trials.models import SimilarTrial, Trial  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("bench/related.py needs PostgreSQL (DATABASE_URL).")
    arguments = [argument for argument in sys.argv[1:] if not argument.startswith("--")]
    target = int(arguments[0]) if arguments else 600_000
    total = ensure_trials(target)
    if "--no-rebuild" not in sys.argv:  # else: time the refresh and the tab on the stored lists
        rss_before = peak_rss_mb()
        started = time.perf_counter()
        done = 0

        def progress(count: int) -> None:
            # How far a long rebuild got: the lists are written after every trial's features are read.
            nonlocal done
            done += count
            if done % 50_000 < count:
                minutes = (time.perf_counter() - started) / 60
                print(f"  lists of {done} trials written after {minutes:.1f} min", flush=True)

        related.rebuild(progress=progress)
        rebuild_seconds = time.perf_counter() - started
        print(
            f"full rebuild: {rebuild_seconds / 60:.1f} min; "
            f"peak RSS {peak_rss_mb():.0f} MB (before: {rss_before:.0f} MB)",
            flush=True,
        )
    stored = SimilarTrial.objects.count()
    with_list = SimilarTrial.objects.values("trial").distinct().count()

    ids = list(Trial.objects.values_list("id", flat=True))
    rng = random.Random(2026)
    refresh_ms = []
    for trial_id in rng.sample(ids, 50):
        started = time.perf_counter()
        related.refresh([trial_id])
        refresh_ms.append((time.perf_counter() - started) * 1000)

    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    nct_ids = dict(Trial.objects.filter(id__in=rng.sample(ids, 100)).values_list("id", "nct_id"))
    tab_ms = []
    for nct_id in list(nct_ids.values()) * 2:
        started = time.perf_counter()
        response = client.get(f"/trials/{nct_id}/related/")
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.status_code
        tab_ms.append(elapsed)
    tab_ms = tab_ms[len(nct_ids) :]  # the second, warm pass

    print(f"trials: {total}; similar pairs stored: {stored}; trials with a list: {with_list}")
    print(f"recompute one trial: p50 {percentile(refresh_ms, 0.5):.0f} ms, p95 {percentile(refresh_ms, 0.95):.0f} ms")
    print(f"related tab: p50 {percentile(tab_ms, 0.5):.1f} ms, p95 {percentile(tab_ms, 0.95):.1f} ms")


if __name__ == "__main__":
    main()
