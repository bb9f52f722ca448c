"""Faster bulk imports: a record of what a bulk load owes the database, lz4 for long texts, one index fewer.

lz4 compresses a trial's long texts (descriptions, criteria, its search
vector) several times faster than PostgreSQL's default pglz, for a little
more space; it applies to values written from now on. PostgreSQL only, and
only where the server was built with lz4.
"""

from django.db import migrations, models


def compress_with_lz4(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
        row = cursor.fetchone()
        if not row or not row[0]:
            return
        # Every column whose values can be compressed (storage "extended" or "main").
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'trials_trial'::regclass AND attnum > 0 "
            "AND NOT attisdropped AND attstorage IN ('x', 'm')"
        )
        columns = [name for (name,) in cursor.fetchall()]
    for column in columns:
        schema_editor.execute(
            f"ALTER TABLE trials_trial ALTER COLUMN {schema_editor.quote_name(column)} SET COMPRESSION lz4"
        )


def compress_with_pglz(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'trials_trial'::regclass AND attnum > 0 "
            "AND NOT attisdropped AND attcompression = 'l'"
        )
        columns = [name for (name,) in cursor.fetchall()]
    for column in columns:
        schema_editor.execute(
            f"ALTER TABLE trials_trial ALTER COLUMN {schema_editor.quote_name(column)} SET COMPRESSION default"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("trials", "0010_similarity_key_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="DeferredStatement",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("statement", models.TextField()),
            ],
        ),
        migrations.RunPython(compress_with_lz4, compress_with_pglz),
        # Never read (the filters compare UPPER(country), UPPER(city)), and a
        # cost on every site written.
        migrations.RemoveIndex(
            model_name="site",
            name="trials_site_country_cf4953_idx",
        ),
    ]
