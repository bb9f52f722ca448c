"""Servers on loopback for sync tests and benchmarks: a source portal, a faulty proxy, a garbage source.

The source is a TrialPortal in a process of its own serving its own SQLite
database, so the portal under test (the mirror, on the test database) syncs
from it over HTTP exactly as from the registry.
"""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import orjson
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url() -> str:
    """The address of the database the tests use (PostgreSQL), for a process of its own."""
    config = connection.settings_dict
    return f"postgres://{config['USER']}@{config['HOST'] or '127.0.0.1'}:{config['PORT'] or 5432}/{config['NAME']}"


class SourcePortal:
    """A TrialPortal serving ``database`` (SQLite) on loopback, in a process of its own."""

    def __init__(self, database: Path):
        self.database = Path(database)
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "DATABASE_URL": f"sqlite:///{self.database}", "DJANGO_DEBUG": "1"}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v2"

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=self.env, capture_output=True, text=True
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed: {done.stderr[-2000:]}")
        return done.stdout

    def copy(self, database: Path) -> SourcePortal:
        shutil.copyfile(self.database, database)
        return SourcePortal(database)

    def start(self) -> SourcePortal:
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
            cwd=BASE_DIR,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2):
                    return self
            except (urllib.error.URLError, ConnectionError):
                if self.process.poll() is not None:
                    break
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("the source portal did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def study(self, nct_id: str) -> dict:
        with urllib.request.urlopen(f"{self.url}/studies/{nct_id}", timeout=30) as response:
            return orjson.loads(response.read())

    def nct_ids(self) -> list[str]:
        with urllib.request.urlopen(f"{self.url}/studies?fields=NCTId&pageSize=1000", timeout=30) as response:
            page = orjson.loads(response.read())
        return [study["protocolSection"]["identificationModule"]["nctId"] for study in page["studies"]]


class _Server:
    """An ``http.server`` on loopback in a thread; ``requests`` lists each request's path and headers."""

    def __init__(self, handle):
        self.requests: list[tuple[str, dict]] = []
        self.lock = threading.Lock()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                with owner.lock:
                    owner.requests.append((self.path, dict(self.headers)))
                    number = len(owner.requests)
                handle(self, number)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def send(handler, status: int, body: bytes, content_type: str = "application/json", headers: dict | None = None):
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


class FaultyProxy(_Server):
    """Forwards to ``target``, failing one request in ``every``, in turn: 503, 429, a dropped connection, a cut body.

    The 503 and 429 carry ``Retry-After`` (``RETRY_AFTER``), which a polite client waits at least.
    """

    FAULTS = ("503", "429", "drop", "cut")
    RETRY_AFTER = {"503": "1", "429": "3"}

    def __init__(self, target: str, every: int = 4):
        self.faults: list[str] = []
        host = target.split("/api/")[0]

        def handle(handler, number: int) -> None:
            if number % every == 0:
                fault = self.FAULTS[(number // every - 1) % len(self.FAULTS)]
                self.faults.append(fault)
                if fault == "drop":
                    handler.close_connection = True
                    return
                if fault in self.RETRY_AFTER:
                    send(handler, int(fault), b"busy", "text/plain", {"Retry-After": self.RETRY_AFTER[fault]})
                    return
            with urllib.request.urlopen(host + handler.path, timeout=60) as response:
                body = response.read()
                content_type = response.headers["Content-Type"]
            if number % every == 0:  # cut: the whole length promised, half of it sent
                handler.send_response(200)
                handler.send_header("Content-Type", content_type)
                handler.send_header("Content-Length", str(len(body)))
                handler.end_headers()
                handler.wfile.write(body[: len(body) // 2])
                handler.close_connection = True
                return
            send(handler, 200, body, content_type)

        super().__init__(handle)

    @property
    def url(self) -> str:
        return f"{self.base}/api/v2"


class ScriptedSource(_Server):
    """Answers the n-th request with the n-th of ``answers`` (status, body, content type); the last repeats."""

    def __init__(self, answers: list[tuple[int, bytes, str]]):
        def handle(handler, number: int) -> None:
            status, body, content_type = answers[min(number, len(answers)) - 1]
            send(handler, status, body, content_type)

        super().__init__(handle)

    @property
    def url(self) -> str:
        return f"{self.base}/api/v2"
