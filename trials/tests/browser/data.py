"""Data the browser tests share: the seed, one of its related trials, an editor."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission, User

from trials.importers import SEED_DOCUMENT, import_paths
from trials.models import Trial
from trials.tests.factories import make_trial

EDITOR_PASSWORD = "a long and careful editor passphrase"
RELATED_TITLE = "Bright Light Therapy in the Treatment of Non-seasonal Bipolar Depression"


@dataclass
class Site:
    trial: Trial
    related: Trial
    editor: User


def ensure_staff_groups() -> None:
    """The groups migration 0005 makes, which a transactional test's flush removes."""
    permissions = Permission.objects.filter(content_type__app_label="trials")
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.set(permissions)
    viewers, _ = Group.objects.get_or_create(name="Viewers")
    viewers.permissions.set(permissions.filter(codename__startswith="view_"))


def load_site() -> Site:
    report = import_paths([SEED_DOCUMENT])
    assert report.ok, report.failures
    # One of the seed's related trials is on file, so its link stays on the site.
    related = make_trial("NCT03396744", brief_title=RELATED_TITLE)
    ensure_staff_groups()
    editor = User.objects.create_user("editor", "editor@example.org", EDITOR_PASSWORD, is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    return Site(Trial.objects.get(nct_id="NCT04133233"), related, editor)
