"""What the page benchmarks share: Django set up on the bench database, the records on file, a rate.

A benchmark imports this first and calls ``setup()`` before importing anything of Django's::

    import portal

    portal.setup()

Uses DATABASE_URL, or a ``trialportal_bench`` database on the local server.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "postgres://postgres@127.0.0.1:5432/trialportal_bench"


def setup(production: bool = False) -> None:
    """Django on the bench database; ``production``: the production settings, over plain HTTP to the test client."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DATABASE_URL", BENCH_DATABASE)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialportal.settings")
    if production:
        os.environ.setdefault("DJANGO_DEBUG", "0")
        os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-key-" + "x" * 40)
        os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost")
        os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
        os.environ.setdefault("DJANGO_STATIC_ROOT", tempfile.mkdtemp(prefix="trialportal-static-"))
    import django

    django.setup()


def prepare(records: Iterable[Path], static: bool = False) -> None:
    """The database created if missing and migrated, ``records`` imported (and the static files collected)."""
    from django.core.management import call_command

    _ensure_database()
    call_command("migrate", verbosity=0)
    if static:
        call_command("collectstatic", "--noinput", verbosity=0)
    for record in records:
        call_command("import_trials", str(record), "--no-progress", verbosity=0)


def rate(ask: Callable[[], object], count: int) -> float:
    """How many times a second ``ask`` answers, over ``count`` calls."""
    started = time.perf_counter()
    for _ in range(count):
        ask()
    return count / (time.perf_counter() - started)


def _ensure_database() -> None:
    from django.conf import settings
    from django.db import OperationalError, connection

    try:
        connection.ensure_connection()
    except OperationalError:
        import psycopg

        name = settings.DATABASES["default"]["NAME"]
        with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
