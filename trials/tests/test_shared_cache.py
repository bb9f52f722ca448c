"""Rendered pages kept in the shared cache (local memory and a real Redis) are never older than the record."""

import gzip
import json
import socket

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from trials.models import Trial

pytestmark = pytest.mark.django_db

RECORD = "NCT00000410"
TITLE = "Spine Patient Outcomes Research Trial (SPORT) - Intervertebral Disc Herniation"


@pytest.fixture(params=["locmem", "redis"])
def shared_cache(request, settings):
    if request.param == "redis":
        location = request.getfixturevalue("redis_url")
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}}
    else:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    yield request.param
    cache.clear()


@pytest.fixture
def document(ctgov_data, tmp_path):
    """A real record in a folder of its own, to import, change and import again."""
    study = json.loads((ctgov_data / f"{RECORD}.json").read_text())
    path = tmp_path / f"{RECORD}.json"
    path.write_text(json.dumps(study))
    call_command("import_trials", str(path), "--no-progress")
    return path, study


def was_rendered(captured) -> bool:
    """Whether the page was rendered: it read the trial's record, where a kept page reads its version alone."""
    return any('"brief_title"' in query["sql"] for query in captured.captured_queries)


def cached_page(client, url, django_assert_num_queries) -> str:
    """The page, asked twice: the second answer comes from the shared cache, for the version's query alone."""
    first = client.get(url)
    assert first.status_code == 200
    with django_assert_num_queries(1):
        second = client.get(url)
    assert second.content == first.content
    return second.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        reverse("trials:detail", args=[RECORD]),
        reverse("trials:results", args=[RECORD]),
        reverse("trials:json", args=[RECORD]),
        f"/api/v2/studies/{RECORD}",
    ],
)
def test_a_repeated_page_is_served_from_the_shared_cache(
    client, shared_cache, document, url, django_assert_num_queries
):
    assert TITLE in cached_page(client, url, django_assert_num_queries)


def test_a_page_is_new_after_an_import(client, shared_cache, document, django_assert_num_queries):
    path, study = document
    url = reverse("trials:detail", args=[RECORD])
    assert TITLE in cached_page(client, url, django_assert_num_queries)
    study["protocolSection"]["identificationModule"]["briefTitle"] = "SPORT, imported again"
    path.write_text(json.dumps(study))
    call_command("import_trials", str(path), "--no-progress")
    html = cached_page(client, url, django_assert_num_queries)
    assert "SPORT, imported again" in html and TITLE not in html


def test_a_page_is_new_after_an_admin_edit(client, shared_cache, document, django_assert_num_queries, admin_edit):
    url = reverse("trials:eligibility", args=[RECORD])
    assert TITLE in cached_page(client, url, django_assert_num_queries)
    admin_edit(RECORD, brief_title="SPORT, as staff wrote it")
    assert "SPORT, as staff wrote it" in cached_page(client, url, django_assert_num_queries)


def test_a_page_is_new_after_a_model_save(client, shared_cache, document, django_assert_num_queries):
    url = reverse("trials:design", args=[RECORD])
    assert TITLE in cached_page(client, url, django_assert_num_queries)
    trial = Trial.objects.get(nct_id=RECORD)
    trial.brief_title = "SPORT, saved"
    trial.save()
    assert "SPORT, saved" in cached_page(client, url, django_assert_num_queries)


def test_only_the_parameters_a_page_reads_are_kept(
    client, shared_cache, document, django_assert_num_queries, django_assert_max_num_queries
):
    # The summary reads a chosen country, region and site status; anything else is rendered, never stored.
    cached_page(
        client, reverse("trials:detail", args=[RECORD]) + "?site_country=United+States", django_assert_num_queries
    )
    url = reverse("trials:detail", args=[RECORD]) + "?anything=1"
    client.get(url)
    with django_assert_max_num_queries(100) as captured:
        client.get(url)
    assert was_rendered(captured)


def test_a_value_holding_an_ampersand_is_kept_apart_from_two_parameters(client, shared_cache, document):
    """``?site_country=United States%26site_status=x`` is one odd country, not a country and a status."""
    page = reverse("trials:detail", args=[RECORD])
    odd = client.get(page + "?site_country=United+States%26site_status%3DRECRUITING")
    assert odd.status_code == 200
    assert "No site of this trial is in United States&amp;site_status=RECRUITING" in odd.content.decode()
    plain = client.get(page + "?site_country=United+States&site_status=RECRUITING")
    assert plain.status_code == 200 and "No site of this trial is in United States&amp;" not in plain.content.decode()


def test_a_redis_that_does_not_answer_costs_a_rendering_not_the_page(client, settings, document):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    for _ in range(2):
        response = client.get(reverse("trials:detail", args=[RECORD]))
        assert response.status_code == 200 and TITLE in response.content.decode()


