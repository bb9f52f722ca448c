"""An intervention's other names and description are found by substring from an index.

``query.intr`` (and the areas that take interventions) match a term anywhere
in an intervention's name, other names or description. Only the name had a
trigram index, so one lookup without an index made the child rows a scan of
every intervention (1,080,000 at 600,000 trials). With all three indexed, a
rare term is a BitmapOr of three index scans (``search.areas.Part.q``).
PostgreSQL only, as the name's index (migration 0002): SQLite scans.
"""

from django.db import migrations

INDEXES = {
    "intervention_other_names_trgm": "UPPER(other_names::text)",
    "intervention_description_trgm": "UPPER(description::text)",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON trials_intervention USING gin ({expression} gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("trials", "0029_open_status_lapse_index"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
