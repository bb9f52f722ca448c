"""Facet tokens: what the filters match, indexed with the search vector in one GIN index.

``trials_facet_tokens`` makes a trial's tokens from its columns and from
its sites, conditions and interventions, in upper case: ``S:RECRUITING``,
``P:PHASE2``, ``T:INTERVENTIONAL``, ``A:RANDOMIZED``, ``X:FEMALE`` (sex
eligible), ``H:YES`` (healthy volunteers), ``R:NO`` (results), ``K:INDUSTRY``
(lead sponsor class), ``N:FRANCE``, ``Y:PARIS`` and ``M:FRANCE|PARIS`` (a
site's country, city, both), ``C:123`` (a condition's id), ``I:DRUG`` (an
intervention type). The importer calls it on the rows it stages, staff
edits and this migration on the stored rows (``FACETS_FROM_ROWS`` in
trials/search/index.py), so every trial's tokens come from the one definition.

The index on (search_vector, facet_tokens) matches a text and filters in a
single GIN scan, which skips through the long posting lists ("cancer") by
the short ones (a status and a phase). PostgreSQL only.
"""

from django.db import migrations

import trials.fields

FACET_TOKENS_FUNCTION = """
CREATE OR REPLACE FUNCTION trials_facet_tokens(
    status text, phases text, study_type text, allocation text, sex text, healthy boolean, results boolean,
    lead_class text, site_countries text[], site_cities text[], condition_ids bigint[], intervention_types text[]
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
    ) AS token
    WHERE token IS NOT NULL
    ORDER BY 1
)
$$
"""

# The same as trials.search.FACETS_FROM_ROWS, frozen here as migrations must be.
FACETS_FROM_ROWS = """
trials_facet_tokens(
    t.overall_status, t.phases, t.study_type, t.allocation, t.sex, t.healthy_volunteers, t.has_results,
    (SELECT agency_class FROM trials_sponsor WHERE trial_id = t.id AND is_lead ORDER BY position LIMIT 1),
    ARRAY(SELECT country FROM trials_site WHERE trial_id = t.id ORDER BY position, id),
    ARRAY(SELECT city FROM trials_site WHERE trial_id = t.id ORDER BY position, id),
    ARRAY(SELECT condition_id FROM trials_trialcondition WHERE trial_id = t.id),
    ARRAY(SELECT type FROM trials_intervention WHERE trial_id = t.id)
)
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FACET_TOKENS_FUNCTION)
    schema_editor.execute(f"UPDATE trials_trial AS t SET facet_tokens = {FACETS_FROM_ROWS}")
    schema_editor.execute("DROP INDEX IF EXISTS trials_trial_search_vector_gin")
    schema_editor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    schema_editor.execute(
        "CREATE INDEX trials_trial_search_gin ON trials_trial USING gin (search_vector, facet_tokens)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS trials_trial_search_gin")
    schema_editor.execute("CREATE INDEX trials_trial_search_vector_gin ON trials_trial USING gin (search_vector)")
    schema_editor.execute("DROP FUNCTION IF EXISTS trials_facet_tokens")


class Migration(migrations.Migration):
    dependencies = [
        ("trials", "0011_bulk_loading"),
    ]

    operations = [
        migrations.AddField(
            model_name="trial",
            name="facet_tokens",
            field=trials.fields.TokenListField(editable=False, null=True),
        ),
        migrations.RunPython(forwards, backwards),
    ]
