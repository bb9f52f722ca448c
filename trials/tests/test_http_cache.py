"""What proxies and browsers may keep: versions, 304s, lifetimes, and nothing personal."""

import datetime
import gzip

import pytest
from django.urls import reverse
from django.utils.http import http_date, parse_http_date

from trials import status
from trials.models import SimilarTrial, Trial
from trials.tests.factories import make_trial

pytestmark = pytest.mark.django_db

SEED = "NCT04133233"
VERSIONED = [
    *(reverse(f"trials:{tab}", args=[SEED]) for tab in ("detail", "design", "eligibility", "related", "results")),
    reverse("trials:print", args=[SEED]),
    reverse("trials:json", args=[SEED]),
    f"/api/v2/studies/{SEED}",
]


@pytest.mark.parametrize("url", VERSIONED)
def test_a_trial_page_carries_its_version_and_a_client_holding_it_gets_a_304_for_one_query(
    client, seed_trial, url, django_assert_num_queries
):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=300, stale-while-revalidate=600"
    assert response["Vary"] == "Cookie, Accept-Encoding"
    etag, last_modified = response["ETag"], response["Last-Modified"]
    assert parse_http_date(last_modified) >= int(seed_trial.updated_at.timestamp())
    with django_assert_num_queries(1):
        again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag and again["Cache-Control"] == response["Cache-Control"]
    # Pages that show the related lists (the Related tab; Eligibility's link to the trials recruiting now, and the
    # print page that has it) change with them, which have no time of their own: only their ETag tells.
    if not any(part in url for part in ("/related/", "/eligibility/", "/print/")):
        with django_assert_num_queries(1):
            assert client.get(url, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    assert client.head(url, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_a_saved_trial_has_a_new_version_and_an_old_one_gets_the_page(client, seed_trial):
    url = reverse("trials:detail", args=[SEED])
    first = client.get(url)
    seed_trial.brief_title = "A new title"
    seed_trial.save()
    response = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert response.status_code == 200
    assert response["ETag"] != first["ETag"]
    assert "A new title" in response.content.decode()


def test_a_page_is_new_each_day_but_a_record_is_not(client, seed_trial, monkeypatch):
    # A status lapses, and "verified 3 months ago" moves, with the calendar.
    page, record = reverse("trials:detail", args=[SEED]), reverse("trials:json", args=[SEED])
    before = client.get(page)["ETag"], client.get(record)["ETag"]
    tomorrow = status.today() + datetime.timedelta(days=1)
    monkeypatch.setattr(status, "today", lambda: tomorrow)
    after = client.get(page), client.get(record)
    assert after[0]["ETag"] != before[0] and after[1]["ETag"] == before[1]
    midnight = datetime.datetime.combine(tomorrow, datetime.time(), tzinfo=datetime.UTC)
    assert after[0]["Last-Modified"] == http_date(midnight.timestamp())


def test_the_related_tab_changes_version_when_its_lists_are_recomputed_and_the_others_do_not(client, seed_trial):
    other = make_trial("NCT90000100", size=1)
    related, summary = reverse("trials:related", args=[SEED]), reverse("trials:detail", args=[SEED])
    before = client.get(related)["ETag"], client.get(summary)["ETag"]
    SimilarTrial.objects.create(trial=seed_trial, other=other, score=0.5, reasons=["same condition"])
    after = client.get(related)
    assert after["ETag"] != before[0] and client.get(summary)["ETag"] == before[1]
    # The list has no time of its own, so a date alone never makes it a 304.
    assert client.get(related, HTTP_IF_MODIFIED_SINCE=after["Last-Modified"]).status_code == 200
    assert client.get(related, HTTP_IF_NONE_MATCH=after["ETag"]).status_code == 304
    assert "NCT90000100" in after.content.decode()
    # A trial its lists show is edited: its title there changes, so does the version.
    Trial.objects.get(pk=other.pk).save()
    assert client.get(related)["ETag"] != after["ETag"]


@pytest.mark.parametrize(
    "url",
    ["/", "/trials/?q=bipolar", "/trials/feed/", "/api/v2/studies?pageSize=5", "/api/v2/version", "/sitemap.xml"],
)
def test_lists_searches_feeds_and_api_lists_are_kept_briefly(client, seed_trial, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=60, stale-while-revalidate=600"


def test_errors_and_unknown_trials_are_not_kept(client, db):
    for url in ("/trials/NCT99999999/", "/api/v2/studies/NCT99999999", "/trials/?status=NOPE"):
        response = client.get(url)
        assert response.status_code in (400, 404)
        assert "public" not in response.get("Cache-Control", "")
        assert not response.has_header("ETag")


def test_the_admin_and_a_signed_in_editor_get_private_uncached_pages(client, seed_trial, staff_editor):
    login = client.get("/admin/login/")
    assert "private" in login["Cache-Control"] and "no-store" in login["Cache-Control"]
    client.force_login(staff_editor)
    page = client.get(reverse("trials:detail", args=[SEED]))
    assert page.status_code == 200
    assert page["Cache-Control"] == "private, no-store"
    assert "Cookie" in page["Vary"]
    # Still answered by version: a browser's own cache may revalidate.
    assert client.get(reverse("trials:detail", args=[SEED]), HTTP_IF_NONE_MATCH=page["ETag"]).status_code == 304


def test_the_feed_honours_if_modified_since_and_changes_when_a_trial_joins(client, seed_trial):
    # Written yesterday: HTTP dates count seconds.
    yesterday = seed_trial.updated_at - datetime.timedelta(days=1)
    Trial.objects.filter(pk=seed_trial.pk).update(updated_at=yesterday)
    feed = client.get("/trials/feed/")
    assert feed["Last-Modified"] == http_date(int(yesterday.timestamp()))
    assert client.get("/trials/feed/", HTTP_IF_MODIFIED_SINCE=feed["Last-Modified"]).status_code == 304
    assert client.get("/trials/feed/", HTTP_IF_NONE_MATCH=feed["ETag"]).status_code == 304
    # A trial joins whose registry update date is older than every other: the feed still changed.
    make_trial("NCT90000100", size=1, last_update_posted_date=datetime.date(2001, 1, 1))
    later = client.get("/trials/feed/", HTTP_IF_MODIFIED_SINCE=feed["Last-Modified"])
    assert later.status_code == 200 and "NCT90000100" in later.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        reverse("trials:detail", args=[SEED]),
        reverse("trials:results", args=[SEED]),
        reverse("trials:json", args=[SEED]),
        f"/api/v2/studies/{SEED}",
        "/api/v2/studies?pageSize=5",
        "/trials/?q=bipolar",
    ],
)
def test_public_pages_are_compressed_for_a_client_that_takes_gzip(client, seed_trial, url):
    plain = client.get(url)
    packed = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert plain.status_code == packed.status_code == 200
    assert not plain.has_header("Content-Encoding")
    assert packed["Content-Encoding"] == "gzip"
    assert packed["Vary"] == plain["Vary"] == "Cookie, Accept-Encoding"
    assert len(packed.content) < len(plain.content) * 0.6
    assert gzip.decompress(packed.content) == plain.content
    assert int(packed["Content-Length"]) == len(packed.content)


def test_nothing_with_a_csrf_token_or_a_session_is_compressed(client, seed_trial, staff_editor):
    # BREACH reads a secret from the size of a compressed page: the admin's forms carry the CSRF token.
    login = client.get("/admin/login/", HTTP_ACCEPT_ENCODING="gzip")
    assert login.status_code == 200 and b"csrfmiddlewaretoken" in login.content
    assert not login.has_header("Content-Encoding")
    client.force_login(staff_editor)
    change = client.get(reverse("admin:trials_trial_change", args=[seed_trial.pk]), HTTP_ACCEPT_ENCODING="gzip")
    assert change.status_code == 200 and b"csrfmiddlewaretoken" in change.content
    assert not change.has_header("Content-Encoding")
    # A signed-in editor's trial page shows nothing secret, but it is personal: sent as it is.
    page = client.get(reverse("trials:detail", args=[SEED]), HTTP_ACCEPT_ENCODING="gzip")
    assert page.status_code == 200 and not page.has_header("Content-Encoding")
