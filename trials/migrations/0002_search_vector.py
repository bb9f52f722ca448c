"""Full-text search: PostgreSQL extensions, a text search configuration, indexes.

Everything but the column is PostgreSQL-only and does nothing on SQLite,
where search falls back to plain term matching (trials/search/simple.py).
"""

import django.contrib.postgres.search
from django.contrib.postgres.operations import (
    BtreeGinExtension,
    CreateExtension,
    TrigramExtension,
    UnaccentExtension,
)
from django.db import migrations

POSTGRES_FORWARDS = [
    # English stemming that ignores accents: "Créteil" finds "Creteil".
    "CREATE TEXT SEARCH CONFIGURATION trialportal (COPY = english)",
    "ALTER TEXT SEARCH CONFIGURATION trialportal ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem",
    "CREATE INDEX trials_trial_search_vector_gin ON trials_trial USING gin (search_vector)",
    # icontains on PostgreSQL compares UPPER(column): trigram indexes on that expression.
    # (Not on the bare column: the planner would use it for name = ANY(...), slowly.)
    "CREATE INDEX trials_condition_name_trgm ON trials_condition USING gin (UPPER(name) gin_trgm_ops)",
    "CREATE INDEX trials_sponsor_name_trgm ON trials_sponsor USING gin (UPPER(name) gin_trgm_ops)",
    "CREATE INDEX trials_intervention_name_trgm ON trials_intervention USING gin (UPPER(name) gin_trgm_ops)",
    # Misspelled conditions: word similarity against lower-case names.
    "CREATE INDEX trials_condition_name_lower_trgm ON trials_condition USING gin (LOWER(name) gin_trgm_ops)",
    # Country and city filters compare case-insensitively (iexact).
    "CREATE INDEX trials_site_place_upper ON trials_site (UPPER(country), UPPER(city))",
]
POSTGRES_BACKWARDS = [
    "DROP INDEX IF EXISTS trials_site_place_upper",
    "DROP INDEX IF EXISTS trials_intervention_name_trgm",
    "DROP INDEX IF EXISTS trials_sponsor_name_trgm",
    "DROP INDEX IF EXISTS trials_condition_name_lower_trgm",
    "DROP INDEX IF EXISTS trials_condition_name_trgm",
    "DROP INDEX IF EXISTS trials_trial_search_vector_gin",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS trialportal",
]


def run_on_postgres(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("trials", "0001_initial"),
    ]

    operations = [
        # Each is a no-op on databases other than PostgreSQL.
        TrigramExtension(),
        UnaccentExtension(),
        BtreeGinExtension(),
        CreateExtension("fuzzystrmatch"),
        migrations.AddField(
            model_name="trial",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(run_on_postgres(POSTGRES_FORWARDS), run_on_postgres(POSTGRES_BACKWARDS)),
    ]
