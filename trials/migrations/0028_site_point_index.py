"""Distance searches read a city's sites from a two-dimensional index of their points.

The index on (latitude, longitude) narrows a bounding box by latitude only:
near Boston it reads every site on the band of latitude around the world.
A space-partitioned (SP-GiST) index on ``point(longitude, latitude)`` reads
the box itself, and holds what the distance and the nearest-site rule need
(coordinates, trial, status), so a dense city's sites are read from the
index alone (``places.distance``). Built-in to PostgreSQL: no extension.
SQLite keeps the latitude index.
"""

from django.db import migrations

INDEX = "site_point"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON trials_site USING spgist (point(longitude, latitude)) "
        "INCLUDE (latitude, longitude, trial_id, status)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("trials", "0027_similar_trial_tier_help_text"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
