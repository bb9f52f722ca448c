"""Bulk loads: what a large import drops before writing and rebuilds once after.

PostgreSQL only. The statements that bring the indexes and checks back are
stored before anything is dropped (``DeferredStatement``), so an import
killed halfway is repaired by the next one (``restore_deferred``).
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections import deque
from collections.abc import Iterator

from django.db import DatabaseError, connection, connections, transaction

from ..models import ArmGroupIntervention, Condition, DeferredStatement, InterventionAlias, Trial, TrialCondition
from .writer import CHILD_MODELS, RESULT_MODELS

# From this many documents (and at least half the trials on file), an import
# is a bulk load: see ``bulk_load``.
BULK_LOAD_FROM = 20_000
# Connections that build the owed indexes side by side (GIN builds use one core each).
RESTORE_CONNECTIONS = 2
# Kept through a bulk load: replacing a trial deletes its rows by these.
_TRIAL_KEY_INDEX = re.compile(r"USING btree \(trial_id\)$")


def worth_bulk_loading(documents: int) -> bool:
    """Whether an import of ``documents`` should run as a ``bulk_load``.

    Rebuilding indexes and checks costs in proportion to everything stored,
    maintaining them row by row in proportion to what is imported: a bulk
    load pays off for a large import that at least grows the registry by half.
    """
    return connection.vendor == "postgresql" and documents >= max(BULK_LOAD_FROM, Trial.objects.count() // 2)


def _written_tables() -> list[str]:
    """The tables the writer fills."""
    models = [
        Trial,
        Condition,
        TrialCondition,
        ArmGroupIntervention,
        InterventionAlias,
        *CHILD_MODELS.values(),
        *RESULT_MODELS.values(),
    ]
    return [model._meta.db_table for model in models]


@contextlib.contextmanager
def bulk_load() -> Iterator[None]:
    """Load many trials at once: drop what slows writing row by row, and rebuild it once at the end.

    Maintaining the GIN indexes (full text, trigrams), the secondary B-tree
    indexes and the foreign-key checks row by row costs a bulk import more
    than all its other database work; building each once from all the rows
    costs a fraction of that. Kept: primary keys and unique constraints (the
    writer looks trials and conditions up by them) and each table's index on
    its trial (replacing a trial deletes its rows by it). Searches and
    filters are slower meanwhile; everything comes back even when the import
    fails, and the statements that bring it back are stored first
    (``DeferredStatement``), so an import killed halfway is repaired by the next one.
    PostgreSQL only; elsewhere this does nothing.
    """
    if connection.vendor != "postgresql":
        yield
        return
    restore_deferred()
    with transaction.atomic(), connection.cursor() as cursor:
        # Checks pending from earlier in a caller's transaction would block ALTER TABLE.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        tables = _written_tables()
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = ANY(%s::regclass[]) AND NOT indisunique AND NOT indisprimary ORDER BY 1",
            [tables],
        )
        indexes = [
            (name, definition) for name, definition in cursor.fetchall() if not _TRIAL_KEY_INDEX.search(definition)
        ]
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
            [tables],
        )
        foreign_keys = cursor.fetchall()
        quote = connection.ops.quote_name
        DeferredStatement.objects.bulk_create(
            [DeferredStatement(statement=definition) for _, definition in indexes]
            + [
                DeferredStatement(statement=f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition} NOT VALID")
                for table, name, definition in foreign_keys
            ]
            + [
                DeferredStatement(statement=f"ALTER TABLE {table} VALIDATE CONSTRAINT {quote(name)}")
                for table, name, _ in foreign_keys
            ]
        )
        for table, name, _ in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    try:
        yield
    finally:
        restore_deferred()


def restore_deferred() -> int:
    """Run what a bulk load owes the database (see ``bulk_load``); how many statements ran.

    Indexes first, built side by side on ``RESTORE_CONNECTIONS`` connections
    (outside a caller's transaction, whose locks they would wait on), the
    GIN ones first as they take longest; then the foreign keys, in order.
    """
    if connection.vendor != "postgresql":
        return 0
    statements = list(DeferredStatement.objects.order_by("id"))
    indexes = sorted(
        (deferred for deferred in statements if deferred.statement.startswith("CREATE ")),
        key=lambda deferred: "USING gin" not in deferred.statement,
    )
    checks = [deferred for deferred in statements if not deferred.statement.startswith("CREATE ")]
    failures: list[str] = []
    if len(indexes) > 1 and not connection.in_atomic_block:
        pending = deque(indexes)

        def build() -> None:
            try:
                while pending:
                    failures.extend(_run_deferred(pending.popleft()))
            except IndexError:
                pass  # the other connection took the last one
            finally:
                connections.close_all()  # this thread's own connection

        threads = [threading.Thread(target=build) for _ in range(RESTORE_CONNECTIONS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:
        checks = indexes + checks
    for deferred in checks:
        failures.extend(_run_deferred(deferred))
    if failures:
        raise DatabaseError("a bulk load could not restore " + "; ".join(failures))
    return len(statements)


def _run_deferred(deferred: DeferredStatement) -> list[str]:
    """Run one owed statement and strike it off, in one transaction: [] or why it failed."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # Inside a caller's transaction: run its pending foreign-key checks
            # now, as PostgreSQL alters no table with checks pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            cursor.execute(deferred.statement.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
            deferred.delete()
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    except DatabaseError as error:
        return [f"{deferred.statement}: {error}"]
    return []
