"""ClinicalTrials.gov API v2 JSON: import of the real records, export and round trip."""

import datetime
import json
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from trials.ctgov import COVERED_PATHS, project
from trials.exports import trial_to_study
from trials.importers import import_paths
from trials.models import Trial

from .ctgov_files import registry_study

pytestmark = pytest.mark.django_db


def test_all_real_records_import(ctgov_imported, ctgov_data):
    files = sorted(ctgov_data.glob("*.json"))
    assert len(files) >= 50
    assert ctgov_imported.counts["created"] == len(files)
    assert Trial.objects.count() == len(files)


def test_chosen_fields_match_their_json(ctgov_imported, ctgov_data):
    trial = Trial.objects.for_detail().get(nct_id="NCT00000410")
    assert trial.acronym == "SPORT"
    assert trial.start.isoformat() == "2000-03" and trial.start_date_precision == "MONTH"
    assert (trial.enrollment_count, trial.enrollment_type) == (501, "ACTUAL")
    assert trial.lead_sponsor.name == "Dartmouth-Hitchcock Medical Center"
    assert [(s.name, s.agency_class) for s in trial.collaborators][1] == (
        "National Institute for Occupational Safety and Health (NIOSH/CDC)",
        "FED",
    )
    assert trial.condition_names == ["Herniated Disc", "Low Back Pain"]
    assert trial.sites.count() == 13

    biggest = Trial.objects.get(nct_id="NCT04267848")
    assert biggest.sites.count() == len(
        registry_study("NCT04267848")["protocolSection"]["contactsLocationsModule"]["locations"]
    )
    assert biggest.sites.count() > 1000


def test_criteria_keep_the_registrys_markdown_and_split_into_items(ctgov_imported, ctgov_data):
    study = registry_study("NCT00080808")
    text = study["protocolSection"]["eligibilityModule"]["eligibilityCriteria"]
    trial = Trial.objects.get(nct_id="NCT00080808")
    assert trial.eligibility_criteria == text
    assert "\\>" in text or "\\<" in text
    items = trial.criteria.inclusion + trial.criteria.exclusion + trial.criteria.other
    assert items and not any("\\>" in item or "\\<" in item for item in items)


def test_same_named_interventions_keep_their_own_arms(ctgov_imported, ctgov_data):
    interventions = registry_study("NCT00862888")["protocolSection"]["armsInterventionsModule"]["interventions"]
    assert sum(1 for item in interventions if item["name"] == "Placebo") > 1
    stored = Trial.objects.get(nct_id="NCT00862888").interventions.all()
    linked = [
        [link.arm_group.label for link in item.arm_group_links.order_by("label_position").select_related("arm_group")]
        for item in stored
    ]
    assert linked == [item.get("armGroupLabels", []) for item in interventions]


def test_every_record_exports_back_equal_on_every_covered_field(ctgov_imported, ctgov_data):
    trials = {trial.nct_id: trial for trial in Trial.objects.for_export()}
    differences = []
    for path in sorted(ctgov_data.glob("*.json")):
        original = json.loads(path.read_text(encoding="utf-8"))
        exported = trial_to_study(trials[path.stem])
        differences += [
            (path.stem, covered)
            for covered in COVERED_PATHS
            if project(original, covered) != project(exported, covered)
        ]
    assert differences == []


def test_covered_fields_include_the_core_modules():
    for expected in (
        "protocolSection.identificationModule.nctId",
        "protocolSection.statusModule.startDateStruct.date",
        "protocolSection.armsInterventionsModule.armGroups[].interventionNames",
        "protocolSection.eligibilityModule.eligibilityCriteria",
        "protocolSection.contactsLocationsModule.locations[].geoPoint.lat",
        "protocolSection.referencesModule.references[].pmid",
        "hasResults",
    ):
        assert expected in COVERED_PATHS


