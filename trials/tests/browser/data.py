"""Data the browser tests share: the seed, trials related to it, a trial with results, an editor."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

from django.contrib.auth.models import Group, Permission, User
from django.db.models import Q

from trials.importers import SEED_DOCUMENT, import_paths
from trials.models import Trial
from trials.related import after_import
from trials.tests.factories import make_trial

EDITOR_PASSWORD = "a long and careful editor passphrase"
RELATED_TITLE = "Bright Light Therapy in the Treatment of Non-seasonal Bipolar Depression"


@dataclass
class Site:
    trial: Trial
    related: Trial
    editor: User


def ensure_staff_groups() -> None:
    """The groups migrations 0005 and 0008 make, which a transactional test's flush removes.

    Editors change the protocol; posted results they only view (0008's ``RESULTS``).
    """
    permissions = Permission.objects.filter(content_type__app_label="trials")
    results = import_module("trials.migrations.0008_whole_record").RESULTS
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.set(permissions.exclude(Q(content_type__model__in=results) & ~Q(codename__startswith="view_")))
    viewers, _ = Group.objects.get_or_create(name="Viewers")
    viewers.permissions.set(permissions.filter(codename__startswith="view_"))


TEST_DATA = Path(__file__).resolve().parent.parent / "data"
# A trial with posted results and statistical analyses, and real trials the seed resembles.
WITH_RESULTS = "NCT00904748"
# Reports "Recruiting", verified May 2023, completed 2024: shown as "Unknown status".
STALE = "NCT05375201"
# 1,148 sites, 1,147 of them in the United States: the biggest real record.
MOST_SITES = "NCT04267848"


def load_site(background: bool = False, most_sites: bool = False) -> Site:
    """The seed and the trials around it; ``background`` adds the other real records.

    With only a few trials on file every word seems rare; the Related tab's
    similar trials need the background to be found as they would be in a registry.
    """
    others = (
        [TEST_DATA / "ctgov"]
        if background
        else [TEST_DATA / "ctgov" / f"{WITH_RESULTS}.json", TEST_DATA / "ctgov" / f"{STALE}.json"]
    )
    if most_sites and not background:
        others.append(TEST_DATA / "ctgov" / f"{MOST_SITES}.json")
    report = import_paths([SEED_DOCUMENT, *others, TEST_DATA / "related"])
    assert report.ok, report.failures
    after_import(report.changed)
    # One of the seed's related trials is on file, so its link stays on the site.
    related = make_trial("NCT03396744", brief_title=RELATED_TITLE)
    ensure_staff_groups()
    editor = User.objects.create_user("editor", "editor@example.org", EDITOR_PASSWORD, is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    return Site(Trial.objects.get(nct_id="NCT04133233"), related, editor)
