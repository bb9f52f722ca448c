"""Earlier versions of a trial's record: what it said before each change."""

from __future__ import annotations

from django.db import models


class VersionSource(models.TextChoices):
    """How a version of a record came in."""

    IMPORT = "import", "Import"
    SYNC = "sync", "Registry sync"
    ADMIN = "admin", "Staff edit"


class TrialVersion(models.Model):
    """One version of a trial's record, numbered from 1 (the first import).

    Keyed by NCT ID, not by the trial's row: an import replaces a trial's row
    as a whole, and its history must outlive that. The version the trial holds
    now has ``document`` empty (the trial itself is that document); a trial
    never changed has no rows at all: it is version 1 and nothing is owed.
    """

    nct_id = models.CharField("NCT ID", max_length=11)
    number = models.PositiveIntegerField()
    recorded_at = models.DateTimeField(help_text="When this version was written here")
    source = models.CharField(max_length=10, choices=VersionSource.choices)
    # The study in API v2 JSON as our API served it then, zlib-compressed; empty for the current version.
    document = models.BinaryField(null=True, blank=True)
    # What this version changed from the one before it (``trials.history.diff``): [{"kind", "text"}].
    changes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["nct_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["nct_id", "number"], name="trial_version_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.nct_id} version {self.number}"
