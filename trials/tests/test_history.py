"""Versions kept on every change, and what changed, worded: import, admin, page, API, feeds."""

import json

import pytest
from django.urls import reverse

from trials import history
from trials.exports import export_studies
from trials.importers import import_paths
from trials.models import Trial, TrialVersion

from .test_admin import form_data

pytestmark = pytest.mark.django_db

NCT_ID = "NCT05375201"  # recruiting, 120 participants estimated, one site in Taipei, no results
EXPECTED_CHANGES = [
    "Overall status: Recruiting → Completed",
    "Enrollment: 120 (estimated) → 127 (actual)",
    "Results posted",
    "Site added: Reykjavik, Iceland",
]
ATOM = "{http://www.w3.org/2005/Atom}"


def modified(ctgov_data) -> dict:
    """The record a later download would bring: completed, enrolled, a site added, results posted."""
    study = json.loads((ctgov_data / f"{NCT_ID}.json").read_text())
    status = study["protocolSection"]["statusModule"]
    status["overallStatus"] = "COMPLETED"
    status["lastUpdatePostDateStruct"] = {"date": "2025-02-03", "type": "ACTUAL"}
    study["protocolSection"]["designModule"]["enrollmentInfo"] = {"count": 127, "type": "ACTUAL"}
    study["protocolSection"]["contactsLocationsModule"]["locations"].append(
        {"status": "COMPLETED", "city": "Reykjavik", "country": "Iceland"}
    )
    # Results from another real record (their groups are their own).
    study["resultsSection"] = json.loads((ctgov_data / "NCT04326231.json").read_text())["resultsSection"]
    study["hasResults"] = True
    return study


@pytest.fixture
def first_export(ctgov_data):
    report = import_paths([ctgov_data / f"{NCT_ID}.json"])
    assert report.ok, report.failures
    return export_studies([Trial.objects.get(nct_id=NCT_ID).pk])[0]


@pytest.fixture
def changed_trial(first_export, ctgov_data, tmp_path):
    path = tmp_path / f"{NCT_ID}.json"
    path.write_text(json.dumps(modified(ctgov_data)))
    report = import_paths([path])
    assert report.ok, report.failures
    assert report.counts["updated"] == 1
    return Trial.objects.get(nct_id=NCT_ID)


def test_a_changed_import_keeps_the_previous_version_with_its_changes_worded(changed_trial):
    versions = history.versions(changed_trial)
    assert [(v.number, v.source, v.current) for v in versions] == [(2, "import", True), (1, "import", False)]
    assert [change["text"] for change in versions[0].changes] == EXPECTED_CHANGES
    assert versions[1].changes == []
    # Only the replaced version holds a document: the current one is the trial.
    stored = TrialVersion.objects.values_list("number", "document")
    assert [(number, document is None) for number, document in stored] == [(2, True), (1, False)]


def test_the_first_version_is_the_first_import_s_export(changed_trial, first_export):
    assert history.study_at(changed_trial, 1) == first_export
    assert history.study_at(changed_trial, 2) == export_studies([changed_trial.pk])[0]
    assert history.study_at(changed_trial, 3) is None


def test_an_unchanged_import_keeps_nothing(first_export, ctgov_data):
    report = import_paths([ctgov_data / f"{NCT_ID}.json"])
    assert report.counts["unchanged"] == 1
    assert not TrialVersion.objects.exists()
    assert [v.number for v in history.versions(Trial.objects.get(nct_id=NCT_ID))] == [1]


def test_a_new_import_keeps_nothing_for_a_new_trial(first_export):
    assert not TrialVersion.objects.exists()


def test_a_sync_is_recorded_as_such(first_export, ctgov_data):
    from trials.ctgov.reader import study_to_record
    from trials.importers.writer import save_record

    record = study_to_record(modified(ctgov_data))
    save_record(record, origin="sync")
    assert [(v.number, v.source) for v in history.versions(Trial.objects.get(nct_id=NCT_ID))] == [
        (2, "sync"),
        (1, "import"),
    ]


@pytest.fixture
def staff_editor(db):
    from django.contrib.auth.models import User

    return User.objects.create_superuser("editor", "editor@example.org", "a long editor passphrase")


def test_a_staff_edit_keeps_a_version_with_source_admin(client, staff_editor, changed_trial):
    url = reverse("admin:trials_trial_change", args=[changed_trial.pk])
    client.force_login(staff_editor)
    data = form_data(client.get(url))
    data["overall_status"] = "TERMINATED"
    data["why_stopped"] = "Funding ended"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    versions = history.versions(Trial.objects.get(nct_id=NCT_ID))
    assert [(v.number, v.source) for v in versions] == [(3, "admin"), (2, "import"), (1, "import")]
    assert [change["text"] for change in versions[0].changes] == [
        "Overall status: Completed → Terminated",
        "Why stopped: “Funding ended”",
    ]
    # Version 2 is kept as it was, with its own changes.
    assert [change["text"] for change in versions[1].changes] == EXPECTED_CHANGES
    assert history.study_at(changed_trial, 2)["protocolSection"]["statusModule"]["overallStatus"] == "COMPLETED"


def test_a_staff_save_that_changes_nothing_keeps_nothing(client, staff_editor, changed_trial):
    url = reverse("admin:trials_trial_change", args=[changed_trial.pk])
    client.force_login(staff_editor)
    response = client.post(url, form_data(client.get(url)))
    assert response.status_code == 302
    assert [v.number for v in history.versions(Trial.objects.get(nct_id=NCT_ID))] == [2, 1]
