"""A trial's page document: the parts of its Summary that depend on its record alone, rendered in advance."""

from __future__ import annotations

from django.db import models


class TrialPage(models.Model):
    """The record-only parts of a trial's Summary as HTML, rendered by the templates a live page renders them with.

    Written after an import, a sync or an admin edit (``trials.pages``);
    read with the trial in its page's own query only while it matches the
    trial's ``updated_at`` and the code's release, so an edited, imported or
    redeployed record is never shown from an older document: its page is
    rendered live until the document is built again.
    """

    trial = models.OneToOneField(
        "trials.Trial", on_delete=models.CASCADE, primary_key=True, related_name="page_document"
    )
    # The code's release and the URL prefixes its links were written with (``trials.pages.key``).
    release = models.CharField(max_length=200)
    trial_updated_at = models.DateTimeField()
    parts = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"Page of trial {self.trial_id} ({self.release})"
