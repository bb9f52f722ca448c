"""Versions kept on every change, and what changed, worded: import, admin, page, API, feeds."""

import json
from xml.etree import ElementTree

import pytest
from django.urls import reverse

from trials import history
from trials.exports import export_studies
from trials.importers import import_paths
from trials.models import Trial, TrialVersion

from .editing import form_data

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


def test_the_history_tab_lists_the_versions_newest_first_with_their_changes(
    client, changed_trial, django_assert_max_num_queries
):
    with django_assert_max_num_queries(20):
        response = client.get(reverse("trials:history", args=[NCT_ID]))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<a href="/trials/NCT05375201/history/" aria-current="page">History</a>' in html
    assert html.index('id="version-2"') < html.index('id="version-1"')
    for text in EXPECTED_CHANGES:
        assert f"<li>{text}</li>" in html
    assert 'href="/trials/NCT05375201/feed/"' in html
    # Every tab's head offers the feed.
    summary = client.get(reverse("trials:detail", args=[NCT_ID])).content.decode()
    assert '<link rel="alternate" type="application/atom+xml" title="Changes to NCT05375201"' in summary


def test_two_versions_side_by_side(client, changed_trial, django_assert_max_num_queries):
    url = reverse("trials:history", args=[NCT_ID])
    # The page, then the newer version exported from the tables (one query per table).
    with django_assert_max_num_queries(48):
        response = client.get(url, {"compare": "2,1"})
    facts = {label: (before, after) for label, before, after, _ in response.context["comparison"]["facts"]}
    assert facts["Overall status"] == ("Recruiting", "Completed")
    assert facts["Sites"] == ("1", "2")
    assert facts["Results"] == ("None posted", "Posted")
    assert [change["text"] for change in response.context["comparison"]["changes"]] == EXPECTED_CHANGES
    # The form's way of asking says the same.
    assert (
        client.get(url, {"from": "1", "to": "2"}).context["comparison"]["facts"]
        == (response.context["comparison"]["facts"])
    )


@pytest.mark.parametrize(
    "query, message",
    [
        ({"compare": "1"}, "compare takes two version numbers"),
        ({"compare": "1,x"}, "Versions are given by their numbers"),
        ({"compare": "1,9"}, "This trial has no version 9"),
        ({"compare": "2,2"}, "Choose two different versions"),
        ({"from": "1"}, "Versions are given by their numbers"),
    ],
)
def test_a_comparison_asked_for_wrongly_is_a_400_saying_why(client, changed_trial, query, message):
    response = client.get(reverse("trials:history", args=[NCT_ID]), query)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_api_lists_the_versions_and_returns_one_as_it_was(client, changed_trial, first_export):
    url = f"/api/v2/studies/{NCT_ID}/history"
    body = client.get(url).json()
    assert [(v["version"], v["source"], v["current"]) for v in body["versions"]] == [
        (2, "import", True),
        (1, "import", False),
    ]
    assert body["versions"][0]["changes"] == EXPECTED_CHANGES
    assert body["versions"][0]["changeKinds"] == ["enrollment", "results", "sites", "status"]
    assert client.get(url, {"version": "1"}).json() == first_export
    assert client.get(url, {"version": "2"}).json() == client.get(f"/api/v2/studies/{NCT_ID}").json()
    assert client.get(url, {"version": "3"}).status_code == 404
    assert client.get(url, {"version": "one"}).status_code == 400
    assert client.get(url, {"version": "-1"}).status_code == 400
    assert client.get(url, {"versions": "1"}).status_code == 400
    assert client.get("/api/v2/studies/NCT09999999/history").status_code == 404
    # The spec's nctId pattern allows no number zero: not an NCT ID at all.
    assert client.get("/api/v2/studies/NCT00000000/history").status_code == 400


def test_the_trial_feed_has_an_entry_per_version(client, changed_trial):
    response = client.get(f"/trials/{NCT_ID}/feed/")
    assert response["Content-Type"].startswith("application/atom+xml")
    entries = ElementTree.fromstring(response.content).findall(f"{ATOM}entry")
    assert [entry.find(f"{ATOM}title").text for entry in entries] == [
        f"{NCT_ID}, version 2: Overall status: Recruiting → Completed",
        f"{NCT_ID}, version 1: first recorded here",
    ]
    summary = entries[0].find(f"{ATOM}summary").text
    assert summary == " · ".join([*EXPECTED_CHANGES, "Source: Import."])
    assert entries[0].find(f"{ATOM}link").get("href").endswith(f"/trials/{NCT_ID}/history/#version-2")
    assert client.get("/trials/NCT00000000/feed/").status_code == 404


def test_a_search_feed_reports_status_enrollment_and_results_changes(client, changed_trial):
    response = client.get("/trials/feed/", {"q": NCT_ID})
    entries = ElementTree.fromstring(response.content).findall(f"{ATOM}entry")
    titles = [entry.find(f"{ATOM}title").text for entry in entries]
    assert titles[0] == f"{NCT_ID}, version 2: Overall status: Recruiting → Completed"
    # The site added is not followed by a search's feed; the trial itself is a match.
    assert entries[0].find(f"{ATOM}summary").text == " · ".join([*EXPECTED_CHANGES[:3], "Source: Import."])
    assert titles[1].endswith(f"({NCT_ID})")
    assert len(entries) == 2


def test_a_new_last_update_date_alone_is_no_change_worth_showing(ctgov_data):
    before = json.loads((ctgov_data / f"{NCT_ID}.json").read_text())
    after = json.loads(json.dumps(before))
    status = after["protocolSection"]["statusModule"]
    status["lastUpdatePostDateStruct"] = {"date": "2025-02-03", "type": "ACTUAL"}
    status["lastUpdateSubmitDate"] = "2025-02-01"
    assert history.diff.changes(before, after) == []
    status["statusVerifiedDate"] = "2025-01"
    assert history.diff.changes(before, after) == [{"kind": "dates", "text": "Status last verified: 2023-05 → 2025-01"}]


def test_outcomes_and_many_sites_are_worded_and_counted(ctgov_data):
    before = json.loads((ctgov_data / f"{NCT_ID}.json").read_text())
    outcomes = before["protocolSection"]["outcomesModule"]
    outcomes["primaryOutcomes"] = outcomes["primaryOutcomes"][:1]
    after = json.loads(json.dumps(before))
    after["protocolSection"]["outcomesModule"]["primaryOutcomes"][0]["timeFrame"] = "12 weeks"
    after["protocolSection"]["contactsLocationsModule"]["locations"] += [
        {"city": f"Town {number}", "country": "Iceland"} for number in range(12)
    ]
    texts = [change["text"] for change in history.diff.changes(before, after)]
    assert texts[0] == "Primary outcome changed"
    assert texts[1:11] == [f"Site added: Town {number}, Iceland" for number in range(10)]
    assert texts[11:] == ["Site added: and 2 more"]


def test_a_trial_deleted_by_staff_takes_its_versions_with_it(client, staff_editor, first_export):
    trial = Trial.objects.get(nct_id=NCT_ID)
    client.force_login(staff_editor)
    url = reverse("admin:trials_trial_change", args=[trial.pk])
    data = form_data(client.get(url))
    data["overall_status"] = "COMPLETED"
    assert client.post(url, data).status_code == 302
    assert TrialVersion.objects.count() == 2
    delete = reverse("admin:trials_trial_delete", args=[trial.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not TrialVersion.objects.exists()
