import json
import re
import threading
import time

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from trials.importers import import_paths
from trials.models import Condition, Trial, TrialVersion
from trials.tests.editing import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def change_url(seed_trial):
    return reverse("admin:trials_trial_change", args=[seed_trial.pk])


def test_staff_edit_the_title_and_an_exclusion_criterion_and_the_public_page_shows_it(
    client, staff_editor, seed_trial, change_url
):
    client.force_login(staff_editor)
    data = form_data(client.get(change_url))
    data["brief_title"] = "Low-dose IL-2 in bipolar depression"
    data["eligibility_criteria"] = data["eligibility_criteria"].replace(
        "* Patient is employee of the sponsor.", "* Patient is an employee of the sponsor."
    )
    response = client.post(change_url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    trial = Trial.objects.get(pk=seed_trial.pk)
    assert trial.brief_title == "Low-dose IL-2 in bipolar depression"
    assert trial.criteria.exclusion[-1] == "Patient is an employee of the sponsor."
    # Children were kept through the inlines.
    assert trial.arm_groups.count() == 2 and trial.related_trials.count() == 5
    html = client.get(reverse("trials:eligibility", args=[trial.nct_id])).content.decode()
    assert "Low-dose IL-2 in bipolar depression" in html
    assert "Patient is an employee of the sponsor." in html


def test_validation_errors_are_shown_on_the_form(client, staff_editor, seed_trial, change_url):
    client.force_login(staff_editor)
    data = form_data(client.get(change_url))
    data["minimum_age"] = "70 Years"
    response = client.post(change_url, data)
    assert response.status_code == 200
    assert "is below the minimum age" in response.content.decode()
    assert Trial.objects.get(pk=seed_trial.pk).minimum_age == "18 Years"


def test_admin_search_and_condition_autocomplete(client, staff_editor, seed_trial, test_data):
    from trials.importers import import_paths

    import_paths([test_data / "NCT90000001.txt"])
    client.force_login(staff_editor)
    listing = client.get(reverse("admin:trials_trial_changelist"), {"q": "Diabetic Nephropathy"})
    assert list(listing.context["cl"].queryset.values_list("nct_id", flat=True)) == ["NCT90000001"]
    by_id = client.get(reverse("admin:trials_trial_changelist"), {"q": "NCT04133233"})
    assert by_id.context["cl"].result_count == 1
    autocomplete = client.get(
        reverse("admin:autocomplete"),
        {"term": "diab", "app_label": "trials", "model_name": "trialcondition", "field_name": "condition"},
    )
    names = [result["text"] for result in autocomplete.json()["results"]]
    assert names == ["Diabetes Mellitus, Type 2", "Diabetic Nephropathy"]


def test_phase_filter_matches_combined_phases(client, staff_editor, test_data):
    from trials.importers import import_paths

    import_paths([test_data / "NCT90000002.txt"])
    client.force_login(staff_editor)
    listing = client.get(reverse("admin:trials_trial_changelist"), {"phase": "PHASE3"})
    assert listing.context["cl"].result_count == 1
    listing = client.get(reverse("admin:trials_trial_changelist"), {"phase": "PHASE1"})
    assert listing.context["cl"].result_count == 0


def test_a_visitor_who_is_not_staff_cannot_reach_the_admin(client, seed_trial, change_url):
    user = User.objects.create_user("visitor", password="a long visitor passphrase")
    client.force_login(user)
    response = client.get(change_url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_change_permission_cannot_edit(client, seed_trial, change_url, staff_editor):
    viewer = User.objects.create_user("viewer", password="a long viewer passphrase", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_trial"))
    client.force_login(staff_editor)
    data = form_data(client.get(change_url))
    client.force_login(viewer)
    page = client.get(change_url)
    assert page.status_code == 200
    assert 'name="brief_title"' not in page.content.decode()
    data["brief_title"] = "Changed by a viewer"
    assert client.post(change_url, data).status_code == 403
    assert Trial.objects.get(pk=seed_trial.pk).brief_title.startswith("Low Dose IL-2")


def test_keywords_must_be_a_list_of_texts(client, staff_editor, seed_trial, change_url):
    client.force_login(staff_editor)
    data = form_data(client.get(change_url))
    data["keywords"] = '"just text"'
    response = client.post(change_url, data)
    assert response.status_code == 200
    assert "Enter a list of texts" in response.content.decode()
    assert Trial.objects.get(pk=seed_trial.pk).keywords == []


def member_of(group: str, username: str) -> User:
    """A staff user in one of the groups the migrations create."""
    user = User.objects.create_user(username, password=f"a long {username} passphrase", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def test_the_viewers_group_can_look_but_not_change_even_by_a_crafted_post(client, seed_trial, change_url, staff_editor):
    viewer = member_of("Viewers", "reader")
    client.force_login(staff_editor)
    data = form_data(client.get(change_url))
    client.force_login(viewer)
    assert client.get(change_url).status_code == 200
    data["brief_title"] = "Crafted"
    assert client.post(change_url, data).status_code == 403
    assert client.post(reverse("admin:trials_trial_delete", args=[seed_trial.pk]), {"post": "yes"}).status_code == 403
    assert Trial.objects.filter(pk=seed_trial.pk, brief_title__startswith="Low Dose").exists()


def test_the_editors_group_can_change_trials(client, seed_trial, change_url, staff_editor):
    editor = member_of("Editors", "writer")
    client.force_login(staff_editor)
    data = form_data(client.get(change_url))
    client.force_login(editor)
    data["brief_title"] = "Changed by an editor"
    assert client.post(change_url, data).status_code == 302
    assert Trial.objects.get(pk=seed_trial.pk).brief_title == "Changed by an editor"


def test_a_second_editor_cannot_silently_overwrite_the_first(client, staff_editor, seed_trial, change_url):
    client.force_login(staff_editor)
    first = form_data(client.get(change_url))
    second = form_data(client.get(change_url))
    first["brief_title"] = "First editor's title"
    assert client.post(change_url, first).status_code == 302
    second["acronym"] = "SECOND"
    response = client.post(change_url, second)
    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    trial = Trial.objects.get(pk=seed_trial.pk)
    assert (trial.brief_title, trial.acronym) == ("First editor's title", "")


def _waiting_backends() -> int:
    """How many other connections wait for a lock."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="two sessions at once need PostgreSQL's row locks")
@pytest.mark.django_db(transaction=True)
def test_of_two_simultaneous_saves_of_a_trial_exactly_one_lands(staff_editor, seed_trial, change_url):
    clients = [Client(), Client()]
    forms = []
    for client in clients:
        client.force_login(staff_editor)
        forms.append(form_data(client.get(change_url)))
    first, second = forms
    first["brief_title"] = "First editor's title"
    first["sponsors-0-name"] = "First editor's sponsor"
    second["acronym"] = "SECOND"
    second["sponsors-0-name"] = "Second editor's sponsor"
    answers: dict[int, object] = {}

    def save(index: int, data: dict) -> None:
        try:
            answers[index] = clients[index].post(change_url, data)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(index, data)) for index, data in enumerate(forms)]
    # A third session holds the trial's row until both saves wait for it, so
    # they overlap however the threads are scheduled: each has read what it
    # reads before it writes.
    with transaction.atomic():
        Trial.objects.select_for_update().get(pk=seed_trial.pk)
        for thread in threads:
            thread.start()
        for _ in range(600):
            if _waiting_backends() >= 2:
                break
            time.sleep(0.05)
        assert _waiting_backends() == 2
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)

    statuses = sorted(answers[index].status_code for index in (0, 1))
    assert statuses == [200, 302]
    loser = next(answers[index] for index in (0, 1) if answers[index].status_code == 200)
    assert "changed by someone else" in loser.content.decode()
    trial = Trial.objects.get(pk=seed_trial.pk)
    sponsor = trial.sponsors.get(position=0).name
    if answers[0].status_code == 302:
        expected = ("First editor's title", "", "First editor's sponsor")
    else:
        expected = (seed_trial.brief_title, "SECOND", "Second editor's sponsor")
    assert (trial.brief_title, trial.acronym, sponsor) == expected


@pytest.mark.parametrize("bad", ["\x01", "\x1b", "\ufffe", "\uffff"])
def test_text_holding_a_character_xml_forbids_is_refused_on_its_field(
    client, staff_editor, seed_trial, change_url, bad
):
    client.force_login(staff_editor)
    data = form_data(client.get(change_url))
    data["brief_title"] = f"Heart{bad} failure"
    data["sponsors-0-name"] = f"Iltoo{bad} Pharma"
    data["keywords"] = json.dumps(["ok", f"bad{bad}"])
    response = client.post(change_url, data)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert set(form.errors) == {"brief_title", "keywords"}
    assert "Control characters" in form.errors["brief_title"][0]
    sponsors = next(
        inline.formset for inline in response.context["inline_admin_formsets"] if inline.formset.prefix == "sponsors"
    )
    assert "name" in sponsors.forms[0].errors
    trial = Trial.objects.get(pk=seed_trial.pk)
    assert trial.brief_title == seed_trial.brief_title
    assert trial.sponsors.get(position=0).name == "Iltoo Pharma"
    # Tab and line breaks are text.
    data = form_data(client.get(change_url))
    data["brief_summary"] = "Line one\r\n\tLine two"
    assert client.post(change_url, data).status_code == 302


def test_the_history_records_who_changed_what_from_what(client, staff_editor, seed_trial, change_url):
    from django.contrib.admin.models import LogEntry

    client.force_login(staff_editor)
    data = form_data(client.get(change_url))
    data["brief_title"] = "Low-dose IL-2 in bipolar depression"
    data["eligibility_criteria"] = data["eligibility_criteria"].replace(
        "* Patient is employee of the sponsor.", "* Patient is an employee of the sponsor."
    )
    data["sponsors-0-name"] = "Iltoo Pharma SA"
    assert client.post(change_url, data).status_code == 302
    entry = LogEntry.objects.get(object_id=str(seed_trial.pk))
    assert entry.user == staff_editor
    message = entry.get_change_message()
    assert (
        "Brief title: 'Low Dose IL-2 Therapy in Patients With a Depressive Episode in the Course of a Bipolar "
        "Disorder' → 'Low-dose IL-2 in bipolar depression'." in message
    )
    assert "− '* Patient is employee of the sponsor.'; + '* Patient is an employee of the sponsor.'" in message
    assert "sponsor “Iltoo Pharma SA”: Name: 'Iltoo Pharma' → 'Iltoo Pharma SA'." in message
    history = client.get(reverse("admin:trials_trial_history", args=[seed_trial.pk])).content.decode()
    assert "Iltoo Pharma SA" in history


def test_saving_a_trial_recomputes_its_related_trials(client, staff_editor, seed_trial, change_url):
    from unittest import mock

    from trials import related

    client.force_login(staff_editor)
    data = form_data(client.get(change_url))
    data["brief_title"] = "Low-dose IL-2 in bipolar depression"
    with mock.patch.object(related, "refresh", wraps=related.refresh) as refresh:
        assert client.post(change_url, data).status_code == 302
    refresh.assert_called_once_with([seed_trial.pk])


def test_tabular_inline_inputs_are_named_for_screen_readers(client, staff_editor, change_url):
    client.force_login(staff_editor)
    html = client.get(change_url).content.decode()
    # Tabular rows have column headings, not <label>s: each input carries its column's name.
    assert re.search(r'<input type="text" name="sponsors-0-name"[^>]* aria-label="Name"', html)
    assert re.search(r'<select name="sites-0-status"[^>]* aria-label="Status"', html)
    assert re.search(r'<input type="checkbox" name="sponsors-0-DELETE"[^>]* aria-label="Delete"', html)


def test_renaming_a_condition_changes_every_trial_filed_under_it(client, staff_editor, ctgov_data):
    assert import_paths([ctgov_data / "NCT00142506.json"]).ok
    trial = Trial.objects.get(nct_id="NCT00142506")
    condition = Condition.objects.filter(trial_links__trial=trial).first()
    page = reverse("trials:detail", args=[trial.nct_id])
    assert "A Renamed Condition" not in Client().get(page).content.decode()  # kept in the shared cache
    client.force_login(staff_editor)
    url = reverse("admin:trials_condition_change", args=[condition.pk])
    response = client.post(url, {"name": "A Renamed Condition"})
    assert response.status_code == 302
    assert Trial.objects.get(pk=trial.pk).updated_at > trial.updated_at
    assert "A Renamed Condition" in Client().get(page).content.decode()
    version = TrialVersion.objects.filter(nct_id=trial.nct_id).order_by("number").last()
    assert version.source == "admin" and condition.name in str(version.changes)


def test_an_arm_edited_on_its_own_page_is_a_change_to_its_trial(client, staff_editor, seed_trial):
    arm = seed_trial.arm_groups.order_by("position").first()
    design = reverse("trials:design", args=[seed_trial.nct_id])
    assert "A relabelled arm" not in Client().get(design).content.decode()
    before = Trial.objects.get(pk=seed_trial.pk).updated_at
    client.force_login(staff_editor)
    url = reverse("admin:trials_armgroup_change", args=[arm.pk])
    data = form_data(client.get(url))
    data["label"] = "A relabelled arm"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Trial.objects.get(pk=seed_trial.pk).updated_at > before
    assert "A relabelled arm" in Client().get(design).content.decode()
    version = TrialVersion.objects.filter(nct_id=seed_trial.nct_id).order_by("number").last()
    assert version.source == "admin" and {"kind": "record", "text": "Study arms changed"} in version.changes
