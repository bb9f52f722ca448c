"""Page documents (``trials.pages``): a Summary served from one is the page rendered live, and never stale."""

from __future__ import annotations

import datetime
import json

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse, set_script_prefix
from django.utils import timezone

from trials import pages, status
from trials.importers import import_paths
from trials.models import Trial, TrialPage
from trials.models.queries import PAGE_RELATIONS

pytestmark = pytest.mark.django_db

RECORD = "NCT00000410"
MARKER = "<p>Rendered from the page document</p>"
SITES_MARKER = "<p>Sites rendered from the page document</p>"


def summary(client, nct_id: str, query: str = "") -> str:
    # Each answer rendered anew, not one the shared cache kept.
    cache.clear()
    response = client.get(reverse("trials:detail", args=[nct_id]) + query)
    assert response.status_code == 200
    return response.content.decode()


def marked(nct_id: str) -> None:
    """The trial's document, with parts only it holds: a page that shows them was served from the document."""
    pages.build([nct_id])
    page = TrialPage.objects.get(trial__nct_id=nct_id)
    page.parts["summary_tail"] += MARKER
    page.parts["sites"] += SITES_MARKER
    page.save()


@pytest.mark.parametrize("query", ["", "?site_status=RECRUITING", "?site_country=Nowhere"])
def test_every_real_record_renders_the_same_from_its_document(client, seed_trial, ctgov_imported, query):
    nct_ids = list(Trial.objects.order_by("nct_id").values_list("nct_id", flat=True))
    assert len(nct_ids) > 60
    live = {nct_id: summary(client, nct_id, query) for nct_id in nct_ids}
    assert not TrialPage.objects.exists()
    assert pages.build(nct_ids) == len(nct_ids)
    for nct_id in nct_ids:
        # The document is read with the trial, and what it holds is what a live render gives.
        assert pages.current(Trial.objects.one_with_rows(nct_id, PAGE_RELATIONS, (), pages.document(False)))
        assert summary(client, nct_id, query) == live[nct_id], nct_id


def test_a_summary_reads_its_document_in_the_trials_own_query(client, ctgov_data, django_assert_num_queries):
    assert import_paths([ctgov_data / "NCT04267848.json"]).ok
    marked("NCT04267848")
    cache.clear()
    # The trial with its document and sites, which gives the page's version: one query, as without it.
    with django_assert_num_queries(1):
        html = client.get(reverse("trials:detail", args=["NCT04267848"])).content.decode()
    assert MARKER in html and SITES_MARKER in html and "1,148" in html
    # A site filter renders the sites live, from the rows read in the same query.
    cache.clear()
    with django_assert_num_queries(1):
        html = client.get(reverse("trials:detail", args=["NCT04267848"]) + "?site_country=Italy").content.decode()
    assert MARKER in html and SITES_MARKER not in html and "in Italy" in html


def test_other_tabs_render_their_parts_live(client, ctgov_imported):
    marked(RECORD)
    for tab in ("design", "eligibility", "print"):
        html = client.get(reverse(f"trials:{tab}", args=[RECORD])).content.decode()
        assert MARKER not in html and 'class="key-facts"' in html


def test_a_document_older_than_its_trial_is_not_read(client, ctgov_imported):
    marked(RECORD)
    assert MARKER in summary(client, RECORD)
    trial = Trial.objects.get(nct_id=RECORD)
    trial.brief_title = "SPORT, saved"
    trial.save()
    html = summary(client, RECORD)
    assert MARKER not in html and "SPORT, saved" in html


def test_a_document_of_another_release_is_not_read(client, ctgov_imported, monkeypatch):
    marked(RECORD)
    assert MARKER in summary(client, RECORD)
    monkeypatch.setattr(pages, "release", lambda: "the next release")
    assert MARKER not in summary(client, RECORD)


def test_a_document_written_for_another_url_prefix_is_not_read(client, ctgov_imported):
    marked(RECORD)
    # As a server mounted under /portal/ sets it for each request (the test client does not).
    set_script_prefix("/portal/")
    try:
        html = client.get(f"/trials/{RECORD}/").content.decode()
    finally:
        set_script_prefix("/")
    assert MARKER not in html and 'href="/portal/trials/' in html


def test_a_document_built_where_the_static_files_took_another_prefix_is_not_read_elsewhere(
    client, ctgov_imported, settings
):
    # Django resolves a relative STATIC_URL once a process, with the script prefix of the first request that asks:
    # a process first asked under /portal/ writes /portal/static/ into every page it renders, documents too.
    settings.STATIC_URL = "static/"  # a process starting: nothing resolved yet
    set_script_prefix("/portal/")
    try:
        assert staticfiles_storage.url("css/site.css").startswith("/portal/static/")
    finally:
        set_script_prefix("/")
    marked(RECORD)
    assert "/portal/" in "".join(TrialPage.objects.get(trial__nct_id=RECORD).parts["frame"][::2])
    settings.STATIC_URL = "static/"  # another process, asked under / first
    html = summary(client, RECORD)
    assert MARKER not in html and 'href="/static/css/site.css"' in html and "/portal/" not in html


def test_an_import_builds_documents_and_a_re_import_replaces_them(client, ctgov_data, tmp_path):
    study = json.loads((ctgov_data / f"{RECORD}.json").read_text())
    path = tmp_path / f"{RECORD}.json"
    path.write_text(json.dumps(study))
    call_command("import_trials", str(path), "--no-progress")
    trial = Trial.objects.get(nct_id=RECORD)
    page = TrialPage.objects.get(trial=trial)
    assert page.trial_updated_at == trial.updated_at and page.release == pages.key()
    study["protocolSection"]["identificationModule"]["briefTitle"] = "SPORT, imported again"
    path.write_text(json.dumps(study))
    call_command("import_trials", str(path), "--no-progress")
    page = TrialPage.objects.get(trial__nct_id=RECORD)
    assert page.trial_updated_at == Trial.objects.get(nct_id=RECORD).updated_at
    assert "SPORT, imported again" in summary(client, RECORD)


