import datetime
import io
import json
import pathlib
import re
import threading
import tracemalloc
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from trials.importers import import_paths, sources
from trials.importers.page import DocumentError, parse_page
from trials.importers.writer import Outcome, save_record
from trials.models import Condition, Intervention, Site, Trial

pytestmark = pytest.mark.django_db


def test_seed_lands_the_header_and_basic_information(seed_trial):
    assert seed_trial.brief_title == (
        "Low Dose IL-2 Therapy in Patients With a Depressive Episode in the Course of a Bipolar Disorder"
    )
    assert seed_trial.last_update_posted_date == datetime.date(2023, 8, 8)
    assert seed_trial.has_results is False
    assert (seed_trial.overall_status, seed_trial.phases, seed_trial.study_type) == (
        "COMPLETED",
        ["PHASE2"],
        "INTERVENTIONAL",
    )
    assert seed_trial.enrollment_count == 15
    assert seed_trial.start.isoformat() == "2020-06-15"
    assert seed_trial.completion.isoformat() == "2022-07-20"


def test_seed_lands_description_and_design(seed_trial):
    paragraphs = seed_trial.detailed_description.split("\n\n")
    assert len(paragraphs) == 3
    assert paragraphs[2].startswith("The secondary objective of this study")
    assert (
        seed_trial.allocation,
        seed_trial.intervention_model,
        seed_trial.primary_purpose,
        seed_trial.masking,
    ) == ("RANDOMIZED", "PARALLEL", "TREATMENT", "QUADRUPLE")


def test_seed_lands_both_arms_with_their_interventions(seed_trial):
    arms = list(seed_trial.arm_groups.prefetch_related("interventions"))
    assert [arm.label for arm in arms] == ["active treatment", "placebo"]
    assert arms[0].description == "IL-2 (ILT-101) Sub-cutaneous\n1 million UI/j"
    assert arms[1].description.startswith("placebo Sub-cutaneous The Placebo used is a sterile powder")
    assert [[i.name for i in arm.interventions.all()] for arm in arms] == [["ILT101"], ["Placebos"]]
    interventions = list(seed_trial.interventions.all())
    assert [i.name for i in interventions] == ["ILT101", "Placebos"]
    assert interventions[0].description.startswith("Treatment administration consists in a first course")


def test_it_imports_all_inclusion_and_exclusion_criteria_unescaped(seed_trial):
    criteria = seed_trial.criteria
    assert len(criteria.inclusion) == 4
    assert len(criteria.exclusion) == 26
    assert criteria.inclusion[0] == "MADRS score > 17"
    assert criteria.exclusion[8].startswith("Leukocytes < 4000 / mm3, platelets < 100 000 / mm3")
    assert criteria.exclusion[-1] == "Patient is employee of the sponsor."
    assert (seed_trial.minimum_age, seed_trial.maximum_age) == ("18 Years", "65 Years")
    assert (seed_trial.minimum_age_years, seed_trial.maximum_age_years) == (18.0, 65.0)
    assert (seed_trial.sex, seed_trial.healthy_volunteers) == ("ALL", False)


def test_seed_lands_sponsors_investigator_and_site(seed_trial):
    sponsors = [(s.name, s.agency_class, s.is_lead) for s in seed_trial.sponsors.all()]
    assert sponsors == [
        ("Iltoo Pharma", "INDUSTRY", True),
        ("Assistance Publique - Hôpitaux de Paris", "OTHER", False),
    ]
    official = seed_trial.officials.get()
    assert (official.name, official.role, official.affiliation) == (
        "Marion Leboyer, Pr",
        "STUDY_CHAIR",
        "Assistance Publique - Hôpitaux de Paris",
    )
    site = seed_trial.sites.get()
    assert (site.facility, site.city, site.country) == ("Pr Marion Leboyer", "Créteil", "France")
    assert site.place == "Créteil, Hôpital Albert Chenevier, France"


