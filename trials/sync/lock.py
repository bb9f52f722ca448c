"""One sync of a source at a time: a lock held for the whole run, released when it ends or its process dies.

On PostgreSQL the lock is a session advisory lock on the primary, keyed on
the source's URL, so runs on other machines see it too; on SQLite, a file
beside the database held with ``flock``. A run asks for the lock before it
plans, so a second run never marks the first one's checkpoint abandoned nor
writes a page the first is writing.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connections, router

from ..models import SyncCheckpoint

# The runs this process holds: a PostgreSQL session may take its own advisory lock again.
_held: set[str] = set()


class SyncAlreadyRunning(Exception):
    """Another run of the same source holds the lock."""

    def __init__(self, source: str):
        running = SyncCheckpoint.objects.filter(source_url=source, outcome=SyncCheckpoint.Outcome.RUNNING).first()
        since = f" (since {running.started_at:%Y-%m-%d %H:%M:%S} UTC)" if running else ""
        super().__init__(
            f"Another sync of {source} is running{since}: this one stops without writing anything. "
            "Run it again when that one has ended."
        )


@contextmanager
def source_lock(source: str) -> Iterator[None]:
    """Holds the lock of ``source`` for the block; ``SyncAlreadyRunning`` when another run holds it."""
    if source in _held:
        raise SyncAlreadyRunning(source)
    connection = connections[router.db_for_write(SyncCheckpoint)]
    digest = hashlib.sha256(f"trialportal sync {source}".encode()).digest()
    if connection.vendor == "postgresql":
        locked = _advisory_lock(connection, int.from_bytes(digest[:8], "big", signed=True))
    else:
        locked = _file_lock(connection.settings_dict["NAME"], digest.hex()[:16])
    with locked as acquired:
        if not acquired:
            raise SyncAlreadyRunning(source)
        _held.add(source)
        try:
            yield
        finally:
            _held.discard(source)


@contextmanager
def _advisory_lock(connection, key: int) -> Iterator[bool]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


@contextmanager
def _file_lock(database: str | Path, key: str) -> Iterator[bool]:
    path = Path(str(database))
    if str(database) == ":memory:" or str(database).startswith("file:") or not path.parent.is_dir():
        # An in-memory database is this process's alone: the set of runs held is lock enough.
        yield True
        return
    descriptor = os.open(f"{path}.sync-{key}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(descriptor)
