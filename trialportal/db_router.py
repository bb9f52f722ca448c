"""Reads of public requests go to a read replica; everything else uses the primary.

Only a request that ``PrimaryForStaffMiddleware`` lets read a replica does:
a ``GET`` or ``HEAD`` outside the admin from someone not signed in. It reads
one replica for the whole request, so what it reads never goes back in time
(a trial's version, then its page). Writes, migrations, management commands
(imports, related-trial rebuilds), syncs, scripts, posted forms, the admin
and a signed-in editor's requests use the primary: an editor sees their
change at once, whatever a replica's lag.
"""

from __future__ import annotations

import contextvars
import random
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

_reading = contextvars.ContextVar("replica_for_reads", default=None)


@contextmanager
def reading_from(alias: str | None) -> Iterator[None]:
    """Reads inside go to ``alias`` (None: the primary)."""
    token = _reading.set(alias)
    try:
        yield
    finally:
        _reading.reset(token)


def public_replica() -> str | None:
    """The replica a visitor's request reads, for the whole request; None without replicas."""
    return random.choice(settings.DATABASE_REPLICAS) if settings.DATABASE_REPLICAS else None


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints) -> str | None:
        return _reading.get()

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        # Replicas hold the primary's rows: an object read from one relates to one from the other.
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS


class PrimaryForStaffMiddleware:
    """Picks where a request reads: a replica for a visitor's page, the primary for staff and anything that writes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # A replica chosen earlier in the request (the shared page cache reads a trial's version) is kept.
        if not settings.DATABASE_REPLICAS or _reading.get() is not None or not self._public_read(request):
            return self.get_response(request)
        with reading_from(public_replica()):
            return self.get_response(request)

    @staticmethod
    def _public_read(request) -> bool:
        if request.method not in ("GET", "HEAD") or request.path.startswith(f"/{settings.ADMIN_URL}"):
            return False
        # Only a request with the session cookie can be signed in (read on the primary, before choosing).
        return settings.SESSION_COOKIE_NAME not in request.COOKIES or not request.user.is_authenticated