def test_seed_lands_references_identifiers_and_related_trials(seed_trial):
    assert [r.doi for r in seed_trial.references.all()] == ["10.1016/j.bbi.2024.09.005", "10.1016/j.bbi.2024.02.019"]
    identifiers = [(i.identifier, i.type, i.source) for i in seed_trial.identifiers.all()]
    assert identifiers == [
        ("2018-002777-22", "EUDRACT_NUMBER", "secondary_id"),
        ("MEDAECNAT-2018-10-00069", "OTHER", "secondary_id"),
        ("D20180617", "", "org_study_id"),
    ]
    related = [(r.nct_id, r.title) for r in seed_trial.related_trials.all()]
    assert len(related) == 5
    assert related[0] == ("NCT03396744", "Bright Light Therapy in the Treatment of Non-seasonal Bipolar Depression")
    assert related[-1][0] == "NCT00590265"
    # Listed trials are not invented as trial rows.
    assert Trial.objects.count() == 1


def test_importing_twice_changes_nothing(seed_trial, seed_text):
    updated_at = seed_trial.updated_at
    assert save_record(parse_page(seed_text)) == Outcome.UNCHANGED
    seed_trial.refresh_from_db()
    assert seed_trial.updated_at == updated_at
    assert Intervention.objects.count() == 2


def test_an_updated_page_updates_the_trial_as_a_whole(seed_trial, seed_text):
    changed = seed_text.replace("Pr Marion Leboyer\nCréteil", "Hôpital Henri Mondor\nCréteil").replace(
        "15 participants", "16 participants"
    )
    assert save_record(parse_page(changed)) == Outcome.UPDATED
    seed_trial.refresh_from_db()
    assert seed_trial.enrollment_count == 16
    assert list(Site.objects.values_list("facility", flat=True)) == ["Hôpital Henri Mondor"]
    assert seed_trial.arm_groups.count() == 2


def test_a_malformed_document_names_file_and_section_and_writes_nothing(test_data):
    report = import_paths([test_data / "malformed_status.txt"])
    assert not report.ok
    message = str(report.failures[0])
    assert "malformed_status.txt" in message
    assert "Basic Information" in message
    assert "COMPLETE" in message
    assert Trial.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "section"),
    [
        (("NCT ID: NCT04133233", "NCT ID: NCT0413"), "Header"),
        (("Role: STUDY_CHAIR", "Role: JANITOR"), "Principal Investigators"),
        (("2020-06-15", "2020-15-06"), "Basic Information"),
        (("Identifier Type: OTHER", "Identifier Type: SOMETHING"), "Other Identifiers"),
        (("18 Years\n65 Years", "65 Years\n18 Years"), None),
    ],
)
def test_bad_values_are_reported_before_anything_is_written(seed_text, change, section):
    text = seed_text.replace(*change)
    if section:
        with pytest.raises(DocumentError) as error:
            parse_page(text)
        assert error.value.section == section
    else:
        report_error = pytest.raises(Exception, match="maximum age")
        with report_error:
            save_record(parse_page(text))
    assert Trial.objects.count() == 0


def test_a_record_is_checked_by_its_fields_validators_as_the_admin_checks_it(seed_text):
    record = parse_page(seed_text)
    record.related_trials[0].nct_id = "NOT-AN-ID"
    with pytest.raises(
        Exception, match=r"NCT04133233: related trial 1: NCT ID: An NCT ID is 'NCT' followed by 8 digits"
    ):
        save_record(record)
    assert Trial.objects.count() == 0


def test_a_number_out_of_its_fields_range_is_refused_with_the_validators_message(seed_text):
    record = parse_page(seed_text)
    record.fields["enrollment_count"] = -5
    with pytest.raises(Exception, match=r"NCT04133233: .*: Ensure this value is greater than or equal to 0\."):
        save_record(record)
    assert Trial.objects.count() == 0


