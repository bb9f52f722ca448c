"""The list page's CSV download shows a trial's status as the list does; the API keeps the registry's."""

from __future__ import annotations

import csv
import datetime
import html
import io
import re

import pytest
from django.urls import reverse

from trials import status
from trials.exports import export_studies, safe_cell
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


FIVE = ["NCT00000410", "NCT00007696", "NCT00033839", "NCT00042536", "NCT00057759"]


@pytest.fixture
def five(ctgov_data, monkeypatch):
    from trials import export_views

    assert import_paths([ctgov_data / f"{nct_id}.json" for nct_id in FIVE]).ok
    monkeypatch.setattr(export_views, "EXPORT_PAGE", 2)
    monkeypatch.setattr(export_views, "EXPORT_CHUNK", 1)


def exported(response) -> list[str]:
    assert response.status_code == 200
    return [study["protocolSection"]["identificationModule"]["nctId"] for study in response.json()["studies"]]


def test_an_export_holds_a_bounded_page_and_says_where_the_rest_is(client, five):
    url = reverse("trials:export_json")
    first = client.get(url, {"sort": "updated"})
    assert first["X-Total-Count"] == "5" and first.json()["totalCount"] == 5
    assert first["Link"] == f'<{url}?sort=updated&page=2>; rel="next"'
    assert "page=2" in first["X-Export-Note"] and "/api/v2/studies" in first["X-Export-Note"]
    assert first["Content-Disposition"] == 'attachment; filename="trials-1-2-of-5.json"'
    pages = [exported(first), exported(client.get(url, {"sort": "updated", "page": 2}))]
    last = client.get(url, {"sort": "updated", "page": 3})
    pages.append(exported(last))
    assert "Link" not in last and last["Content-Disposition"] == 'attachment; filename="trials-5-5-of-5.json"'
    assert [len(page) for page in pages] == [2, 2, 1]
    assert sorted(sum(pages, [])) == FIVE
    # The studies are those the API writes, whole.
    study = first.json()["studies"][0]
    assert study == export_studies([Trial.objects.get(nct_id=pages[0][0]).pk])[0]


def test_a_csv_export_pages_alike_with_one_header(client, five):
    url = reverse("trials:export_csv")
    body = client.get(url, {"sort": "updated"}).content.decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][0] == "NCT Number" and len(rows) == 3
    second = list(csv.reader(io.StringIO(client.get(url, {"sort": "updated", "page": 2}).content.decode())))
    assert second[0][0] == "NCT Number" and {row[0] for row in second[1:]}.isdisjoint({row[0] for row in rows[1:]})


def test_the_list_page_offers_every_file_its_matches_take(client, five):
    # It promised "up to 1,000" while a download holds one page: the rest were out of reach.
    text = client.get(reverse("trials:list"), {"sort": "updated"}).content.decode()
    assert "3 files of up to 2 trials" in text and "1,000" not in text
    assert "Trials 1–2:" in text and "Trials 5–5:" in text
    links = [html.unescape(link) for link in re.findall(r'href="(/trials/export\.json\?[^"]*)"', text)]
    assert links[1].endswith("sort=updated&page=2")
    assert sorted(nct_id for link in links for nct_id in exported(client.get(link))) == FIVE


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "41", "٣"])
def test_an_export_page_out_of_range_is_a_clear_400(client, five, page):
    response = client.get(reverse("trials:export_csv"), {"page": page})
    assert response.status_code == 400
    assert "page: a page from 1 to 40" in response.content.decode()


def test_an_export_reads_a_fixed_number_of_queries_a_chunk(client, five, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        assert len(exported(client.get(reverse("trials:export_json"), {"page": 1}))) == 2
