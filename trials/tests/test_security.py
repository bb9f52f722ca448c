"""Production settings and the security headers every response carries."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("url", ["/", "/trials/", "/api/v2/version", "/admin/login/", "/trials/NCT99999999/"])
def test_every_response_carries_the_security_headers(client, db, url):
    response = client.get(url)
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


# A script element either loads a file of ours or holds data the browser never runs.
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.DOTALL | re.IGNORECASE)
STATIC_SCRIPT = re.compile(r'^ src="/static/js/[\w./-]+\.js"( defer)?$')
DATA_SCRIPT = ' type="application/ld+json"'


def test_pages_have_no_inline_scripts_or_styles(client, seed_trial):
    pages = ["/", "/trials/", "/api/", "/glossary/"] + [
        reverse(name, args=["NCT04133233"])
        for name in ("trials:detail", "trials:design", "trials:eligibility", "trials:related")
    ]
    for url in pages:
        html = client.get(url).content.decode()
        assert html.count("<script") == len(SCRIPT_TAG.findall(html)), url
        for attributes, body in SCRIPT_TAG.findall(html):
            if attributes == DATA_SCRIPT:
                json.loads(body)  # data, not code
            else:
                assert STATIC_SCRIPT.match(attributes) and not body.strip(), (url, attributes)
        assert not re.search(r"<[^>]*\son[a-z]+\s*=", html), url  # no event-handler attributes
        assert "javascript:" not in html
        assert "<style" not in html and " style=" not in html


def test_only_trial_pages_carry_json_ld_and_their_scripts_are_our_own_files(client, seed_trial):
    home = client.get("/").content.decode()
    assert "<script" not in home
    eligibility = client.get(reverse("trials:eligibility", args=["NCT04133233"])).content.decode()
    # The take-part panel's script, and on every tab the copy-link button's.
    assert [attributes for attributes, _ in SCRIPT_TAG.findall(eligibility)] == [
        DATA_SCRIPT,
        ' src="/static/js/eligibility.js" defer',
        ' src="/static/js/record.js" defer',
    ]


def test_healthz_says_the_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def run_settings(**environment) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(environment)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def test_production_refuses_to_start_without_a_secret_key_or_hosts():
    missing_key = run_settings(DJANGO_DEBUG="0", DJANGO_ALLOWED_HOSTS="trials.example.org")
    assert missing_key.returncode != 0 and "DJANGO_SECRET_KEY must be set" in missing_key.stderr
    missing_hosts = run_settings(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x" * 60)
    assert missing_hosts.returncode != 0 and "DJANGO_ALLOWED_HOSTS must be set" in missing_hosts.stderr


def test_production_settings_pass_the_deployment_checks():
    result = run_settings(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="k3y-" + "a1b2c3d4e5f6g7h8i9j0" * 3,
        DJANGO_ALLOWED_HOSTS="trials.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_failed_logins_are_throttled_with_a_clear_message(client, db, settings):
    from django.contrib.auth.models import User

    User.objects.create_user("clerk", password="the right long passphrase", is_staff=True)
    login = reverse("admin:login")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(login, {"username": "clerk", "password": "wrong"}).status_code == 200
    locked = client.post(login, {"username": "clerk", "password": "wrong"})
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    # Even the right password waits out the hour.
    again = client.post(login, {"username": "clerk", "password": "the right long passphrase"})
    assert again.status_code == 429


def test_a_sign_in_with_an_overlong_username_is_refused_and_counted(client, db):
    from axes.models import AccessAttempt

    username = "x" * 10_000
    response = client.post(reverse("admin:login"), {"username": username, "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter the correct username and password" in response.content.decode()
    # Counted under what the attempts table holds (255 characters on PostgreSQL).
    assert AccessAttempt.objects.get().username == username[:255]


def test_a_database_that_does_not_answer_gets_a_503_not_a_500(client, db, monkeypatch):
    from django.db import OperationalError

    from trials import listing
    from trials.api import views as api

    def unreachable(*args, **kwargs):
        raise OperationalError("connection failed: FATAL: sorry, too many clients already")

    monkeypatch.setattr(listing, "search_trials", unreachable)
    monkeypatch.setattr(api, "study_response", unreachable)
    page = client.get("/trials/", {"q": "cancer"})
    assert page.status_code == 503
    assert page["Retry-After"] == "60"
    assert "temporarily unavailable" in page.content.decode()
    assert "Content-Security-Policy" in page
    from trials.models import Trial

    Trial.objects.create(nct_id="NCT04133233", brief_title="A trial")
    study = client.get("/api/v2/studies/NCT04133233")
    assert study.status_code == 503
    assert study["Content-Type"].startswith("text/plain")


def test_errors_are_logged_as_json_lines():
    import json
    import logging

    from trialportal.logs import JsonFormatter

    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Internal error: %s", ("/x",), True)
        import sys

        record.exc_info = sys.exc_info()
    entry = json.loads(JsonFormatter().format(record))
    assert entry["level"] == "ERROR" and entry["message"] == "Internal error: /x"
    assert "ValueError: boom" in entry["exception"]


def observatory_score(responses) -> tuple[int, list[str]]:
    """The score Mozilla's HTTP Observatory gives these responses, for the tests it runs on headers.

    Follows httpobs/docs/scoring.md: a baseline of 100 and a modifier per
    test; bonuses count only when the score without them is at least 90.
    ``responses`` are: an http:// request to /, the https:// home page, and
    the https:// responses that set cookies (the admin login page and login).
    """
    redirect, home, *with_cookies = responses
    penalties, bonuses, notes = 0, 0, []
    policy = {
        part.split()[0]: part.split()[1:] for part in home.get("Content-Security-Policy", "").split(";") if part.strip()
    }
    scripts = policy.get("script-src", policy.get("default-src", []))
    if not policy:
        penalties -= 25
    elif "'unsafe-inline'" in scripts or "'unsafe-eval'" in scripts:
        penalties -= 20
    elif policy.get("default-src") == ["'none'"]:
        bonuses += 10
        notes.append("csp-implemented-with-no-unsafe-default-src-none")
    else:
        bonuses += 5
    cookies = [cookie for response in with_cookies for cookie in response.cookies.values()]
    if any(not cookie["secure"] for cookie in cookies):
        penalties -= 40
    elif any(cookie.key == "sessionid" and not cookie["httponly"] for cookie in cookies):
        penalties -= 30
    elif cookies and all(cookie["samesite"] for cookie in cookies):
        bonuses += 5
        notes.append("cookies-secure-with-httponly-sessions-and-samesite")
    if home.has_header("Access-Control-Allow-Origin") and home["Access-Control-Allow-Origin"] == "*":
        penalties -= 50
    location = redirect.get("Location", "")
    if redirect.status_code not in (301, 302, 307, 308) or not location.startswith("https://testserver/"):
        penalties -= 20
    max_age = int(
        dict(
            (part.strip().split("=") + [""])[:2]
            for part in home.get("Strict-Transport-Security", "").split(";")
            if part
        ).get("max-age")
        or 0
    )
    if max_age < 15768000:
        penalties -= 20 if not max_age else 10
    if home.get("X-Content-Type-Options") != "nosniff":
        penalties -= 5
    if policy.get("frame-ancestors") in (["'none'"], ["'self'"]):
        bonuses += 5
        notes.append("x-frame-options-implemented-via-csp")
    elif home.get("X-Frame-Options") not in ("DENY", "SAMEORIGIN"):
        penalties -= 20
    if home.get("Referrer-Policy") in (
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    ):
        bonuses += 5
        notes.append("referrer-policy-private")
    html = home.content.decode()
    if re.search(r"<script[^>]+src=[\"']https?://", html):
        penalties -= 5  # external scripts without SRI: we load none
    score = 100 + penalties
    return (score + bonuses if score >= 90 else score), notes


def test_production_headers_earn_an_a_plus_from_the_observatory(client, settings, staff_editor):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 365 * 24 * 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    redirect = client.get("/")
    home = client.get("/", secure=True)
    login_page = client.get("/admin/login/", secure=True)
    login = client.post(
        "/admin/login/",
        {"username": "editor", "password": "a long editor passphrase", "next": "/admin/"},
        secure=True,
    )
    assert login.status_code == 302 and "sessionid" in login.cookies
    score, notes = observatory_score([redirect, home, login_page, login])
    assert score >= 100, (score, notes)  # A+
    assert "csp-implemented-with-no-unsafe-default-src-none" in notes
    assert "cookies-secure-with-httponly-sessions-and-samesite" in notes


@pytest.mark.parametrize("url", ["/trials/feed/", "/trials/", "/api/v2/studies", "/trials/export.csv", "/"])
@pytest.mark.parametrize("value", ["heart\x01", "heart\x1f", "heart\ufffe", "heart\uffff", "\x00"])
def test_parameters_holding_characters_xml_forbids_get_a_clear_400(client, seed_trial, url, value):
    name = "query.term" if url.startswith("/api/") else "q"
    response = client.get(url, {name: value})
    assert response.status_code == 400
    assert "control characters" in response.content.decode()
    # As names too, and tab and line breaks stay allowed.
    assert client.get(url, {"x\x02": "1"}).status_code == 400
    assert client.get(url, {name: "heart\tfailure\r\n"}).status_code == 200


@pytest.mark.parametrize("method", ["TRACE", "TRACK", "CONNECT", "PUT", "DELETE", "PATCH", "PROPFIND"])
@pytest.mark.parametrize(
    "url", ["/", "/trials/", "/trials/NCT04133233/", "/trials/feed/", "/api/v2/studies", "/admin/login/"]
)
def test_methods_the_site_does_not_serve_answer_405(client, seed_trial, method, url):
    response = client.generic(method, url)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, OPTIONS, POST"
    assert b"NCT04133233" not in response.content


def test_trace_is_refused_and_the_methods_the_site_serves_still_work(client, seed_trial, staff_editor):

    assert client.generic("TRACE", "/trials/NCT04133233/").status_code == 405
    for method in ("GET", "HEAD", "OPTIONS"):
        assert client.generic(method, "/trials/NCT04133233/").status_code == 200
    assert client.head("/api/v2/studies").status_code == 200
    signed_in = client.post(
        "/admin/login/", {"username": "editor", "password": "a long editor passphrase", "next": "/admin/"}
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == "/admin/"