def test_an_admin_edit_builds_the_document_again(client, ctgov_imported, admin_edit):
    pages.build([RECORD])
    admin_edit(RECORD, why_stopped="Stopped, as staff wrote it")
    page = TrialPage.objects.get(trial__nct_id=RECORD)
    assert page.trial_updated_at == Trial.objects.get(nct_id=RECORD).updated_at
    assert "Stopped, as staff wrote it" in page.parts["summary_head"]
    assert "Stopped, as staff wrote it" in summary(client, RECORD)


def test_a_document_that_fails_to_render_costs_its_own_document_not_the_edit(
    client, ctgov_imported, monkeypatch, admin_edit
):
    """A page document saves time: a trial whose parts cannot be rendered is served live, and a save goes on."""
    TrialPage.objects.all().delete()
    rendered = pages.parts

    def parts(trial):
        if trial.nct_id == RECORD:
            raise ValueError("a part that cannot be rendered")
        return rendered(trial)

    monkeypatch.setattr(pages, "parts", parts)
    others = list(Trial.objects.exclude(nct_id=RECORD).values_list("nct_id", flat=True)[:3])
    assert pages.build([RECORD, *others]) == len(others)
    assert not TrialPage.objects.filter(trial__nct_id=RECORD).exists()
    admin_edit(RECORD, why_stopped="Saved all the same")
    assert "Saved all the same" in summary(client, RECORD)


def test_the_status_lapses_on_a_page_served_from_its_document(client, ctgov_data, monkeypatch):
    stale = "NCT05375201"
    assert import_paths([ctgov_data / f"{stale}.json"]).ok
    marked(stale)
    # Built today, when its status has lapsed: the document holds for every day since the lapse.
    monkeypatch.setattr(status, "today", lambda: datetime.date(2025, 6, 1))
    html = summary(client, stale)
    assert MARKER in html and "Unknown status — last reported Recruiting" in html
    # On a day before, its sites and JSON-LD would say otherwise: the page is rendered live.
    monkeypatch.setattr(status, "today", lambda: datetime.date(2025, 5, 31))
    html = summary(client, stale)
    assert MARKER not in html and "Unknown status" not in html
    assert '"status": "https://schema.org/Recruiting"' in html


def test_build_pages_builds_what_is_missing_or_stale(ctgov_imported):
    assert not TrialPage.objects.exists()
    call_command("build_pages")
    total = Trial.objects.count()
    assert TrialPage.objects.count() == total
    Trial.objects.filter(nct_id=RECORD).update(updated_at=timezone.now() + datetime.timedelta(seconds=1))
    assert pages.build_all() == 1
    assert pages.build_all() == 0


def test_build_pages_builds_again_the_documents_of_trials_whose_status_lapsed(ctgov_data, monkeypatch):
    stale = "NCT05375201"
    assert import_paths([ctgov_data / f"{stale}.json"]).ok
    monkeypatch.setattr(status, "today", lambda: datetime.date(2025, 5, 31))
    assert pages.build_all() == 1
    assert TrialPage.objects.get(trial__nct_id=stale).parts["lapsed"] == "False"
    assert pages.build_all() == 0
    monkeypatch.setattr(status, "today", lambda: datetime.date(2025, 6, 1))
    assert pages.build_all() == 1
    assert TrialPage.objects.get(trial__nct_id=stale).parts["lapsed"] == "True"


WHOLE = "<!-- the whole page from its document -->"


def test_a_summary_with_no_query_is_served_whole_from_its_document(client, ctgov_imported, django_assert_num_queries):
    pages.build([RECORD])
    page = TrialPage.objects.get(trial__nct_id=RECORD)
    page.parts["frame"][0] = WHOLE + page.parts["frame"][0]
    page.save()
    cache.clear()
    # The trial with its document, as a Summary rendered from the parts.
    with django_assert_num_queries(1):
        html = client.get(reverse("trials:detail", args=[RECORD])).content.decode()
    assert html.startswith(WHOLE)
    # A query renders the page around the parts.
    assert WHOLE not in summary(client, RECORD, "?site_status=RECRUITING")


def test_the_whole_summary_fills_in_the_host_and_the_day(client, ctgov_imported, settings, monkeypatch):
    settings.ALLOWED_HOSTS = ["portal.example.org", "testserver"]
    trial = Trial.objects.get(nct_id=RECORD)
    assert trial.status_verified_date == "2015-08"
    # Built on one day, shown on another, asked for on another host.
    monkeypatch.setattr(status, "today", lambda: datetime.date(2026, 1, 15))
    pages.build([RECORD])
    monkeypatch.setattr(status, "today", lambda: datetime.date(2027, 3, 1))
    cache.clear()
    served = client.get(reverse("trials:detail", args=[RECORD]), HTTP_HOST="portal.example.org").content.decode()
    assert "August 2015 (11 years ago)" in served
    assert 'data-url="http://portal.example.org/trials/NCT00000410/"' in served
    TrialPage.objects.all().delete()
    cache.clear()
    live = client.get(reverse("trials:detail", args=[RECORD]), HTTP_HOST="portal.example.org").content.decode()
    assert served == live
