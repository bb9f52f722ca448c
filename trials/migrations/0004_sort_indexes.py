"""The list's sort orders, each with its own index on PostgreSQL.

A page of 25 sorted trials is then read in index order instead of sorting
every match. SQLite cannot declare NULLS LAST in an index and keeps the
plain date indexes.
"""

from django.db import migrations, models

SORT_INDEXES = {
    "trial_by_last_update": "last_update_posted_date",
    "trial_by_start": "start_date",
    "trial_by_enrollment": "enrollment_count",
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in SORT_INDEXES.items():
        schema_editor.execute(f"CREATE INDEX {name} ON trials_trial ({column} DESC NULLS LAST, nct_id)")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in SORT_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("trials", "0003_list_validators"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="trial",
            options={
                "ordering": [
                    models.OrderBy(models.F("last_update_posted_date"), descending=True, nulls_last=True),
                    "nct_id",
                ]
            },
        ),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
