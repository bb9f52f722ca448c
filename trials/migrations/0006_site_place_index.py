"""Country and city filters: an index that also holds the trial, so matching sites name their trials."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS trials_site_place_upper")
    schema_editor.execute("CREATE INDEX trials_site_place_upper ON trials_site (UPPER(country), UPPER(city), trial_id)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS trials_site_place_upper")
    schema_editor.execute("CREATE INDEX trials_site_place_upper ON trials_site (UPPER(country), UPPER(city))")


class Migration(migrations.Migration):
    dependencies = [("trials", "0005_staff_groups")]

    operations = [migrations.RunPython(forwards, backwards)]
