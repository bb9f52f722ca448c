"""Import bookkeeping."""

from __future__ import annotations

from django.db import models


class DeferredStatement(models.Model):
    """A statement a bulk import owes the database: an index or a check it dropped to load faster.

    Written before the drop, in the same transaction, and deleted once run
    again; an import that was killed halfway leaves its rows here, and the
    next import runs them first (``importers.restore_deferred``).
    """

    statement = models.TextField()

    def __str__(self) -> str:
        return self.statement