def test_an_observational_page_with_partial_dates_and_no_age_limits(test_data):
    report = import_paths([test_data / "NCT90000001.txt"])
    assert report.ok, report.failures
    trial = Trial.objects.get(nct_id="NCT90000001")
    assert trial.study_type == "OBSERVATIONAL"
    assert trial.phases == []
    assert (trial.observational_model, trial.time_perspective) == ("COHORT", "PROSPECTIVE")
    assert (trial.start.isoformat(), trial.completion.isoformat()) == ("2019-03", "2024")
    assert (trial.minimum_age, trial.maximum_age, trial.minimum_age_years) == ("", "", None)
    assert trial.enrollment_count == 1200
    assert trial.condition_names == ["Diabetes Mellitus, Type 2", "Diabetic Nephropathy"]
    assert trial.criteria.inclusion == ["Diagnosis of type 2 diabetes for at least 6 months", "HbA1c >= 6.5%"]
    site = trial.sites.get()
    assert (site.city, site.state, site.zip, site.country) == ("Ely", "Nevada", "89301", "United States")
    assert trial.arm_groups.get().interventions.count() == 0


def test_a_page_with_many_arms_sites_and_investigators(test_data):
    report = import_paths([test_data / "NCT90000002.txt"])
    assert report.ok, report.failures
    trial = Trial.objects.for_detail().get(nct_id="NCT90000002")
    assert trial.phases == ["PHASE2", "PHASE3"]
    assert (trial.enrollment_count, trial.enrollment_type) == (240, "ESTIMATED")
    assert (trial.start_date_type, trial.primary_completion.isoformat(), trial.completion.isoformat()) == (
        "ACTUAL",
        "2025-06",
        "2025-12",
    )
    assert trial.who_masked == ["PARTICIPANT", "INVESTIGATOR", "OUTCOMES_ASSESSOR"]
    arms = [(arm.type, arm.label, [i.name for i in arm.interventions.all()]) for arm in trial.arm_groups.all()]
    assert arms == [
        ("EXPERIMENTAL", "Drug A", ["Drug A"]),
        ("EXPERIMENTAL", "Drug A plus Drug B", ["Drug A", "Drug B"]),
        ("PLACEBO_COMPARATOR", "Placebo", ["Placebo"]),
    ]
    assert trial.interventions.all()[0].other_names == ["DA-101", "Migrafen"]
    assert [(s.city, s.status) for s in trial.sites.all()] == [
        ("Zurich", "ACTIVE_NOT_RECRUITING"),
        ("Boston", "RECRUITING"),
        ("Lyon", ""),
    ]
    assert [(o.name, o.affiliation) for o in trial.officials.all()] == [
        ("Anna Keller, MD", "University Hospital Zurich"),
        ("John Smith", ""),
    ]
    assert trial.references.get().pmid == "35000001"
    assert [s.agency_class for s in trial.sponsors.all()] == ["INDUSTRY", "NIH", "OTHER"]
    assert trial.sex == "FEMALE"
    assert trial.responsible_party_type == "SPONSOR"


def test_conditions_are_shared_between_trials(test_data):
    import_paths([test_data / "NCT90000001.txt", test_data / "NCT90000002.txt"])
    second = (test_data / "NCT90000001.txt").read_text().replace("NCT90000001", "NCT90000009")
    save_record(parse_page(second))
    assert Condition.objects.get(name="Diabetic Nephropathy").trials.count() == 2


def test_import_command_reports_failures_and_exits_non_zero(test_data, capsys):
    with pytest.raises(CommandError, match="1 document"):
        call_command("import_trials", str(test_data))
    captured = capsys.readouterr()
    assert "malformed_status.txt" in captured.err
    assert "4 created" in captured.out
    # The good documents of the batch landed.
    assert set(Trial.objects.values_list("nct_id", flat=True)) == {
        "NCT90000001",
        "NCT90000002",
        "NCT90000003",
        "NCT01515527",
    }


def test_seed_command_is_idempotent(capsys):
    call_command("seed")
    call_command("seed")
    assert "1 unchanged" in capsys.readouterr().out
    assert Trial.objects.count() == 1


