"""The list page's CSV download shows a trial's status as the list does; the API keeps the registry's."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.urls import reverse

from trials import status
from trials.exports import safe_cell
from trials.importers import import_paths
from trials.models import Trial

pytestmark = pytest.mark.django_db

# Reports "Recruiting", verified May 2023, completing 2024-12-31: lapses on 1 June 2025.
STALE = "NCT05375201"


def statuses(response) -> dict[str, str]:
    assert response.status_code == 200
    return {row["NCT Number"]: row["Study Status"] for row in csv.DictReader(io.StringIO(response.content.decode()))}


@pytest.fixture
def stale(ctgov_data, monkeypatch):
    assert import_paths([ctgov_data / f"{STALE}.json"]).ok
    return lambda day: monkeypatch.setattr(status, "today", lambda: day)


def test_the_list_download_gives_the_status_the_list_shows(client, stale):
    stale(datetime.date(2025, 6, 1))
    assert statuses(client.get(reverse("trials:export_csv"))) == {STALE: "UNKNOWN"}
    assert "Unknown status" in client.get(reverse("trials:list")).content.decode()
    stale(datetime.date(2025, 5, 31))
    assert statuses(client.get(reverse("trials:export_csv"))) == {STALE: "RECRUITING"}


def test_the_api_csv_keeps_the_status_the_registry_reports(client, stale):
    stale(datetime.date(2025, 6, 1))
    response = client.get(f"/api/v2/studies/{STALE}", {"format": "csv"})
    assert statuses(response) == {STALE: "RECRUITING"}


def rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode())))


@pytest.mark.parametrize("url", [reverse("trials:export_csv"), f"/api/v2/studies/{STALE}?format=csv"])
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(client, stale, url):
    Trial.objects.filter(nct_id=STALE).update(
        acronym='=HYPERLINK("http://evil.example","x")', brief_title="+1 trial", brief_summary="\t@SUM(A1)"
    )
    (row,) = rows(client.get(url))
    assert row["Acronym"] == '\'=HYPERLINK("http://evil.example","x")'
    assert row["Study Title"] == "'+1 trial"
    assert row["Brief Summary"] == "'\t@SUM(A1)"
    # Numbers and dates stay as they are, for the spreadsheet to read as numbers and dates.
    trial = Trial.objects.get(nct_id=STALE)
    assert row["Enrollment"] == str(trial.enrollment_count)
    assert row["Start Date"] == trial.start.isoformat()
    assert row["NCT Number"] == STALE


def test_safe_cell_quotes_only_formula_starts():
    assert [safe_cell(value) for value in ("=1+1", "-2", "@A", "\rX", "a=b", "", "10 mg")] == [
        "'=1+1",
        "'-2",
        "'@A",
        "'\rX",
        "a=b",
        "",
        "10 mg",
    ]
