"""A trial's sites with their status and point, read from an index alone (PostgreSQL).

A distance search lists a trial where its nearest recruiting site is, or its
nearest site when none recruits. Read ring by ring from the centre
(``places.points``), a page asks of each trial it lists whether it has a
recruiting site in the circle, or a site nearer than the ring: this index
answers from the trial's recruiting sites alone, or from all its sites,
without reading the table. SQLite has no rings: it measures the sites.
"""

from django.db import migrations

INDEX = "site_trial_points"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON trials_site (trial_id, status) INCLUDE (latitude, longitude)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("trials", "0032_trialpage"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
