"""Staff roles as groups: Editors change trials and their parts; Viewers only look."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS, VIEWERS = "Editors", "Viewers"


def create_groups(apps, schema_editor):
    # Permissions are made after migrations; make this app's now, to grant them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    trial_permissions = Permission.objects.filter(content_type__app_label="trials")
    editors, _ = Group.objects.get_or_create(name=EDITORS)
    editors.permissions.set(trial_permissions)
    viewers, _ = Group.objects.get_or_create(name=VIEWERS)
    viewers.permissions.set(trial_permissions.filter(codename__startswith="view_"))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[EDITORS, VIEWERS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("trials", "0004_sort_indexes"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