def test_an_editors_pages_are_rendered_and_never_kept(
    client, shared_cache, document, django_assert_max_num_queries, staff_editor
):
    client.force_login(staff_editor)
    url = reverse("trials:detail", args=[RECORD])
    client.get(url)
    with django_assert_max_num_queries(100) as captured:
        assert client.get(url).status_code == 200
    assert was_rendered(captured)
    client.logout()
    # Not kept while the editor read it: a visitor's first request renders it (the trial, which gives its
    # version), where a kept page costs the version alone.
    with django_assert_max_num_queries(100) as captured:
        client.get(url)
    assert was_rendered(captured)


def test_a_kept_page_is_answered_as_rendered_compressed_and_plain_kept_apart(
    client, shared_cache, document, django_assert_num_queries, django_assert_max_num_queries
):
    url = reverse("trials:detail", args=[RECORD])
    rendered = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    with django_assert_num_queries(1):
        kept = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert kept["Content-Encoding"] == "gzip" and kept.content == rendered.content
    assert TITLE in gzip.decompress(kept.content).decode()
    # Every header the stack set comes back: the version, the lifetime, the security policy.
    for header in ("ETag", "Last-Modified", "Cache-Control", "Vary", "Content-Security-Policy", "X-Frame-Options"):
        assert kept[header] == rendered[header]
    # A client that does not take gzip gets its own plain copy, rendered once.
    with django_assert_max_num_queries(100) as captured:
        plain = client.get(url)
    assert was_rendered(captured) and not plain.has_header("Content-Encoding")
    with django_assert_num_queries(1):
        assert client.get(url).content == plain.content == gzip.decompress(kept.content)
    # A client holding the version gets a 304 from the kept page, with its headers.
    with django_assert_num_queries(1):
        again = client.get(url, HTTP_IF_NONE_MATCH=kept["ETag"], HTTP_ACCEPT_ENCODING="gzip")
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == kept["ETag"] and again["Cache-Control"] == kept["Cache-Control"]
    with django_assert_num_queries(1):
        head = client.head(url, HTTP_ACCEPT_ENCODING="gzip")
    assert head.status_code == 200 and head["Content-Length"] == kept["Content-Length"]


def test_a_kept_compressed_page_is_new_after_a_model_save(client, shared_cache, document, django_assert_num_queries):
    url = reverse("trials:detail", args=[RECORD])
    client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    trial = Trial.objects.get(nct_id=RECORD)
    trial.brief_title = "SPORT, saved and compressed"
    trial.save()
    client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    with django_assert_num_queries(1):
        kept = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert "SPORT, saved and compressed" in gzip.decompress(kept.content).decode()


def test_a_page_asked_on_another_host_or_for_a_trial_not_on_file_is_not_kept(
    client, shared_cache, document, django_assert_num_queries
):
    # The page's canonical URL is built from the host: each host has its copy.
    url = reverse("trials:detail", args=[RECORD])
    assert b"http://localhost/" in client.get(url, HTTP_HOST="localhost").content
    assert b"http://127.0.0.1/" in client.get(url, HTTP_HOST="127.0.0.1").content
    assert client.get(url, HTTP_HOST="evil.example.org").status_code == 400
    missing = reverse("trials:detail", args=["NCT99999999"])
    # The view's look-up and the aliases': each time, as a 404 is never kept.
    for _ in range(2):
        with django_assert_num_queries(2):
            assert client.get(missing).status_code == 404


@pytest.mark.parametrize("url", ["/", "/trials/?q=spine", "/api/v2/studies?pageSize=5", "/trials/feed/"])
def test_lists_are_kept_for_their_lifetime_only_when_asked_to(
    client, shared_cache, document, settings, url, django_assert_num_queries, django_assert_max_num_queries, editor
):
    # Off by default: a list shows an import at once.
    client.get(url)
    with django_assert_max_num_queries(100) as captured:
        client.get(url)
    assert len(captured) >= 1
    settings.SHARED_CACHE_LIST_SECONDS = 60
    rendered = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert rendered.status_code == 200 and rendered["Content-Encoding"] == "gzip"
    with django_assert_num_queries(0):
        kept = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert kept.content == rendered.content and kept["Cache-Control"] == rendered["Cache-Control"]
    assert 0 <= int(kept["Age"]) <= 60
    # A signed-in editor's lists are their own, never the kept copy.
    with django_assert_max_num_queries(100) as captured:
        assert editor.get(url).status_code == 200
    assert len(captured) >= 1


def test_a_kept_feed_still_answers_a_conditional_request(client, shared_cache, document, settings):
    settings.SHARED_CACHE_LIST_SECONDS = 60
    feed = client.get("/trials/feed/")
    assert client.get("/trials/feed/", HTTP_IF_NONE_MATCH=feed["ETag"]).status_code == 304
    assert client.get("/trials/feed/", HTTP_IF_MODIFIED_SINCE=feed["Last-Modified"]).status_code == 304