def test_covered_fields_include_the_whole_record():
    for expected in (
        "protocolSection.outcomesModule.primaryOutcomes[].timeFrame",
        "protocolSection.contactsLocationsModule.centralContacts[].phoneExt",
        "protocolSection.contactsLocationsModule.locations[].contacts[].email",
        "protocolSection.oversightModule.oversightHasDmc",
        "protocolSection.ipdSharingStatementModule.infoTypes",
        "derivedSection.conditionBrowseModule.meshes[].id",
        "documentSection.largeDocumentModule.largeDocs[].filename",
        "resultsSection.participantFlowModule.periods[].dropWithdraws[].reasons[].numSubjects",
        "resultsSection.baselineCharacteristicsModule.measures[].classes[].denoms[].counts[].value",
        "resultsSection.outcomeMeasuresModule.outcomeMeasures[].classes[].categories[].measurements[].spread",
        "resultsSection.outcomeMeasuresModule.outcomeMeasures[].analyses[].groupIds",
        "resultsSection.adverseEventsModule.otherEvents[].stats[].numAtRisk",
        "resultsSection.moreInfoModule.pointOfContact.email",
    ):
        assert expected in COVERED_PATHS


def test_reimporting_writes_nothing_and_says_so(ctgov_imported, ctgov_data, django_assert_max_num_queries):
    stamp = Trial.objects.get(nct_id="NCT00000410").updated_at
    with django_assert_max_num_queries(3):
        again = import_paths([ctgov_data])
    assert again.counts["unchanged"] == ctgov_imported.counts["created"]
    assert Trial.objects.get(nct_id="NCT00000410").updated_at == stamp


def test_a_batch_is_written_in_a_fixed_number_of_queries(ctgov_data, django_assert_max_num_queries):
    files = sorted(ctgov_data.glob("*.json"))
    with django_assert_max_num_queries(25):
        report = import_paths(files)
    assert report.counts["created"] == len(files)


def test_a_newer_record_updates_the_study_as_a_whole(ctgov_imported, ctgov_data, tmp_path):
    study = registry_study("NCT00000410")
    trial = Trial.objects.get(nct_id="NCT00000410")
    study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"] = "2024-01-02"
    study["protocolSection"]["contactsLocationsModule"]["locations"] = study["protocolSection"][
        "contactsLocationsModule"
    ]["locations"][:2]
    (tmp_path / "changed.json").write_text(json.dumps(study))
    report = import_paths([tmp_path / "changed.json"])
    assert report.counts["updated"] == 1
    updated = Trial.objects.get(nct_id="NCT00000410")
    assert updated.pk == trial.pk and updated.created_at == trial.created_at
    assert updated.last_update_posted_date == datetime.date(2024, 1, 2)
    assert updated.sites.count() == 2


def test_since_skips_older_studies(ctgov_data):
    report = import_paths([ctgov_data], since=datetime.date(2025, 1, 1))
    newer = [
        path
        for path in ctgov_data.glob("*.json")
        if json.loads(path.read_text())["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"]
        >= "2025-01-01"
    ]
    assert report.counts["created"] == len(newer)
    assert report.skipped == len(list(ctgov_data.glob("*.json"))) - len(newer)


def test_a_search_page_and_a_bulk_zip_import(ctgov_data, tmp_path):
    files = sorted(ctgov_data.glob("*.json"))
    page = {"studies": [json.loads(path.read_text()) for path in files[:3]], "nextPageToken": "abc"}
    (tmp_path / "page.json").write_text(json.dumps(page))
    with zipfile.ZipFile(tmp_path / "ctg-studies.zip", "w") as archive:
        for path in files[3:8]:
            archive.write(path, f"ctg-studies/{path.name}")
    report = import_paths([tmp_path / "page.json", tmp_path / "ctg-studies.zip"])
    assert report.ok and report.counts["created"] == 8


def test_bad_input_is_reported_and_skipped_and_the_rest_lands(ctgov_data, tmp_path):
    good = registry_study("NCT00000410")
    bad_status = registry_study("NCT00007696")
    bad_status["protocolSection"]["statusModule"]["overallStatus"] = "FINISHED"
    bad_type = registry_study("NCT00033839")
    bad_type["protocolSection"]["designModule"]["enrollmentInfo"]["count"] = "many"
    bad_site = registry_study("NCT00057759")
    bad_site["protocolSection"]["contactsLocationsModule"]["locations"][0]["status"] = "OPEN"
    (tmp_path / "page.json").write_text(json.dumps({"studies": [good, bad_status, bad_type, bad_site]}))
    (tmp_path / "broken.json").write_text('{"protocolSection": {')
    (tmp_path / "unreadable.json").write_bytes(b"\xff\xfe\x00garbage")

    report = import_paths([tmp_path])
    assert set(Trial.objects.values_list("nct_id", flat=True)) == {"NCT00000410"}
    reasons = {(failure.source.rsplit("/", 1)[-1], failure.nct_id): failure.reason for failure in report.failures}
    assert "FINISHED" in reasons[("page.json", "NCT00007696")]
    assert "enrollmentInfo.count" in reasons[("page.json", "NCT00033839")]
    assert "OPEN" in reasons[("page.json", "NCT00057759")]
    assert "invalid JSON" in reasons[("broken.json", "")]
    assert ("unreadable.json", "") in reasons


