"""Facet tokens name the MeSH descriptors a trial is filed under: ``D:D009203``.

A search phrase that names a descriptor also matches the trials filed under
it (trials/search/expand.py). As a correlated EXISTS on ``trials_meshterm``
OR'ed with the text match, that read every trial; as a token, PostgreSQL
ORs the two matches on the (search_vector, facet_tokens) GIN index.
``trials_facet_tokens`` takes the trial's MeSH ids (conditions and
interventions, assigned and ancestors) as a last argument, and every
stored trial's tokens are recomputed, a batch of ids per transaction so a
large registry is not rewritten in one. PostgreSQL only.
"""

import importlib

from django.db import migrations, transaction

FACET_TOKENS_FUNCTION = """
CREATE OR REPLACE FUNCTION trials_facet_tokens(
    status text, phases text, study_type text, allocation text, sex text, healthy boolean, results boolean,
    lead_class text, site_countries text[], site_cities text[], condition_ids bigint[], intervention_types text[],
    mesh_ids text[]
) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT ARRAY(
    SELECT DISTINCT upper(token) FROM unnest(
        ARRAY[
            's:' || NULLIF(status, ''),
            't:' || NULLIF(study_type, ''),
            'a:' || NULLIF(allocation, ''),
            'k:' || NULLIF(lead_class, ''),
            CASE WHEN sex IN ('FEMALE', 'ALL', '') THEN 'x:FEMALE' END,
            CASE WHEN sex IN ('MALE', 'ALL', '') THEN 'x:MALE' END,
            'h:' || CASE healthy WHEN true THEN 'yes' WHEN false THEN 'no' END,
            'r:' || CASE results WHEN true THEN 'yes' WHEN false THEN 'no' END
        ]
        || ARRAY(SELECT 'p:' || phase FROM unnest(string_to_array(phases, ',')) AS phase)
        || ARRAY(SELECT 'n:' || country FROM unnest(site_countries) AS country WHERE country <> '')
        || ARRAY(SELECT 'y:' || city FROM unnest(site_cities) AS city WHERE city <> '')
        || ARRAY(
            SELECT 'm:' || country || '|' || city
            FROM unnest(site_countries, site_cities) AS place(country, city)
            WHERE city <> ''
        )
        || ARRAY(SELECT 'c:' || id FROM unnest(condition_ids) AS id)
        || ARRAY(SELECT 'i:' || kind FROM unnest(intervention_types) AS kind WHERE kind <> '')
        || ARRAY(SELECT 'd:' || ui FROM unnest(mesh_ids) AS ui WHERE ui <> '')
    ) AS token
    WHERE token IS NOT NULL
    ORDER BY 1
)
$$
"""

OLD_ARGUMENTS = (
    "text, text, text, text, text, boolean, boolean, text, text[], text[], bigint[], text[]"  # migration 0012
)
NEW_ARGUMENTS = f"{OLD_ARGUMENTS}, text[]"

# The same as trials.search.FACETS_FROM_ROWS, frozen here as migrations must be.
FACETS_FROM_ROWS = """
trials_facet_tokens(
    t.overall_status, t.phases, t.study_type, t.allocation, t.sex, t.healthy_volunteers, t.has_results,
    (SELECT agency_class FROM trials_sponsor WHERE trial_id = t.id AND is_lead ORDER BY position LIMIT 1),
    ARRAY(SELECT country FROM trials_site WHERE trial_id = t.id ORDER BY position, id),
    ARRAY(SELECT city FROM trials_site WHERE trial_id = t.id ORDER BY position, id),
    ARRAY(SELECT condition_id FROM trials_trialcondition WHERE trial_id = t.id),
    ARRAY(SELECT type FROM trials_intervention WHERE trial_id = t.id),
    ARRAY(SELECT mesh_id FROM trials_meshterm WHERE trial_id = t.id)
)
"""

# Trials whose tokens are rewritten per transaction.
BATCH = 20_000


def _recompute(connection, tokens_sql: str) -> None:
    """Every trial's tokens from ``tokens_sql``, a range of ids per transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM trials_trial")
        low, high = cursor.fetchone()
    if low is None:
        return
    for start in range(low, high + 1, BATCH):
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE trials_trial AS t SET facet_tokens = {tokens_sql} WHERE t.id >= %s AND t.id < %s",
                [start, start + BATCH],
            )
    with connection.cursor() as cursor:
        # Rewritten rows wait in the GIN index's pending list, which the planner prices as a
        # scan of every entry (choosing to read every trial instead) until it is merged.
        cursor.execute("SELECT gin_clean_pending_list('trials_trial_search_gin'::regclass)")
        cursor.execute("ANALYZE trials_trial")


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(using=connection.alias):
        schema_editor.execute(f"DROP FUNCTION IF EXISTS trials_facet_tokens({OLD_ARGUMENTS})")
        schema_editor.execute(FACET_TOKENS_FUNCTION)
    _recompute(connection, FACETS_FROM_ROWS)


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    previous = importlib.import_module("trials.migrations.0012_facet_tokens")
    with transaction.atomic(using=connection.alias):
        schema_editor.execute(f"DROP FUNCTION IF EXISTS trials_facet_tokens({NEW_ARGUMENTS})")
        schema_editor.execute(previous.FACET_TOKENS_FUNCTION)
    _recompute(connection, previous.FACETS_FROM_ROWS)


class Migration(migrations.Migration):
    # Each batch of trials commits on its own (see ``_recompute``).
    atomic = False

    dependencies = [
        ("trials", "0023_similar_trial_tier"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
