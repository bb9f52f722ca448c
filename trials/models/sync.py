"""Sync bookkeeping: where a registry sync stands, written after each page."""

from __future__ import annotations

from django.db import models


class SyncCheckpoint(models.Model):
    """One run of ``sync_registry``: what it asked for, how far it got, how it ended.

    Saved after every page in the same transaction as the page's trials, so
    a run killed halfway leaves the token of the first page it did not
    write; the next run of the same source continues from it.
    """

    class Mode(models.TextChoices):
        FULL = "full", "Full"
        INCREMENTAL = "incremental", "Incremental"

    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        # Left unfinished, then replaced by a run that asked for something else.
        ABANDONED = "abandoned", "Abandoned"

    source_url = models.URLField(max_length=500)
    mode = models.CharField(max_length=12, choices=Mode.choices)
    since = models.DateField(null=True, blank=True, help_text="Studies last updated on or after this date.")
    next_page_token = models.CharField(max_length=500, blank=True)
    pages = models.PositiveIntegerField(default=0)
    total_count = models.PositiveIntegerField(null=True, blank=True, help_text="The source's totalCount.")
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    requests = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.RUNNING)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["source_url", "outcome", "-started_at"], name="trials_sync_source_idx")]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} sync of {self.source_url} ({self.outcome})"

    @property
    def studies(self) -> int:
        return self.created + self.updated + self.unchanged + self.failed