def test_import_command_exits_non_zero_on_failures(tmp_path, capsys):
    (tmp_path / "broken.json").write_text("[{")
    with pytest.raises(CommandError):
        call_command("import_trials", str(tmp_path), "--no-progress")
    assert "broken.json" in capsys.readouterr().err
    with pytest.raises(CommandError, match="--since"):
        call_command("import_trials", str(tmp_path), "--since", "yesterday")


def test_export_command_writes_json_zip_and_csv(ctgov_imported, tmp_path, ctgov_data):
    call_command("export_trials", str(tmp_path / "all.zip"))
    with zipfile.ZipFile(tmp_path / "all.zip") as archive:
        names = archive.namelist()
        exported = json.loads(archive.read("NCT00000410.json"))
    assert len(names) == Trial.objects.count()
    assert exported["protocolSection"]["identificationModule"]["acronym"] == "SPORT"
    call_command("export_trials", str(tmp_path / "some"), "NCT00000410")
    assert [path.name for path in (tmp_path / "some").iterdir()] == ["NCT00000410.json"]
    call_command("export_trials", str(tmp_path / "all.csv"))
    lines = (tmp_path / "all.csv").read_text().splitlines()
    assert lines[0].startswith("NCT Number,Study Title,Study URL")
    # Re-importing our own export changes nothing.
    assert import_paths([tmp_path / "all.zip"]).counts["unchanged"] == len(names)


@pytest.mark.django_db(transaction=True)
def test_worker_processes_import_the_same_as_one_process(ctgov_data, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    report = import_paths([ctgov_data, broken], workers=1)
    assert report.counts["created"] == len(list(ctgov_data.glob("*.json")))
    assert [failure.source for failure in report.failures] == [str(broken)]
    trial = Trial.objects.for_export().get(nct_id="NCT00000410")
    assert trial_to_study(trial)["protocolSection"]["identificationModule"]["acronym"] == "SPORT"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the writer thread runs on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_the_writer_thread_saves_every_batch_in_order(ctgov_data, tmp_path):
    # Small batches: several are in flight while the next ones are read.
    bad = registry_study("NCT00000410")
    bad["protocolSection"]["identificationModule"]["nctId"] = "NCT00000411"
    bad["protocolSection"]["statusModule"]["overallStatus"] = "SLEEPING"
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    report = import_paths([ctgov_data, tmp_path / "bad.json"], batch_size=4)
    files = sorted(ctgov_data.glob("*.json"))
    assert report.counts["created"] == len(files)
    assert [(failure.nct_id, failure.source) for failure in report.failures] == [
        ("NCT00000411", str(tmp_path / "bad.json"))
    ]
    assert "'SLEEPING' is not a valid choice" in report.failures[0].reason
    assert report.changed == [path.stem for path in files]
    for path in files[:: len(files) // 6]:
        study = json.loads(path.read_text(encoding="utf-8"))
        exported = trial_to_study(Trial.objects.for_export().get(nct_id=path.stem))
        assert [project(exported, covered) for covered in COVERED_PATHS] == [
            project(study, covered) for covered in COVERED_PATHS
        ]
    again = import_paths([ctgov_data], batch_size=4)
    assert again.counts["unchanged"] == len(files) and not again.changed


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the writer thread runs on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_an_error_in_the_writer_thread_stops_the_import(ctgov_data, monkeypatch):
    from trials.importers import pipeline

    saved = []

    def failing(items, origin):
        if saved:
            raise RuntimeError("the disk is full")
        saved.append(len(items))
        return pipeline.save_prepared(items, origin)

    monkeypatch.setattr(
        pipeline._BatchWriter,
        "_save_in_thread",
        staticmethod(lambda batch, origin: failing([item for _, item in batch], origin)),
    )
    with pytest.raises(RuntimeError, match="the disk is full"):
        import_paths([ctgov_data], batch_size=5)
    assert Trial.objects.count() == 5
