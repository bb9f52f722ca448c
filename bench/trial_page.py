"""The weight of the biggest real trial's summary page: NCT04267848, 1,148 sites.

    .venv/bin/python bench/trial_page.py [RUNS] [--cached] [--browser]     (default 5 runs of 20 renders)

Uses DATABASE_URL, or a ``trialportal_bench`` database on the local server (created if missing),
migrates it and imports the record from the test data, then prints the page's HTML bytes
(plain and gzipped), the JSON-LD's bytes, renders per second through the Django test client,
of this page and of a one-site trial's run alternately as the baseline, with their ratio
(min / median / max of the runs; the shared page cache is off, so each is a real rendering,
per second of wall-clock time and per second of this process's CPU time: "per core", which a
machine busy with other work does not lower; the database server's own time is not in it,
unless ``--cached`` measures the cache's hits) and, when Chromium and Playwright are installed, the page's
height at 1280×800 and 390×844.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import statistics
import sys
import time

import portal  # bench/ is the script's folder

portal.setup()

from django.test import Client, override_settings  # noqa: E402

NCT_ID = "NCT04267848"
RECORD = portal.ROOT / "trials" / "tests" / "data" / "ctgov" / f"{NCT_ID}.json"
PATH = f"/trials/{NCT_ID}/"
# The baseline in the same run: a one-site trial's summary, so a busy machine moves both figures alike.
SMALL_ID = "NCT00007696"
SMALL_RECORD = RECORD.with_name(f"{SMALL_ID}.json")
RENDERS = 20


def _heights(url: str) -> dict[str, int]:
    chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not shutil.which(chromium):
        return {}
    from playwright.sync_api import sync_playwright

    heights = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"], headless=True)
        for name, size in (("1280x800", {"width": 1280, "height": 800}), ("390x844", {"width": 390, "height": 844})):
            page = browser.new_page(viewport=size)
            page.goto(url)
            heights[name] = page.evaluate("document.documentElement.scrollHeight")
            page.close()
        browser.close()
    return heights


def _render(client: Client, path: str) -> None:
    assert client.get(path).status_code == 200


def _rates(client: Client, path: str) -> tuple[float, float]:
    """Renders per second of wall-clock time and per second of this process's CPU time, over RENDERS renders."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(RENDERS):
        _render(client, path)
    return RENDERS / (time.perf_counter() - wall), RENDERS / (time.process_time() - cpu)


def _spread(figures: list[float], digits: int = 1) -> str:
    return (
        f"min {min(figures):.{digits}f}, median {statistics.median(figures):.{digits}f}, max {max(figures):.{digits}f}"
    )


def main(runs: int) -> None:
    portal.prepare([RECORD, SMALL_RECORD])
    client = Client(HTTP_HOST="localhost")
    html = client.get(PATH).content
    ld = re.search(rb'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    print(f"HTML: {len(html):,} bytes, {len(gzip.compress(html)):,} gzipped")
    print(f"JSON-LD: {len(ld.group(1)) if ld else 0:,} bytes")
    cache = {} if "--cached" in sys.argv else {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    paths = (PATH, f"/trials/{SMALL_ID}/")
    wall: dict[str, list[float]] = {path: [] for path in paths}
    cpu: dict[str, list[float]] = {path: [] for path in paths}
    with override_settings(**({"CACHES": cache} if cache else {})):
        for path in paths:
            _render(client, path)  # templates compiled, connection open
        for _ in range(runs):
            for path in paths:
                rate, cpu_rate = _rates(client, path)
                wall[path].append(rate)
                cpu[path].append(cpu_rate)
    for path in paths:
        print(f"{path} renders/s (wall): {_spread(wall[path])}; per CPU-second: {_spread(cpu[path])}")
    for name, rates in (("wall", wall), ("CPU", cpu)):
        ratios = [big / small for big, small in zip(*rates.values(), strict=True)]
        print(f"1,148-site / one-site rate ({name}): {_spread(ratios, 2)}")
    if "--browser" in sys.argv:
        import threading

        from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
        from django.core.wsgi import get_wsgi_application

        class QuietHandler(WSGIRequestHandler):
            def log_message(self, *args) -> None:
                pass

        server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler)
        server.set_app(get_wsgi_application())
        threading.Thread(target=server.serve_forever, daemon=True).start()
        for name, height in _heights(f"http://127.0.0.1:{server.server_port}{PATH}").items():
            print(f"height at {name}: {height:,} px")
        server.shutdown()


if __name__ == "__main__":
    numbers = [arg for arg in sys.argv[1:] if arg.isdigit()]
    main(int(numbers[0]) if numbers else 5)
