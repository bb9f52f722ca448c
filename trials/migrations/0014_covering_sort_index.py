"""The default sort's index holds the trial's id and the columns the list filters on.

A page read in the default order (last update first) takes its ids from this
index alone, filtering on the columns it includes, and reads only its own
rows from the table: page 200 of the completed trials skips 5,000 index
entries instead of 15,000 table rows (``listing.CappedPaginator``).
PostgreSQL only.
"""

from django.db import migrations

INCLUDED = (
    "id",
    "overall_status",
    "phases",
    "study_type",
    "allocation",
    "sex",
    "healthy_volunteers",
    "has_results",
    "minimum_age_years",
    "maximum_age_years",
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS trial_by_last_update")
    schema_editor.execute(
        "CREATE INDEX trial_by_last_update ON trials_trial (last_update_posted_date DESC NULLS LAST, nct_id) "
        f"INCLUDE ({', '.join(INCLUDED)})"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS trial_by_last_update")
    schema_editor.execute(
        "CREATE INDEX trial_by_last_update ON trials_trial (last_update_posted_date DESC NULLS LAST, nct_id)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("trials", "0013_condition_trial_index"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
