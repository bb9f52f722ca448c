"""Exit 0 when the database in DATABASE_URL answers, 1 otherwise.

``make test`` uses it to decide whether to run the suite on PostgreSQL too.
It connects to the server's maintenance database, because the test run
creates its own ``test_...`` database.
"""

from __future__ import annotations

import os
import sys

import dj_database_url


def postgres_answers(url: str) -> bool:
    config = dj_database_url.parse(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        return False
    import psycopg

    try:
        psycopg.connect(
            dbname="postgres",
            user=config.get("USER") or None,
            password=config.get("PASSWORD") or None,
            host=config.get("HOST") or None,
            port=config.get("PORT") or None,
            connect_timeout=3,
        ).close()
    except psycopg.Error:
        return False
    return True


if __name__ == "__main__":
    sys.exit(0 if postgres_answers(os.environ.get("DATABASE_URL", "")) else 1)
