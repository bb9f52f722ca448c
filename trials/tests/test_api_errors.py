"""API errors: a malformed NCT ID is a 400 (the spec's nctId pattern), no control character is echoed,
and an operator with nothing to join is a 400 whatever the operator."""

from __future__ import annotations

import pytest

from trials.api.errors import printable

from .factories import make_trial

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/v2/studies/%00", "/api/v2/studies/garbage", "/api/v2/studies/NCT0"])
@pytest.mark.parametrize("suffix", ["", "/related", "/history"])
def test_what_is_not_an_nct_id_is_a_bad_request(client, path, suffix):
    response = client.get(path + suffix)
    assert response.status_code == 400
    assert "is not an NCT ID" in response.content.decode()


def test_a_control_character_is_never_echoed(client):
    response = client.get("/api/v2/studies/a%00b%0Ac%1B")
    body = response.content.decode()
    assert response.status_code == 400
    assert not any(not char.isprintable() for char in body.rstrip("\n"))
    assert "\\x00" in body


def test_a_study_not_on_file_is_still_a_404(client, db):
    make_trial("NCT90000100", size=1)
    assert client.get("/api/v2/studies/NCT99999999").status_code == 404
    assert client.get("/api/v2/studies/nct90000100").status_code in (200, 301, 302)


def test_printable_writes_control_characters_as_escapes():
    assert printable("No study \x00 here\n") == "No study \\x00 here\\n"
    assert printable("Crohn’s disease") == "Crohn’s disease"


@pytest.mark.parametrize("text", ["a AND", "cancer OR", "OR cancer", "cancer AND OR asthma", "cancer NOT", "NOT", "OR"])
@pytest.mark.parametrize("param", ["query.term", "query.cond", "query.patient"])
def test_a_dangling_operator_is_a_bad_request(client, db, param, text):
    response = client.get("/api/v2/studies", {param: text})
    assert response.status_code == 400
    assert param in response.content.decode()


@pytest.mark.parametrize(
    "text", ["cancer AND asthma", "cancer NOT asthma", "NOT asthma", "(cancer OR asthma) AND pain"]
)
def test_operators_with_terms_on_both_sides_are_taken(client, db, text):
    assert client.get("/api/v2/studies", {"query.term": text}).status_code == 200
