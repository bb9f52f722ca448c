"""The weight of the biggest real trial's summary page: NCT04267848, 1,148 sites.

    .venv/bin/python bench/trial_page.py [RUNS]     (default 5 runs of 20 renders)

Uses DATABASE_URL, or a ``trialportal_bench`` database on the local server (created if missing),
migrates it and imports the record from the test data, then prints the page's HTML bytes
(plain and gzipped), the JSON-LD's bytes, renders per second through the Django test client
(min / median / max of the runs) and, when Chromium and Playwright are installed, the page's
height at 1280×800 and 390×844.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import statistics
import sys

import portal  # bench/ is the script's folder

portal.setup()

from django.test import Client  # noqa: E402

NCT_ID = "NCT04267848"
RECORD = portal.ROOT / "trials" / "tests" / "data" / "ctgov" / f"{NCT_ID}.json"
PATH = f"/trials/{NCT_ID}/"
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


def main(runs: int) -> None:
    portal.prepare([RECORD])
    client = Client(HTTP_HOST="localhost")
    html = client.get(PATH).content
    ld = re.search(rb'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    print(f"HTML: {len(html):,} bytes, {len(gzip.compress(html)):,} gzipped")
    print(f"JSON-LD: {len(ld.group(1)) if ld else 0:,} bytes")
    rates = [portal.rate(lambda: client.get(PATH), RENDERS) for _ in range(runs)]
    print(f"renders/s: min {min(rates):.1f}, median {statistics.median(rates):.1f}, max {max(rates):.1f}")
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
