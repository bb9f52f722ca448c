"""Requests per second per core, page by page, as ratios to a bare WSGI app measured in the same run.

    .venv/bin/python bench/serve.py [--rounds 5] [--seconds 4] [--root PATH ...] [--port 8770]

Uses DATABASE_URL, or the ``trialportal_bench`` database, as ``load.py``
does; it needs the shared records (``manage.py import_trials``, ``manage.py
seed``). Starts one gunicorn sync worker pinned to core 1 (``taskset``) with
the production settings and no access log, and drives it with ``wrk`` from
core 0: a bare WSGI "ok", Django answering ``HttpResponse("ok")`` through the
full middleware, then every kind of page. ``--root`` serves another checkout
of the project too (its pages get their own rows), so two versions are
compared on the same database in the same run; the first two rows are
measured again with gunicorn writing its access log. Rounds are interleaved (each
round visits every row) and each row prints min / median / max req/s and the
median (then min and max) of its per-round ratios to bare WSGI; then the same per CPU second the
worker used (``/proc``), which other work on a shared machine does not skew.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from load import production_environment

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BENCH = Path(__file__).resolve().parent
WRK = "/usr/bin/wrk"

# (label, path); the trial pages are the issue's: the seed, a results tab, the 1,148-site record.
PAGES = (
    ("Django, full middleware, HttpResponse('ok')", "/bench-ok"),
    ("seed summary /trials/NCT04133233/ (repeated)", "/trials/NCT04133233/"),
    ("seed design tab", "/trials/NCT04133233/design/"),
    ("Results tab NCT02967393", "/trials/NCT02967393/results/"),
    ("1,148-site summary NCT04267848", "/trials/NCT04267848/"),
    ("Related tab NCT02967393", "/trials/NCT02967393/related/"),
    ("/trials/NCT02967393.json", "/trials/NCT02967393.json"),
    ("/api/v2/studies/NCT02967393", "/api/v2/studies/NCT02967393"),
    ("/api/v2/studies?pageSize=100", "/api/v2/studies?pageSize=100"),
    ("list page /trials/", "/trials/"),
    ("search /trials/?q=breast+cancer", "/trials/?q=breast+cancer"),
)
SPREAD = "summaries spread over every trial"


def bare(environ, start_response):
    """The floor: a WSGI app that answers "ok" without a framework."""
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def django_app():
    """The project's WSGI app, with one extra URL answering "ok" through the full middleware."""
    from django.conf import settings
    from django.http import HttpResponse
    from django.urls import clear_url_caches, include, path

    from trialportal.wsgi import application

    module = type(sys)("bench_urls")
    module.urlpatterns = [
        path("bench-ok", lambda request: HttpResponse("ok")),
        path("", include(settings.ROOT_URLCONF)),
    ]
    sys.modules["bench_urls"] = module
    settings.ROOT_URLCONF = "bench_urls"
    clear_url_caches()
    return application


def start(app: str, root: Path, env: dict[str, str], port: int, access_log: str | None = None) -> subprocess.Popen:
    command = ["taskset", "-c", "1", PYTHON, "-m", "gunicorn", "--workers", "1", "--worker-class", "sync"]
    if access_log:
        command += ["--access-logfile", access_log]
    command += ["--bind", f"127.0.0.1:{port}", "--pythonpath", f"{root},{BENCH}", "--chdir", str(root), app]
    server = subprocess.Popen(command, cwd=root, env=env, stderr=subprocess.DEVNULL)
    workers[port] = server.pid
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/")
            connection.getresponse().read()
            # gunicorn's one worker is the master's child.
            workers[port] = int(Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()[0])
            return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    sys.exit(f"gunicorn ({app}) did not answer on port {port}.")


