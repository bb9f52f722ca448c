"""``identificationModule.nctIdAliases``: the NCT IDs of registrations the registry merged into a trial.

A request for an alias answers with a redirect to the trial, so the aliases
are looked up by value: on PostgreSQL through a GIN index (``jsonb_path_ops``
serves the ``@>`` containment that ``Trial.objects.aliased_as`` asks), which
holds next to nothing for the many trials without aliases. Other databases
match the stored text.
"""

from django.db import migrations, models

import trials.models.trial

INDEX = "CREATE INDEX trials_trial_nct_id_aliases_gin ON trials_trial USING gin (nct_id_aliases jsonb_path_ops)"
DROP_INDEX = "DROP INDEX IF EXISTS trials_trial_nct_id_aliases_gin"


def run_on_postgres(statement):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("trials", "0024_mesh_facet_tokens"),
    ]

    operations = [
        migrations.AddField(
            model_name="trial",
            name="nct_id_aliases",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="identificationModule.nctIdAliases: NCT IDs of registrations merged into this one",
                validators=[trials.models.trial.validate_nct_id_list],
                verbose_name="NCT ID aliases",
            ),
        ),
        migrations.RunPython(run_on_postgres(INDEX), run_on_postgres(DROP_INDEX), elidable=False),
    ]
