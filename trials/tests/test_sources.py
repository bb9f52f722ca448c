"""Sources alone, with no database: format detection, bounded reads, counting and naming documents."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from trials.importers.pipeline import ImportReport
from trials.importers.sources import (
    SEED_DOCUMENT,
    BoundedStream,
    ImportFailure,
    Read,
    StudyTooLarge,
    UnknownFormat,
    count_documents,
    loaded,
    named_nct_id,
    read_document,
)


def _study(ctgov_data: Path, nct_id: str) -> dict:
    return json.loads((ctgov_data / f"{nct_id}.json").read_text(encoding="utf-8"))


def test_a_trial_page_is_read_as_one_record(seed_text):
    read = read_document(seed_text, "seed.txt")
    assert [record.nct_id for record in read.records] == ["NCT04133233"] and not read.failures


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        (lambda studies: studies[0], ["NCT00000410"]),
        (lambda studies: studies, ["NCT00000410", "NCT00007696"]),
        (lambda studies: {"studies": studies, "nextPageToken": "abc"}, ["NCT00000410", "NCT00007696"]),
    ],
    ids=["one study", "an array", "a search page"],
)
def test_each_json_shape_gives_its_studies(ctgov_data, shape, expected):
    studies = [_study(ctgov_data, "NCT00000410"), _study(ctgov_data, "NCT00007696")]
    # As bytes with a byte-order mark and a blank line first: the format is read past them.
    read = read_document(b"\xef\xbb\xbf\n" + json.dumps(shape(studies)).encode(), "studies.json")
    assert [record.nct_id for record in read.records] == expected and not read.failures


def test_invalid_json_is_a_failure_not_an_error():
    read = read_document('{"protocolSection": ', "broken.json")
    assert not read.records
    [failure] = read.failures
    assert (failure.source, failure.nct_id) == ("broken.json", "") and failure.reason.startswith("invalid JSON")


def test_a_study_that_cannot_be_mapped_is_reported_with_its_nct_id_and_its_siblings_read(ctgov_data):
    broken = _study(ctgov_data, "NCT00033839")
    broken["protocolSection"]["designModule"]["enrollmentInfo"]["count"] = "many"
    read = read_document(json.dumps([broken, _study(ctgov_data, "NCT00000410")]), "studies.json")
    assert [record.nct_id for record in read.records] == ["NCT00000410"]
    [failure] = read.failures
    assert failure.nct_id == "NCT00033839" and "enrollmentInfo.count" in failure.reason


def test_text_that_is_neither_format_is_refused():
    with pytest.raises(UnknownFormat):
        read_document("Dear editor,\nplease find attached...", "letter.txt")


def test_a_bounded_stream_gives_its_head_then_the_rest_and_stops_a_study_past_the_limit():
    stream = BoundedStream(b"abc", io.BytesIO(b"defghij"))
    assert stream.read(2) == b"ab" and stream.read(2) == b"c" and stream.read(2) == b"de"
    stream.limit = 4
    stream.mark()
    assert stream.read(3) == b"fgh"
    stream.mark()  # a study ended: the next one starts counting afresh
    assert stream.read(5) == b"ij"
    stream = BoundedStream(b"", io.BytesIO(b"x" * 10))
    stream.limit = 4
    stream.read(5)
    with pytest.raises(StudyTooLarge):
        stream.read(1)


def test_a_large_document_that_is_no_json_array_is_refused_unread(settings, tmp_path):
    settings.IMPORT_MAX_STUDY_BYTES = 1000
    large = tmp_path / "large.txt"
    large.write_text("x" * 5000)
    [item] = list(loaded([large]))
    assert isinstance(item, Read) and not item.records
    assert item.failures[0].reason.startswith("the document is larger than the 0.000953674 MB")


def test_a_small_document_is_read_whole_with_the_file_it_came_from(tmp_path, seed_text):
    page = tmp_path / "seed.txt"
    page.write_text(seed_text, encoding="utf-8")
    assert list(loaded([page])) == [(str(page), page.read_bytes(), str(page))]


def test_documents_are_counted_as_an_import_reads_them(tmp_path):
    (tmp_path / "a.txt").write_text("page")
    (tmp_path / "b.json").write_text("{}")
    (tmp_path / "notes.csv").write_text("not a document")
    with zipfile.ZipFile(tmp_path / "bulk.zip", "w") as bundle:
        bundle.writestr("NCT00000001.json", "{}")
        bundle.writestr("NCT00000002.json", "{}")
        bundle.writestr("README.md", "not a document")
    assert count_documents([tmp_path]) == 4
    assert count_documents([tmp_path / "bulk.zip", SEED_DOCUMENT]) == 3
    members = [source for source, *_ in loaded([tmp_path / "bulk.zip"])]
    assert members == [f"{tmp_path / 'bulk.zip'}:NCT00000001.json", f"{tmp_path / 'bulk.zip'}:NCT00000002.json"]


@pytest.mark.parametrize(
    ("source", "named"),
    [
        ("/data/NCT00000410.json", "NCT00000410"),
        ("/data/ctg-studies.zip:nct00000410.JSON", "NCT00000410"),
        ("/data/ctg-studies.zip:studies/NCT00000410.txt", "NCT00000410"),
        ("/data/studies.json", ""),
        ("/data/NCT00000410-old.json", ""),
    ],
)
def test_a_file_is_named_for_a_trial_only_as_the_bulk_download_names_them(source, named):
    assert named_nct_id(source) == named


def test_the_report_sums_up_outcomes_failures_and_warnings():
    report = ImportReport()
    report.counts.update({"created": 2, "unchanged": 1})
    report.failures.append(ImportFailure("a.json", "NCT00000410", "bad date"))
    report.warnings += [ImportFailure("b.json", "", "misnamed")] * 2
    report.skipped = 3
    assert report.summary() == (
        "2 created, 0 updated, 1 unchanged, 3 skipped as older than --since, 1 failed, 2 warnings"
    )
    assert report.studies == 7 and not report.ok
    assert str(report.failures[0]) == "a.json (NCT00000410): bad date"
