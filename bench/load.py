"""Load test: gunicorn with the production settings on PostgreSQL, a bounded load on loopback.

    .venv/bin/python bench/load.py [--connections 16] [--seconds 60]

Uses DATABASE_URL, or the ``trialportal_bench`` database (``bench/search.py``
fills it; any database with trials will do). Collects the static files,
starts gunicorn with ``trialportal/gunicorn.conf.py`` and DJANGO_DEBUG=0,
asks every URL of the mix once (a server's caches in their steady state;
``--no-warm`` measures from cold), then keeps ``--connections`` keep-alive
connections busy for ``--seconds`` over a mix of home, list, search, trial
tabs and API URLs. Prints requests
per second, p50 / p95 / p99 latency and the number of errors (any 5xx, an
unexpected status or a failed connection), which must be zero.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PORT = 8765


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] if ordered else 0.0


def production_environment(static_root: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/trialportal_bench")
    # As docker-compose.yml runs it: lists kept as long as a proxy may keep them.
    env.setdefault("SHARED_CACHE_LIST_SECONDS", "60")
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        # TLS would end at a proxy in front; on loopback we speak plain HTTP.
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_STATIC_ROOT=static_root,
        GUNICORN_BIND=f"127.0.0.1:{PORT}",
    )
    return env


def sample_urls(env: dict[str, str]) -> list[str]:
    """The mix: real NCT IDs from the database, and searches that find something."""
    script = (
        "from trials.models import Trial;"
        "print(' '.join(Trial.objects.order_by('?').values_list('nct_id', flat=True)[:50]))"
    )
    output = subprocess.run(
        [PYTHON, "manage.py", "shell", "-v0", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    nct_ids = output.stdout.split()
    if not nct_ids:
        sys.exit("The database holds no trials: run bench/search.py, or `manage.py seed`, first.")
    urls = ["/", "/trials/", "/trials/?q=cancer", "/trials/?q=diabetes&status=RECRUITING", "/trials/?phase=PHASE2"]
    urls += ["/trials/?q=breast+cancer+chemotherapy&sort=updated", "/api/v2/studies?query.cond=asthma&pageSize=20"]
    urls += ["/api/v2/version", "/healthz"]
    for nct_id in nct_ids:
        urls += [f"/trials/{nct_id}/", f"/trials/{nct_id}/design/", f"/trials/{nct_id}/eligibility/"]
        urls += [f"/trials/{nct_id}/related/", f"/api/v2/studies/{nct_id}"]
    return urls


def wait_until_up(deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.5)
    sys.exit("gunicorn did not answer /healthz in time.")


def worker(urls: list[str], stop_at: float, latencies: list[float], errors: list[str], seed: int) -> None:
    rng = random.Random(seed)
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    while time.monotonic() < stop_at:
        url = rng.choice(urls)
        started = time.perf_counter()
        try:
            connection.request("GET", url)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                errors.append(f"{response.status} {url}")
        except (OSError, http.client.HTTPException) as error:
            errors.append(f"{type(error).__name__} {url}")
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            continue
        latencies.append((time.perf_counter() - started) * 1000)


def warm(urls: list[str], connections: int) -> float:
    """Asks every URL once, over ``connections`` connections: the seconds it took."""
    started = time.monotonic()
    errors: list[str] = []
    # Lists and searches one at a time first: at 600,000 trials a cold one takes seconds.
    ask_each([url for url in urls if "/NCT" not in url], errors)
    shares = [[url for url in urls if "/NCT" in url][index::connections] for index in range(connections)]
    threads = [threading.Thread(target=ask_each, args=(share, errors)) for share in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        sys.exit(f"Warming up failed: {', '.join(sorted(set(errors))[:5])}")
    return time.monotonic() - started


def ask_each(urls: list[str], errors: list[str], attempts: int = 3) -> None:
    """Asks each URL until it answers 200; a cold search may outlive the time limit (503) and warms the next try."""
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    for url in urls:
        for attempt in range(attempts):
            try:
                connection.request("GET", url)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as error:
                status = type(error).__name__
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
            else:
                status = response.status
            if status == 200:
                break
            if attempt == attempts - 1:
                errors.append(f"{status} {url}")


def main() -> None:
    global PORT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: trialportal/gunicorn.conf.py's)")
    parser.add_argument("--threads", type=int, help="threads per gunicorn worker")
    parser.add_argument("--port", type=int, default=PORT)
    parser.add_argument(
        "--no-warm", dest="warm", action="store_false", help="measure from cold caches, without asking every URL first"
    )
    options = parser.parse_args()
    PORT = options.port
    with tempfile.TemporaryDirectory() as static_root:
        env = production_environment(static_root)
        if options.workers:
            env["GUNICORN_WORKERS"] = str(options.workers)
        if options.threads:
            env["GUNICORN_THREADS"] = str(options.threads)
        subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
        urls = sample_urls(env)
        server = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "-c",
                "trialportal/gunicorn.conf.py",
                "--access-logfile",
                "/dev/null",
                "trialportal.wsgi",
            ],
            cwd=ROOT,
            env=env,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until_up(time.monotonic() + 60)
            warmed = warm(urls, options.connections) if options.warm else None
            latencies: list[float] = []
            errors: list[str] = []
            stop_at = time.monotonic() + options.seconds
            threads = [
                threading.Thread(target=worker, args=(urls, stop_at, latencies, errors, seed))
                for seed in range(options.connections)
            ]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    print(
        f"{options.connections} connections for {elapsed:.0f} s over {len(urls)} URLs; gunicorn "
        f"{env.get('GUNICORN_WORKERS', 'default')} workers x {env.get('GUNICORN_THREADS', 'default')} threads, "
        f"cache {env.get('CACHE_URL') or 'local memory'}, lists kept {env['SHARED_CACHE_LIST_SECONDS']} s"
    )
    if warmed is not None:
        print(f"warmed first: every URL asked once, in {warmed:.0f} s (a server's caches in its steady state)")
    print(f"requests: {len(latencies)}; {len(latencies) / elapsed:.1f} requests/s")
    print(
        f"latency: p50 {percentile(latencies, 0.5):.0f} ms, p95 {percentile(latencies, 0.95):.0f} ms, "
        f"p99 {percentile(latencies, 0.99):.0f} ms"
    )
    print(f"errors: {len(errors)}")
    for error in sorted(set(errors))[:20]:
        print(f"  {error}")
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