def spread_script(env: dict[str, str], root: Path, folder: str) -> str:
    """A wrk script asking for every trial's summary in turn: first renders, no page twice in a round."""
    ids = subprocess.run(
        [
            PYTHON,
            "manage.py",
            "shell",
            "-v0",
            "-c",
            "from trials.models import Trial;"
            "print(' '.join(Trial.objects.order_by('?').values_list('nct_id', flat=True)))",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    script = Path(folder) / "spread.lua"
    paths = ",".join(f'"/trials/{nct_id}/"' for nct_id in ids)
    # Each run starts where the last one stopped (wrk's argument), so no page is asked twice
    # while the list lasts: a page kept in the shared cache would not be a first render.
    script.write_text(
        f"local paths = {{{paths}}}\nlocal next = 0\n"
        "init = function(args)\n  next = tonumber(args[1] or '0') % #paths\nend\n"
        "request = function()\n  next = next % #paths + 1\n  return wrk.format('GET', paths[next])\nend\n"
    )
    return str(script)


# Requests each spread row has asked so far: where its next run starts.
asked: dict[int, int] = {}


# The worker of the server on each port: its CPU time is what a request costs the core.
workers: dict[int, int] = {}


def cpu_seconds(pid: int) -> float:
    """User and system time of a process so far (``/proc/PID/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def drive(port: int, path: str, seconds: int, script: str | None = None) -> tuple[float, float]:
    """Requests per second over ``seconds`` with two connections, and per CPU second of the worker.

    The second figure holds on a machine other work keeps busy, where the
    worker waits for its core. Any non-2xx answer stops the run.
    """
    command = ["taskset", "-c", "0", WRK, "-t1", "-c2", f"-d{seconds}s", "--timeout", "30s"]
    if script:
        command += ["-s", script]
    command.append(f"http://127.0.0.1:{port}{path}")
    if script:
        command += ["--", str(asked.get(port, 0))]
    used = cpu_seconds(workers[port])
    output = subprocess.run(command, capture_output=True, text=True).stdout
    used = cpu_seconds(workers[port]) - used
    if "Non-2xx" in output or "Socket errors" in output:
        sys.exit(f"{path} answered with errors:\n{output}")
    if script:
        # wrk's connections may ask a few pages more than it counts: leave room.
        asked[port] = asked.get(port, 0) + int(re.search(r"(\d+) requests in", output).group(1)) + 8
    count = int(re.search(r"(\d+) requests in", output).group(1))
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)), count / max(used, 0.01)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--root", action="append", type=Path, help="another checkout to serve too")
    parser.add_argument("--port", type=int, default=8770, help="the first of the ports the servers listen on")
    options = parser.parse_args()
    roots = [ROOT, *(root.resolve() for root in options.root or ())]
    servers: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory() as folder:
        env = production_environment(str(Path(folder) / "static"))
        env["PYTHONPATH"] = str(BENCH)
        # The list and search rows measure rendering, not a kept copy.
        env["SHARED_CACHE_LIST_SECONDS"] = "0"
        # (label, port, path, wrk script): bare WSGI first, then each checkout's pages.
        rows = [("bare WSGI 'ok'", options.port, "/", None)]
        try:
            servers.append(start("serve:bare", ROOT, env, options.port))
            for index, root in enumerate(roots):
                port = options.port + 1 + index
                served = {**env, "DJANGO_STATIC_ROOT": str(Path(folder) / f"static{index}")}
                subprocess.run(
                    [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=root, env=served, check=True
                )
                servers.append(start("serve:django_app()", root, served, port))
                name = "" if len(roots) == 1 else f"[{root.name}] "
                rows += [(name + label, port, path, None) for label, path in PAGES]
                rows.append((name + SPREAD, port, "/", spread_script(served, root, folder)))
            # The same app writing gunicorn's access log (to a file, as to a container's stdout).
            servers.append(
                start(
                    "serve:django_app()",
                    ROOT,
                    env | {"DJANGO_STATIC_ROOT": str(Path(folder) / "static0")},
                    options.port + 10,
                    str(Path(folder) / "access.log"),
                )
            )
            rows += [(f"{label}, access log on", options.port + 10, path, None) for label, path in PAGES[:2]]
            for _, port, path, script in rows:  # warm up: imports, first queries, the plan cache
                drive(port, path, 1, script)
            figures: dict[str, list[float]] = {label: [] for label, *_ in rows}
            per_cpu: dict[str, list[float]] = {label: [] for label, *_ in rows}
            for _ in range(options.rounds):
                for label, port, path, script in rows:
                    rate, rate_per_cpu = drive(port, path, options.seconds, script)
                    figures[label].append(rate)
                    per_cpu[label].append(rate_per_cpu)
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=30)
    print(f"{options.rounds} interleaved rounds of {options.seconds} s; one sync worker on core 1, wrk on core 0")
    for title, table in (("requests/s", figures), ("requests per CPU second of the worker", per_cpu)):
        baseline = table[rows[0][0]]
        print(f"\n{title:60} {'min':>8} {'median':>8} {'max':>8} {'x bare':>8} {'(min':>7} {'max)':>7}")
        for label, values in table.items():
            ratios = [value / base for value, base in zip(values, baseline, strict=True)]
            print(
                f"{label:60} {min(values):8.1f} {statistics.median(values):8.1f} {max(values):8.1f}"
                f" {statistics.median(ratios):8.4f} {min(ratios):7.4f} {max(ratios):7.4f}"
            )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
