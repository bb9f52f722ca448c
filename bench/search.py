"""Search benchmark at registry scale, on PostgreSQL.

    .venv/bin/python bench/search.py [N] [--only "api page,api fields"] [--read-only]     (default 600000 trials)

Uses DATABASE_URL, or a ``trialportal_bench`` database on the local server (created if missing),
migrates it, generates trials until it holds N (reusing what is there), then
runs a fixed mix of searches through the list page and the API and prints
min / p50 / p95 / p99 / max server time per query type, the whole mix, and the database size.
``--only`` runs the named query types alone (comma-separated); ``--read-only``
neither migrates nor generates, timing the database as it is.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/trialportal_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialportal.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import OperationalError, connection  # noqa: E402
from django.test import Client  # noqa: E402

RUNS = 15
# (query type, list of query strings): each is requested RUNS times in turn.
MIX = {
    "rare term": ["/trials/?q=sarcoidosis", "/trials/?q=erenumab", "/trials/?q=thalassemia", "/trials/?q=keratoconus"],
    # Phrases naming a MeSH descriptor: widened to the trials filed under it (a facet token).
    "descriptor": ["/trials/?q=heart+attack", "/trials/?q=alzheimers", "/trials/?q=bowel+cancer"],
    # Everyday words: our own vocabulary and MeSH's entry terms, as patients type them.
    "lay word": [
        "/trials/?q=sugar+diabetes",
        "/trials/?q=high+blood+pressure",
        "/trials/?q=kidney+failure",
        "/trials/?q=flu",
    ],
    # Words that find (almost) nothing: corrected against the index's words, and the page run again.
    "misspelled": ["/trials/?q=diabetis", "/trials/?q=alzhimers", "/trials/?q=astma", "/trials/?q=hypertensoin"],
    # Brand names: widened by the other names the records give the same intervention.
    "brand": [
        "/trials/?q=keytruda",
        "/trials/?q=cialis",
        "/trials/?q=ozempic",
        "/api/v2/studies?query.intr=Glucophage",
    ],
    "common term": ["/trials/?q=cancer", "/trials/?q=study", "/trials/?q=patients", "/trials/?q=treatment"],
    "multi-word": [
        "/trials/?q=breast+cancer+chemotherapy",
        '/trials/?q="type+2+diabetes"+insulin',
        "/trials/?q=heart+failure+OR+hypertension",
        "/trials/?q=depression+-bipolar",
    ],
    "filtered text": [
        "/trials/?q=cancer&status=RECRUITING&phase=PHASE2",
        "/trials/?q=diabetes&age=40&sex=FEMALE&status=RECRUITING",
        "/trials/?q=pain&country=United+States&has_results=no",
        "/trials/?q=asthma&start_from=2015-01-01&sort=start",
    ],
    "filter only": [
        "/trials/?status=RECRUITING&phase=PHASE2",
        "/trials/?status=COMPLETED",
        "/trials/?country=France",
        "/trials/?age=70&sex=MALE&healthy_volunteers=yes",
    ],
    "deep page": ["/trials/?status=COMPLETED&page=200", "/trials/?page=300", "/trials/?q=cancer&sort=updated&page=40"],
    "condition filter": [
        "/trials/?condition=diabetes",
        "/trials/?condition=diabetis",
        "/trials/?condition=breast+cancer",
    ],
    # Distance searches: the bounding box on the sites' coordinate index, then the exact distance.
    "near": [
        "/trials/?near=Lyon&within=50km",
        "/trials/?near=Boston&within=25mi",
        "/trials/?q=cancer&near=Paris&within=100km",
        "/trials/?near=40.7128,-74.0060&within=50km&status=RECRUITING",
        "/api/v2/studies?filter.geo=distance(39.0035707,-77.1013313,50mi)",
    ],
    # The same at other places and widths, deeper pages, another sort, a postal code, geoDecay.
    "near variations": [
        "/trials/?near=New+York&within=100km",
        "/trials/?near=London&within=30mi&page=8",
        "/trials/?near=Paris&within=20km&sort=updated",
        "/trials/?near=Lyon&within=400km&q=cancer&status=RECRUITING",
        "/api/v2/studies?filter.geo=distance(51.5074,-0.1278,20km)&geoDecay=func:linear,scale:10km,offset:1km,decay:0.5",
    ],
    "api": [
        "/api/v2/studies?query.cond=diabetes&countTotal=true",
        "/api/v2/studies?filter.overallStatus=RECRUITING&pageSize=100",
        "/api/v2/studies?query.term=cancer&pageSize=50",
    ],
    # Whole pages of the largest size the API gives: what a client mirroring the registry asks.
    "api page": [
        "/api/v2/studies?pageSize=1000",
        "/api/v2/studies?pageSize=1000&filter.overallStatus=RECRUITING",
        "/api/v2/studies?pageSize=1000&query.cond=cancer",
    ],
    # A few pieces of many studies: what a client listing IDs and titles asks.
    "api fields": [
        "/api/v2/studies?fields=NCTId|BriefTitle&pageSize=1000",
        "/api/v2/studies?fields=NCTId|BriefTitle&pageSize=1000&filter.overallStatus=RECRUITING",
        "/api/v2/studies?fields=NCTId|BriefTitle&pageSize=1000&query.cond=cancer",
    ],
}


def ensure_database() -> None:
    """Create the benchmark's database on first use, on the same server."""
    try:
        connection.ensure_connection()
    except OperationalError:
        name = connection.settings_dict["NAME"]
        print(f"creating the database {name}", flush=True)
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")


