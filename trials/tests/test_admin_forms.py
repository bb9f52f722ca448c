"""The admin's trial form as a browser uses it: line ends as textareas send them, and big records."""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.forms import Textarea
from django.test import Client
from django.urls import reverse

from trials.importers import import_paths
from trials.models import Site, Trial, TrialVersion

from .editing import form_data

pytestmark = pytest.mark.django_db

# 1,148 sites and 1,318 site contacts: the largest record on file.
BIG = "NCT04267848"


def browser_data(response) -> dict:
    """``form_data`` with every textarea's line ends as a browser submits them (``\\r\\n``)."""
    data = form_data(response)
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += inline.formset.forms
    for form in forms:
        for name, field in form.fields.items():
            if isinstance(field.widget, Textarea) and isinstance(data.get(form[name].html_name), str):
                data[form[name].html_name] = data[form[name].html_name].replace("\n", "\r\n")
    return data


def test_saving_only_the_title_changes_only_the_title(editor, seed_trial):
    url = reverse("admin:trials_trial_change", args=[seed_trial.pk])
    before = Trial.objects.get(pk=seed_trial.pk)
    assert "\n" in before.eligibility_criteria and "\n" in before.detailed_description
    data = browser_data(editor.get(url))
    assert "\r\n" in data["eligibility_criteria"]
    data["brief_title"] = "Low-dose IL-2 in bipolar depression"
    response = editor.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    after = Trial.objects.get(pk=seed_trial.pk)
    assert after.brief_title == "Low-dose IL-2 in bipolar depression"
    assert after.eligibility_criteria == before.eligibility_criteria
    assert after.detailed_description == before.detailed_description
    assert after.brief_summary == before.brief_summary
    message = LogEntry.objects.get(object_id=str(seed_trial.pk)).get_change_message()
    assert message.startswith("Brief title:") and "criteria" not in message.lower()
    assert "description" not in message.lower()
    version = TrialVersion.objects.filter(nct_id=seed_trial.nct_id).order_by("number").last()
    assert "eligibilityCriteria" not in str(version.changes) and "detailedDescription" not in str(version.changes)


def test_an_edited_text_is_stored_with_plain_line_ends(editor, seed_trial):
    url = reverse("admin:trials_trial_change", args=[seed_trial.pk])
    data = browser_data(editor.get(url))
    data["detailed_description"] = "First line.\r\nSecond line.\rThird line."
    assert editor.post(url, data).status_code == 302
    assert Trial.objects.get(pk=seed_trial.pk).detailed_description == "First line.\nSecond line.\nThird line."


def inputs(html: str) -> list[str]:
    return re.findall(r'<(?:input|select|textarea)[^>]*\sname="([^"]+)"', html)


@pytest.fixture
def big(ctgov_data) -> Trial:
    assert import_paths([ctgov_data / f"{BIG}.json"]).ok
    return Trial.objects.get(nct_id=BIG)


def test_the_largest_record_edits_on_a_form_under_the_field_limit(editor, big, settings):
    url = reverse("admin:trials_trial_change", args=[big.pk])
    response = editor.get(url)
    html = response.content.decode()
    assert len(inputs(html)) < settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    # The lists left off the page are linked, filtered to the trial.
    sites_url = reverse("admin:trials_site_changelist") + f"?trial__id__exact={big.pk}"
    assert f'1,148 sites, too many for this page: <a href="{sites_url}">' in html
    assert "1,318 contacts" in html
    data = browser_data(response)
    assert len(data) < settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    data["brief_title"] = "A shorter title"
    response = editor.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    trial = Trial.objects.get(pk=big.pk)
    assert trial.brief_title == "A shorter title"
    # The lists not on the page are kept as they were.
    assert trial.sites.count() == 1148 and trial.contacts.count() == 1318
    message = LogEntry.objects.get(object_id=str(big.pk)).get_change_message()
    assert message == "Brief title: " + message.partition("Brief title: ")[2] and "Deleted" not in message


def test_a_site_of_a_long_list_is_edited_on_its_own_page(editor, big):
    listed = editor.get(reverse("admin:trials_site_changelist"), {"trial__id__exact": big.pk})
    assert listed.status_code == 200
    assert listed.context["cl"].result_count == 1148
    site = big.sites.order_by("position").first()
    before = Trial.objects.get(pk=big.pk).updated_at
    # The public page, kept in the shared cache, must not outlive the edit.
    assert "Springfield" not in Client().get(f"/trials/{BIG}/?site_country={site.country}").content.decode()
    url = reverse("admin:trials_site_change", args=[site.pk])
    data = form_data(editor.get(url))
    data["city"] = "Springfield"
    response = editor.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Site.objects.get(pk=site.pk).city == "Springfield"
    assert Trial.objects.get(pk=big.pk).updated_at > before
    assert "Springfield" in Client().get(f"/trials/{BIG}/?site_country={site.country}").content.decode()
    # A change to the trial, kept in its history like a save of the trial's page.
    version = TrialVersion.objects.filter(nct_id=BIG).order_by("number").last()
    assert version.source == "admin"


def test_a_small_record_keeps_every_list_on_its_page(editor, seed_trial):
    html = editor.get(reverse("admin:trials_trial_change", args=[seed_trial.pk])).content.decode()
    assert "sites-0-facility" in html and "too many for this page" not in html


def test_a_record_with_long_posted_results_saves(editor, settings):
    """Read-only results rows still render hidden inputs: a long list of them goes to the Results tab."""
    assert import_paths([settings.BASE_DIR / "trials/tests/data/admin/NCT01026818.json"]).ok
    trial = Trial.objects.get(nct_id="NCT01026818")
    url = reverse("admin:trials_trial_change", args=[trial.pk])
    response = editor.get(url)
    html = response.content.decode()
    assert len(inputs(html)) < settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    results = reverse("trials:results", args=[trial.nct_id])
    assert f'261 posted results: adverse events, too many for this page: <a href="{results}">' in html
    data = browser_data(response)
    data["brief_title"] = "A shorter title"
    response = editor.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Trial.objects.get(pk=trial.pk).brief_title == "A shorter title"
    assert trial.adverse_events.count() == 261
