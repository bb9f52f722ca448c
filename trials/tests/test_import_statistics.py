"""After an import, the planner's row count of the trials is close to the count on file.

The import ANALYZEs the trials, and the steps after it (measuring the
studies' sizes) rewrite every row: statistics taken before them have the
planner scale its row count by the grown table.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from trials import db
from trials.models import Trial

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL planner's estimate"),
]


def test_the_planners_row_count_matches_the_trials_after_an_import(ctgov_data):
    call_command("import_trials", str(ctgov_data), "--no-progress", "--workers", "0")
    on_file = Trial.objects.count()
    assert on_file > 50
    estimated = db.estimate(Trial.objects.all())
    assert abs(estimated - on_file) <= 0.2 * on_file, (estimated, on_file)


def test_the_estimate_stays_close_after_an_import_that_changes_nothing(ctgov_data):
    call_command("import_trials", str(ctgov_data), "--no-progress", "--workers", "0")
    call_command("import_trials", str(ctgov_data), "--no-progress", "--workers", "0")
    on_file = Trial.objects.count()
    estimated = db.estimate(Trial.objects.all())
    assert abs(estimated - on_file) <= 0.2 * on_file, (estimated, on_file)