def ensure_trials(target: int) -> int:
    from trials.models import Trial

    ensure_database()
    call_command("migrate", verbosity=0)
    have = Trial.objects.count()
    if have < target:
        print(f"generating {target - have} trials (have {have}) ...", flush=True)
        started = time.perf_counter()
        call_command(
            "generate_trials", str(target - have), "--first-number", str(10_000_000 + have), "--seed", str(have + 1)
        )
        print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)
        # What autovacuum does soon after a large load: statistics, and the
        # visibility map that lets counts read indexes without the table.
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        print(f"vacuumed in {time.perf_counter() - started:.0f} s", flush=True)
    return Trial.objects.count()


# Kinds that download pages of 1,000 studies.
BULK = ("api page", "api fields")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("bench/search.py needs PostgreSQL (DATABASE_URL).")
    arguments = sys.argv[1:]
    only = None
    if "--only" in arguments:
        at = arguments.index("--only")
        only = [kind.strip() for kind in arguments[at + 1].split(",")]
        del arguments[at : at + 2]
        unknown = [kind for kind in only if kind not in MIX]
        if unknown:
            sys.exit(f"unknown query type {', '.join(unknown)}; types: {', '.join(MIX)}")
    mix = {kind: urls for kind, urls in MIX.items() if only is None or kind in only}
    read_only = "--read-only" in arguments
    if read_only:
        arguments.remove("--read-only")
    target = int(arguments[0]) if arguments else 600_000
    if read_only:
        from trials.models import Trial

        total = Trial.objects.count()
    else:
        total = ensure_trials(target)
    # Not setup_test_environment(): its template instrumentation would be timed too.
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    for urls in mix.values():  # warm the caches once
        for url in urls:
            client.get(url)
    timings: dict[str, list[float]] = {}
    for kind, urls in mix.items():
        for run in range(RUNS):
            url = urls[run % len(urls)]
            started = time.perf_counter()
            response = client.get(url)
            if response.streaming:  # a bulk page is written as it is read
                b"".join(response.streaming_content)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                sys.exit(f"{url} answered {response.status_code}")
            timings.setdefault(kind, []).append(elapsed)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cursor.fetchone()[0]
        cursor.execute(
            "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) FROM pg_settings "
            "WHERE name IN ('shared_buffers', 'work_mem', 'jit', 'effective_cache_size', 'random_page_cost')"
        )
        server = cursor.fetchone()[0]
    print(f"\n{total} trials, database size {size}, {RUNS} requests per query type (ms, server time)")
    print(f"PostgreSQL {connection.pg_version // 10000}: {server}\n")
    print(f"{'query type':<18}{'min':>8}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}")
    everything = [value for values in timings.values() for value in values]
    # Pages of 1,000 whole studies are downloads, not searches: the mix is also given without them.
    searches = [value for kind, values in timings.items() if kind not in BULK for value in values]
    totals = [("whole mix", everything)] + ([("searches only", searches)] if searches != everything else [])
    for kind, values in [*timings.items(), *totals]:
        print(
            f"{kind:<18}{min(values):>8.0f}{statistics.median(values):>8.0f}{percentile(values, 0.95):>8.0f}"
            f"{percentile(values, 0.99):>8.0f}{max(values):>8.0f}"
        )


if __name__ == "__main__":
    main()
