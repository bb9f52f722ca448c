"""Plain-language notes beside registry codes read once, in words."""

import pytest

from trials.tests.factories import make_trial


@pytest.mark.django_db
def test_a_study_without_phases_says_no_phase_once(client):
    make_trial("NCT90000200", phases=["NA"], study_type="INTERVENTIONAL")
    text = client.get("/trials/NCT90000200/").content.decode()
    assert "No phase</a>: Phases apply to drug studies" in text
    assert "No phase: No phase" not in text
    assert "No phase</a>: No phase" not in text
