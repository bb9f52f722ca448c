"""The status a trial is shown with (trials/status.py): ClinicalTrials.gov's "Unknown status" rule at read time."""

from __future__ import annotations

import datetime
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from trials import status
from trials.importers import import_paths
from trials.models import SimilarTrial, Trial

pytestmark = pytest.mark.django_db

# Recruiting, verified May 2023, completing 2024-12-31: lapses on 1 June 2025.
STALE = "NCT05375201"
# Recruiting, verified in 2025, completing in 2035: never lapses in these tests.
FRESH = "NCT02024542"
LAPSE_DAY = datetime.date(2025, 6, 1)
EVE = LAPSE_DAY - datetime.timedelta(days=1)
STALE_LABEL = "Unknown status — last reported Recruiting, not verified since May 2023"


@pytest.fixture
def open_trials(ctgov_data) -> None:
    report = import_paths([ctgov_data / f"{nct_id}.json" for nct_id in (STALE, FRESH)])
    assert report.ok, report.failures


@pytest.fixture
def clock(monkeypatch):
    """Sets the day the rule is applied on."""

    def set_day(day: datetime.date) -> None:
        monkeypatch.setattr(status, "today", lambda: day)

    return set_day


def test_the_badge_flips_on_the_lapse_date_without_a_re_import(client, open_trials, clock):
    url = reverse("trials:detail", args=[STALE])
    clock(EVE)
    html = client.get(url).content.decode()
    assert 'status-recruiting"><span class="visually-hidden">Status: </span>Recruiting</span>' in html
    assert "Unknown status" not in html
    clock(LAPSE_DAY)
    html = client.get(url).content.decode()
    assert f'status-unknown"><span class="visually-hidden">Status: </span>{STALE_LABEL}</span>' in html


def test_the_list_the_status_filter_and_the_counts_agree(client, open_trials, clock):
    clock(LAPSE_DAY)
    listing = client.get(reverse("trials:list")).content.decode()
    assert STALE_LABEL in listing
    assert '<label for="status-UNKNOWN">Unknown status <span class="count">(1)' in listing
    assert 'for="status-RECRUITING">Recruiting <span class="count">(1)' in listing

    def found(**params) -> set[str]:
        html = client.get(reverse("trials:list"), params).content.decode()
        return {nct_id for nct_id in (STALE, FRESH) if nct_id in html}

    assert found(status="UNKNOWN") == {STALE}
    assert found(status="RECRUITING") == {FRESH}
    assert found(status=["RECRUITING", "UNKNOWN"]) == {STALE, FRESH}
    # With a text, PostgreSQL matches the status on the facet tokens: the dates still decide.
    assert found(q="degenerative", status="UNKNOWN") == {STALE}
    assert found(q="degenerative", status="RECRUITING") == set()
    clock(EVE)
    assert found(status="RECRUITING") == {STALE, FRESH}
    assert found(status="UNKNOWN") == set()
    assert Trial.objects.recruiting().count() == 2


def test_the_sql_rule_and_the_python_rule_agree_on_real_records(ctgov_data):
    report = import_paths(sorted(ctgov_data.glob("*.json")))
    assert report.ok, report.failures
    trials = list(Trial.objects.all())
    for day in (datetime.date(2024, 1, 1), EVE, LAPSE_DAY, datetime.date(2026, 2, 1), datetime.date(2030, 1, 1)):
        in_python = {trial.nct_id for trial in trials if status.is_lapsed(trial, day)}
        in_sql = set(Trial.objects.filter(status.lapsed(day)).values_list("nct_id", flat=True))
        assert in_python == in_sql
    assert STALE in in_sql and FRESH not in in_sql


def test_a_completion_month_passes_when_the_month_is_over(open_trials):
    trial = Trial.objects.get(nct_id=STALE)
    trial.completion_date, trial.completion_date_precision = datetime.date(2025, 7, 1), "MONTH"
    assert not status.is_lapsed(trial, datetime.date(2025, 7, 31))
    assert status.is_lapsed(trial, datetime.date(2025, 8, 1))
    # Without a completion date, the primary completion date is read.
    trial.completion_date = None
    assert status.is_lapsed(trial, LAPSE_DAY)


def test_the_verified_filter_keeps_statuses_checked_in_the_last_12_months(client, open_trials, clock):
    clock(datetime.date(2025, 12, 4))
    html = client.get(reverse("trials:list"), {"verified": "12m"}).content.decode()
    assert FRESH in html and STALE not in html
    assert client.get(reverse("trials:list"), {"verified": "always"}).status_code == 400


