"""One row asked through a statement prepared once per PostgreSQL connection, executed by libpq directly.

For the few statements asked on nearly every request (a kept page's
version), where psycopg's and Django's cursors cost several times what
PostgreSQL takes to answer.
"""

from __future__ import annotations

import datetime
import re
import time
import weakref

import psycopg
from psycopg import pq

# What ``prepared_row`` returns when it could not ask: Django's cursor asks instead.
UNANSWERED = object()
# The statements prepared on each PostgreSQL connection (a new connection has none).
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def prepared_row(wrapper, name: str, sql: str, value: str) -> tuple | object:
    """The first row of ``sql`` (one ``%s``, taking ``value``), asked on the connection's libpq handle.

    A kept page costs this query and little else, and psycopg's cursor (its
    adaptation, its non-blocking waits) and Django's around it cost several
    times what PostgreSQL takes to answer. So the statement is prepared once
    per connection and executed by libpq directly, its timestamps read from
    their text. Whatever does not go as planned (no connection yet in a
    broken transaction, a statement a pooler dropped, an error) returns
    ``UNANSWERED``, and Django's cursor asks again: it raises what it
    raises, marks a broken connection, and the request goes on as before.
    The query is logged where Django logs queries (tests count them).
    """
    if wrapper.needs_rollback:
        return UNANSWERED
    wrapper.ensure_connection()
    connection = wrapper.connection
    pgconn = connection.pgconn
    if pgconn.transaction_status not in (pq.TransactionStatus.IDLE, pq.TransactionStatus.INTRANS):
        return UNANSWERED
    started = time.monotonic()
    prepared = _prepared.setdefault(connection, set())
    key = name.encode()
    try:
        if key not in prepared:
            made = pgconn.prepare(key, _numbered(sql).encode())
            # Prepared already (an error after an earlier prepare lost track of it): use it.
            if made.status != pq.ExecStatus.COMMAND_OK and _sqlstate(made) != DUPLICATE_PREPARED_STATEMENT:
                return UNANSWERED
            prepared.add(key)
        result = pgconn.exec_prepared(key, [value.encode()])
    except psycopg.Error:
        return UNANSWERED
    if result.status != pq.ExecStatus.TUPLES_OK:
        # A timeout or a replica's conflict leaves the statement prepared; a pooler may have dropped it.
        if _sqlstate(result) == UNDEFINED_PREPARED_STATEMENT:
            prepared.discard(key)
        return UNANSWERED
    if wrapper.queries_logged:
        wrapper.queries_log.append({"sql": sql % (f"'{value}'",), "time": f"{time.monotonic() - started:.3f}"})
    if not result.ntuples:
        return None
    try:
        return tuple(_read(result.get_value(0, column), result.ftype(column)) for column in range(result.nfields))
    except ValueError:  # a server that writes dates in another style than ISO's
        return UNANSWERED


_TIMESTAMPTZ_OID = 1184
DUPLICATE_PREPARED_STATEMENT = b"42P05"
UNDEFINED_PREPARED_STATEMENT = b"26000"


def _sqlstate(result) -> bytes | None:
    return result.error_field(pq.DiagnosticField.SQLSTATE)


def _read(value: bytes | None, oid: int):
    """A column's text as the version reads it: a timestamp as an aware datetime, other values as text."""
    if value is None:
        return None
    text = value.decode()
    return datetime.datetime.fromisoformat(text) if oid == _TIMESTAMPTZ_OID else text


def _numbered(sql: str) -> str:
    """Django's ``%s`` placeholder as PostgreSQL's ``$1``."""
    return re.sub(r"%([s%])", lambda match: "$1" if match.group(1) == "s" else "%", sql)
