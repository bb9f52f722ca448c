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
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
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


def test_only_trial_pages_carry_json_ld_and_only_the_eligibility_tab_a_script(client, seed_trial):
    home = client.get("/").content.decode()
    assert "<script" not in home
    eligibility = client.get(reverse("trials:eligibility", args=["NCT04133233"])).content.decode()
    assert [attributes for attributes, _ in SCRIPT_TAG.findall(eligibility)] == [
        DATA_SCRIPT,
        ' src="/static/js/eligibility.js" defer',
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