def test_the_summary_shows_the_record_dates_and_how_long_ago_the_status_was_verified(client, ctgov_data, clock):
    assert import_paths([ctgov_data / "NCT00084552.json"]).ok
    clock(datetime.date(2024, 3, 4))
    html = client.get(reverse("trials:detail", args=["NCT00084552"])).content.decode()
    dates = html.split('id="dates-heading"')[1].split("</section>")[0]
    assert "<dt>Status last verified</dt><dd>February 2021 (3 years ago)</dd>" in dates
    assert '<dt>First submitted</dt><dd><time datetime="2004-06-10">June 10, 2004</time>' in dates
    assert '<time datetime="2004-06-11">June 11, 2004</time> (estimated)' in dates
    assert '<dt>Last update posted</dt><dd><time datetime="2021-02-25">' in dates
    assert '<dt>Results first posted</dt><dd><time datetime="2021-02-25">February 25, 2021</time></dd>' in dates


def test_how_long_ago_a_verification_was_is_said_in_months_then_years():
    day = datetime.date(2026, 3, 15)
    assert status.verified_ago("2026-03", day) == "March 2026 (this month)"
    assert status.verified_ago("2026-02", day) == "February 2026 (1 month ago)"
    assert status.verified_ago("2025-04", day) == "April 2025 (11 months ago)"
    assert status.verified_ago("2025-03", day) == "March 2025 (1 year ago)"
    assert status.verified_ago("", day) == ""


def take_part_notice(client, nct_id: str) -> str:
    html = client.get(reverse("trials:eligibility", args=[nct_id])).content.decode()
    panel = html.split('id="take-part-heading"')[1].split("<form")[0]
    return panel.split("</p>")[0] if "take-part-closed" in panel or "take-part-unknown" in panel else ""


def test_could_i_take_part_says_first_that_a_closed_trial_no_longer_enrols(client, open_trials, clock):
    clock(EVE)
    assert take_part_notice(client, STALE) == "" and take_part_notice(client, FRESH) == ""
    Trial.objects.filter(nct_id=FRESH).update(overall_status="COMPLETED", updated_at=timezone.now())
    text = take_part_notice(client, FRESH)
    assert '<p class="take-part-closed"><strong>This trial is not taking new participants</strong>' in text
    assert "its status is Completed." in text


def test_a_lapsed_status_is_said_as_the_registry_says_it_unknown_and_maybe_still_enrolling(client, open_trials, clock):
    clock(LAPSE_DAY)
    text = take_part_notice(client, STALE)
    assert '<p class="take-part-unknown"><strong>This trial\'s status is unknown</strong>' in unescape(text)
    assert "last reported Recruiting, verified May 2023 (2 years ago)." in text
    assert "may or may not still be taking new participants: contact the study team" in text
    assert "not taking new participants" not in text and "status is Unknown status" not in text


def test_a_trial_the_registry_calls_unknown_says_what_it_last_reported(client, open_trials, clock):
    clock(EVE)
    Trial.objects.filter(nct_id=FRESH).update(
        overall_status="UNKNOWN", last_known_status="ACTIVE_NOT_RECRUITING", updated_at=timezone.now()
    )
    text = take_part_notice(client, FRESH)
    assert "status is unknown</strong>: last reported Active, not recruiting, verified " in text
    assert "Unknown status" not in text


def test_the_recruiting_now_link_is_there_only_when_the_related_tab_has_that_section(client, open_trials, clock):
    clock(EVE)
    Trial.objects.filter(nct_id=FRESH).update(overall_status="COMPLETED", updated_at=timezone.now())
    closed, recruiting = Trial.objects.get(nct_id=FRESH), Trial.objects.get(nct_id=STALE)
    related = reverse("trials:related", args=[FRESH])

    def linked() -> bool:
        return f'href="{related}#recruiting-heading"' in take_part_notice(client, FRESH)

    def section() -> bool:
        return 'id="recruiting-heading"' in client.get(related).content.decode()

    assert (linked(), section()) == (False, False)
    SimilarTrial.objects.create(trial=closed, other=recruiting, score=0.5, reasons=["Same condition"])
    assert (linked(), section()) == (True, True)
    # A similar trial whose "Recruiting" lapsed is no alternative: neither listed nor linked.
    clock(LAPSE_DAY)
    assert (linked(), section()) == (False, False)
