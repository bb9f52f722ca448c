"""What the version, the shared cache and a 304 save on a trial page.

    .venv/bin/python bench/http_cache.py [RUNS]     (default 5 runs of 50 requests each)

Uses DATABASE_URL, or a ``trialportal_bench`` database on the local server (created if missing),
and CACHE_URL (Redis) when set, else this process's memory. Imports the seed and the 1,148-site
record from the test data, then asks each page through the Django test client (every middleware)
three ways: rendered (the shared cache emptied before each request), from the shared cache, and as
a conditional GET answered 304. Prints requests per second (min / median / max of the runs), the
queries each way makes, and the median's ratio to the rendered page's.
"""

from __future__ import annotations

import functools
import statistics
import sys

import portal  # bench/ is the script's folder

portal.setup(production=True)

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from trials.importers import SEED_DOCUMENT  # noqa: E402

RECORDS = [SEED_DOCUMENT, portal.ROOT / "trials" / "tests" / "data" / "ctgov" / "NCT04267848.json"]
PAGES = {"seed summary": "/trials/NCT04133233/", "1,148-site summary": "/trials/NCT04267848/"}
REQUESTS = 50


def _count(queries: list, execute, sql, params, many, context):
    queries.append(sql)
    return execute(sql, params, many, context)


def main(runs: int) -> None:
    portal.prepare(RECORDS, static=True)
    client = Client(HTTP_HOST="localhost")
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    print(f"{connection.vendor}, shared cache {backend}; {runs} runs of {REQUESTS} requests, requests/s")
    for name, path in PAGES.items():
        _measure(client, name, path, runs)


def _measure(client: Client, name: str, path: str, runs: int) -> None:
    etag = client.get(path)["ETag"]

    def rendered():
        cache.clear()
        assert client.get(path).status_code == 200

    def from_cache():
        assert client.get(path).status_code == 200

    def not_modified():
        assert client.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 304

    medians = {}
    for way, ask in {"rendered": rendered, "from the shared cache": from_cache, "304": not_modified}.items():
        ask()  # warm: the cache holds the page for the ways after the first
        queries = []
        with connection.execute_wrapper(functools.partial(_count, queries)):
            ask()
        rates = [portal.rate(ask, REQUESTS) for _ in range(runs)]
        medians[way] = statistics.median(rates)
        print(
            f"{name:20} {way:22} min {min(rates):8.1f}  median {medians[way]:8.1f}  max {max(rates):8.1f}"
            f"  queries {len(queries):2}  × rendered {medians[way] / medians['rendered']:6.1f}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