def test_after_a_staff_edit_reimport_compares_field_by_field(seed_trial, seed_text):
    # What the admin does on save: the next import may not trust the digest.
    Trial.objects.filter(pk=seed_trial.pk).update(source_digest="")
    assert save_record(parse_page(seed_text)) == Outcome.UNCHANGED
    assert Trial.objects.get(pk=seed_trial.pk).source_digest

    Trial.objects.filter(pk=seed_trial.pk).update(source_digest="", brief_title="Edited by staff")
    assert save_record(parse_page(seed_text)) == Outcome.UPDATED
    assert Trial.objects.get(pk=seed_trial.pk).brief_title.startswith("Low Dose IL-2")


def _schema() -> tuple[set[str], set[str]]:
    """Every index definition and every foreign key of the trial tables."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename LIKE 'trials%%'")
        indexes = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text LIKE 'trials%%'"
        )
        return indexes, {row[0] for row in cursor.fetchall()}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL indexes and checks")
def test_a_bulk_import_builds_indexes_and_checks_once_and_always_restores_them(db, ctgov_data):
    from trials.importers import bulk_load
    from trials.search import backend

    indexes, foreign_keys = _schema()
    assert any("trials_trial_search_gin" in definition for definition in indexes)
    with pytest.raises(RuntimeError), bulk_load():
        during_indexes, during_keys = _schema()
        # Kept: primary keys, unique constraints and each table's trial key.
        assert not any("USING gin" in definition for definition in during_indexes)
        assert "CREATE INDEX trial_by_last_update" not in " ".join(during_indexes)
        assert any(definition.endswith("ON public.trials_site USING btree (trial_id)") for definition in during_indexes)
        # The related-trials tables and the page documents are not the writer's, and keep theirs.
        assert during_keys and all(key.startswith(("trials_similar", "trials_trialpage")) for key in during_keys)
        raise RuntimeError("the import failed")
    assert _schema() == (indexes, foreign_keys)
    report = import_paths([ctgov_data], bulk=True)
    assert report.ok and _schema() == (indexes, foreign_keys)
    assert backend().matching(Trial.objects.all(), "vardenafil").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL indexes and checks")
def test_the_next_import_repairs_a_bulk_import_killed_halfway(db, seed_text, tmp_path):
    from trials.importers import bulk_load
    from trials.models import DeferredStatement

    before = _schema()
    loading = bulk_load()
    loading.__enter__()  # and never left, as when the process is killed
    assert DeferredStatement.objects.count() > 40 and _schema() != before
    (tmp_path / "seed.txt").write_text(seed_text, encoding="utf-8")
    assert import_paths([tmp_path / "seed.txt"]).ok
    assert _schema() == before and not DeferredStatement.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL indexes and checks")
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_bulk_import_builds_its_indexes_side_by_side(ctgov_data, monkeypatch):
    from trials.importers import bulk
    from trials.models import DeferredStatement

    before = _schema()
    threads = []
    monkeypatch.setattr(
        bulk,
        "_run_deferred",
        lambda deferred, run=bulk._run_deferred: threads.append(threading.current_thread().name) or run(deferred),
    )
    report = import_paths([ctgov_data], bulk=True)
    assert report.ok and report.counts["created"] == len(list(ctgov_data.glob("*.json")))
    assert _schema() == before and not DeferredStatement.objects.exists()
    # Indexes on two connections besides this one; the foreign keys on this one.
    assert len(set(threads)) == bulk.RESTORE_CONNECTIONS + 1


def test_the_json_importer_drops_characters_xml_forbids_and_keeps_the_rest(ctgov_data, tmp_path):
    from trials.models import OutcomeMeasure, ResultMeasure

    study = json.loads((ctgov_data / "NCT00084552.json").read_text(encoding="utf-8"))
    protocol = study["protocolSection"]
    protocol["identificationModule"]["briefTitle"] = "Intensity-Modulated\x01 Radiation\ufffe Therapy"
    protocol["conditionsModule"]["conditions"][0] = "Prostate\x1f Cancer\uffff"
    protocol["eligibilityModule"]["eligibilityCriteria"] += "\x0b"
    protocol["outcomesModule"]["primaryOutcomes"][0]["measure"] += "\x08"
    study["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"][0]["title"] = "Erectile\x0c Dysfunction Rates"
    damaged = tmp_path / "damaged.json"
    damaged.write_text(json.dumps(study), encoding="utf-8")

    report = import_paths([damaged])
    assert report.ok and report.counts[Outcome.CREATED] == 1, report.failures
    trial = Trial.objects.get(nct_id="NCT00084552")
    assert trial.brief_title == "Intensity-Modulated Radiation Therapy"
    assert trial.trial_conditions.order_by("position").first().condition.name == "Prostate Cancer"
    assert "\x0b" not in trial.eligibility_criteria and trial.eligibility_criteria.strip()
    assert not OutcomeMeasure.objects.filter(trial=trial, measure__contains="\x08").exists()
    assert ResultMeasure.objects.filter(trial=trial, title="Erectile Dysfunction Rates").exists()
    # The registry's copy, with the same title and condition, is now the same record: nothing else was lost.
    study_clean = json.loads((ctgov_data / "NCT00084552.json").read_text(encoding="utf-8"))
    study_clean["protocolSection"]["identificationModule"]["briefTitle"] = "Intensity-Modulated Radiation Therapy"
    clean = tmp_path / "clean.json"
    clean.write_text(json.dumps(study_clean), encoding="utf-8")
    assert import_paths([clean]).counts[Outcome.UNCHANGED] == 1


def test_the_page_importer_drops_characters_xml_forbids(seed_text):
    damaged = seed_text.replace("Low Dose IL-2 Therapy", "Low Dose\x01 IL-2\ufffe Therapy", 1)
    assert damaged != seed_text
    assert save_record(parse_page(damaged)) == Outcome.CREATED
    assert Trial.objects.get(nct_id="NCT04133233").brief_title.startswith("Low Dose IL-2 Therapy in Patients")
    assert save_record(parse_page(seed_text)) == Outcome.UNCHANGED


# --- Hostile and mistaken input: bounded reads, duplicates, misnamed files ------------


def _study(ctgov_data, nct_id: str) -> dict:
    return json.loads((ctgov_data / f"{nct_id}.json").read_text())


def test_a_zip_member_past_the_study_limit_is_refused_unread_and_its_siblings_land(settings, ctgov_data, tmp_path):
    settings.IMPORT_MAX_STUDY_BYTES = 300_000
    archive = tmp_path / "ctg-studies.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for nct_id in ("NCT00000410", "NCT04267848", "NCT00007696"):  # the second weighs 528 KB
            bundle.write(ctgov_data / f"{nct_id}.json", f"{nct_id}.json")
        # A bomb: 64 MB of one summary, deflated to a few kilobytes.
        with bundle.open("NCT99999999.json", "w") as member:
            member.write(b'{"protocolSection": {"identificationModule": {"nctId": "NCT99999999"}, ')
            member.write(b'"descriptionModule": {"briefSummary": "' + b"a" * 64 * 2**20 + b'"}}}')
    tracemalloc.start()
    try:
        report = import_paths([archive])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.counts["created"] == 2
    assert sorted((failure.source, failure.reason[:40]) for failure in report.failures) == [
        (f"{archive}:NCT04267848.json", "the document is larger than the 0.286102"),
        (f"{archive}:NCT99999999.json", "the document is larger than the 0.286102"),
    ]
    assert "IMPORT_MAX_STUDY_BYTES" in report.failures[0].reason
    assert set(Trial.objects.values_list("nct_id", flat=True)) == {"NCT00000410", "NCT00007696"}
    # At most the limit of a member is read, never the 64 MB it inflates to.
    assert peak < 16 * 2**20


def test_a_json_array_is_read_study_by_study(settings, ctgov_data, tmp_path, monkeypatch):
    settings.IMPORT_MAX_STUDY_BYTES = 300_000
    files = [path for path in sorted(ctgov_data.glob("*.json")) if path.stat().st_size < 300_000]
    array = tmp_path / "studies.json"
    array.write_text("[" + ",\n".join(path.read_text() for path in files) + "]")
    read = []

    class Counted(io.BufferedReader):
        def read(self, size=-1):
            data = super().read(size)
            read.append(len(data))
            return data

    monkeypatch.setattr(
        pathlib.Path, "open", lambda path, mode="r", *args, **kwargs: Counted(io.FileIO(path, mode.replace("b", "")))
    )
    documents = sources.loaded([array])
    first = next(documents)[1]
    # The first study comes before the file is read whole: a limit's worth and a buffer at most.
    assert json.loads(first)["protocolSection"]["identificationModule"]["nctId"] == files[0].stem
    assert sum(read) <= 300_001 + 2**16 < array.stat().st_size
    assert [json.loads(item[1])["protocolSection"]["identificationModule"]["nctId"] for item in documents] == [
        path.stem for path in files[1:]
    ]
    monkeypatch.undo()
    report = import_paths([array])
    assert report.ok and report.counts["created"] == len(files)


def test_a_search_page_past_the_limit_lands_study_by_study_and_an_oversized_study_is_reported(
    settings, ctgov_data, tmp_path
):
    settings.IMPORT_MAX_STUDY_BYTES = 300_000
    studies = [_study(ctgov_data, nct_id) for nct_id in ("NCT00000410", "NCT00007696", "NCT04267848")]
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"studies": studies, "nextPageToken": "abc"}))
    report = import_paths([page])
    assert report.counts["created"] == 2
    [failure] = report.failures
    assert failure.source == str(page) and failure.reason.startswith("study 3 is larger than")


def test_a_duplicate_nct_id_in_one_file_is_reported_and_the_first_copy_wins(ctgov_data, tmp_path, capsys):
    first, other = _study(ctgov_data, "NCT00000410"), _study(ctgov_data, "NCT00007696")
    second = json.loads(json.dumps(first))
    second["protocolSection"]["identificationModule"]["briefTitle"] = "The second copy"
    array = tmp_path / "studies.json"
    array.write_text(json.dumps([first, other, second]))
    with pytest.raises(CommandError, match="1 document"):
        call_command("import_trials", str(array))
    captured = capsys.readouterr()
    assert "2 created, 0 updated, 0 unchanged, 1 failed" in captured.out
    assert f"Failed: {array} (NCT00000410): appears again in {array}: its first copy is the one imported" in (
        captured.err
    )
    assert (
        Trial.objects.get(nct_id="NCT00000410").brief_title
        == first["protocolSection"]["identificationModule"]["briefTitle"]
    )


def test_a_duplicate_nct_id_among_a_zips_members_is_reported(ctgov_data, tmp_path):
    archive = tmp_path / "ctg-studies.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.write(ctgov_data / "NCT00000410.json", "NCT00000410.json")
        bundle.write(ctgov_data / "NCT00000410.json", "again/NCT00000410.json")
    report = import_paths([archive])
    assert report.counts["created"] == 1
    [failure] = report.failures
    assert (failure.source, failure.nct_id) == (f"{archive}:again/NCT00000410.json", "NCT00000410")


def test_a_file_named_for_another_study_imports_with_a_warning(ctgov_data, tmp_path, capsys):
    misnamed = tmp_path / "NCT00000410.json"
    misnamed.write_bytes((ctgov_data / "NCT00007696.json").read_bytes())
    call_command("import_trials", str(misnamed))
    captured = capsys.readouterr()
    assert "1 created" in captured.out and "1 warning" in captured.out
    assert f"Warning: {misnamed} (NCT00007696): the file is named for NCT00000410 but holds NCT00007696" in (
        captured.err
    )
    assert list(Trial.objects.values_list("nct_id", flat=True)) == ["NCT00007696"]


UNATTRIBUTED = ["Leustatin", "2-CdA", "Ara-C", "Cytosar DepoCyt", "Cytosine Arabinosine Hydrochloride", "Dacogen"]


def test_other_names_a_page_does_not_attribute_stay_with_the_trial_and_are_reported(test_data, capsys):
    page = test_data / "NCT01515527.txt"
    call_command("import_trials", str(page))
    captured = capsys.readouterr()
    assert "1 created" in captured.out and "1 warning" in captured.out
    assert (
        f"Warning: {page} (NCT01515527): section 'Other Intervention Names': 6 names the page does not attribute "
        "to one intervention, kept with the trial: Leustatin, 2-CdA, Ara-C" in captured.err
    )
    trial = Trial.objects.get(nct_id="NCT01515527")
    assert trial.other_intervention_names == UNATTRIBUTED
    assert [(i.name, i.other_names) for i in trial.interventions.all()] == [
        ("Cladribine", []),
        ("Cytarabine", []),
        ("Decitabine", []),
    ]


def test_a_page_that_attributes_its_other_names_keeps_none_unattributed(test_data):
    report = import_paths([test_data / "NCT90000002.txt"])
    assert report.ok and not report.warnings
    assert Trial.objects.get(nct_id="NCT90000002").other_intervention_names == []


def test_unattributed_other_names_are_shown_searched_and_filtered(client, test_data):
    import_paths([test_data / "NCT01515527.txt", test_data / "NCT90000002.txt"])
    design = client.get(reverse("trials:design", args=["NCT01515527"])).content.decode()
    assert "Other names</strong> (the record does not say which intervention each names): Leustatin, 2-CdA" in design
    for params in ({"q": "Dacogen"}, {"intervention": "Cytosar"}):
        listing = client.get(reverse("trials:list"), params).content.decode()
        assert re.findall(r'<span class="nct">(NCT\d{8})</span>', listing) == ["NCT01515527"], params


def test_the_next_import_computes_the_related_lists_a_killed_one_never_reached(ctgov_data, tmp_path, monkeypatch):
    from trials.models import SimilarityProfile, SimilarTrial
    from trials.related import after_import, incremental

    report = import_paths([ctgov_data])
    assert report.ok
    after_import(report.changed)
    with_lists = set(SimilarTrial.objects.values_list("trial__nct_id", flat=True))
    assert len(with_lists) > 20
    # Two studies change; the import saves them and is killed while relating them.
    changed = tmp_path / "changed"
    changed.mkdir()
    for nct_id in sorted(with_lists)[:2]:
        study = _study(ctgov_data, nct_id)
        study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"] = "2030-01-01"
        (changed / f"{nct_id}.json").write_text(json.dumps(study))

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(incremental, "refresh", killed)
    with pytest.raises(KeyboardInterrupt):
        call_command("import_trials", str(changed))
    monkeypatch.undo()
    left = set(SimilarTrial.objects.values_list("trial__nct_id", flat=True))
    assert not left & set(sorted(with_lists)[:2]) and left < with_lists
    # The next import, of nothing new, computes exactly what was left.
    refreshed = []
    monkeypatch.setattr(
        incremental, "refresh", lambda ids, run=incremental.refresh: refreshed.append(set(ids)) or run(ids)
    )
    again = import_paths([changed])
    after_import(again.changed)
    assert again.counts["unchanged"] == 2 and not again.changed
    assert refreshed == [set(Trial.objects.filter(nct_id__in=sorted(with_lists)[:2]).values_list("id", flat=True))]
    assert set(SimilarTrial.objects.values_list("trial__nct_id", flat=True)) == with_lists
    assert SimilarityProfile.objects.count() == Trial.objects.count()


def test_the_importers_report_what_changed_and_the_command_relates_it(ctgov_data):
    from trials.models import SimilarTrial
    from trials.related import pending

    report = import_paths([ctgov_data])
    # The importers only say which trials changed: their related lists are the caller's to compute.
    assert report.ok and len(report.changed) == len(list(ctgov_data.glob("*.json")))
    assert set(pending()) == set(report.changed) and not SimilarTrial.objects.exists()
    call_command("import_trials", str(ctgov_data), "--no-progress")
    assert not pending() and SimilarTrial.objects.exists()
