"""Search terms match whole words (or their plural), never inside other words, on both databases.

And a text ending in a stop word ("bowel cancer in") finds what the text
without it finds, on PostgreSQL as on SQLite.
"""

from __future__ import annotations

import re

import pytest

from trials import search
from trials.ctgov.records import InterventionRecord, SiteRecord, TrialRecord
from trials.importers.writer import save_record
from trials.models import Trial
from trials.search import words

from .api_lists import listed

pytestmark = pytest.mark.django_db

INFLUENZA = "NCT90000201"
STATIN = "NCT90000202"
ALZHEIMER = "NCT90000203"
BOWEL = "NCT90000204"


def _trial(
    nct_id: str, title: str, conditions: list[str], interventions: list[InterventionRecord], sites=None, **fields
) -> None:
    save_record(
        TrialRecord(
            nct_id=nct_id,
            fields={
                "brief_title": title,
                "overall_status": "RECRUITING",
                "study_type": "INTERVENTIONAL",
                "eligibility_criteria": "Inclusion Criteria:\n\n* Adults",
                **fields,
            },
            conditions=conditions,
            interventions=interventions,
            sites=sites or [SiteRecord(facility="General Hospital", city="Lyon", country="France")],
        )
    )


@pytest.fixture
def trials(db) -> None:
    _trial(
        INFLUENZA,
        "Flu vaccine for older adults",
        ["Influenza"],
        [InterventionRecord(name="Flu vaccine", type="BIOLOGICAL")],
    )
    _trial(
        STATIN,
        "Fluvastatin and erectile dysfunction",
        ["Erectile Dysfunction"],
        [
            InterventionRecord(
                name="Fluvastatin",
                type="DRUG",
                other_names=["Lescol"],
                description="Given with fluticasone; transaxial imaging at baseline.",
            )
        ],
        brief_summary="Men with dysfunction take fluvastatin.",
    )
    _trial(ALZHEIMER, "Memory training", ["Alzheimer Disease"], [InterventionRecord(name="Training", type="OTHER")])
    _trial(
        BOWEL,
        "Screening for bowel cancer",
        ["Colorectal Cancer"],
        [InterventionRecord(name="Colonoscopy", type="PROCEDURE")],
    )


def _found(text: str) -> set[str]:
    backend = search.backend()
    return set(backend.matching(Trial.objects.all(), text).values_list("nct_id", flat=True))


@pytest.mark.parametrize(
    ("term", "text", "found"),
    [
        ("flu", "Flu vaccine", True),
        ("flu", "influenza", False),
        ("flu", "Fluvastatin", False),
        ("flu", "erectile dysfunction", False),
        ("alzheimers", "Alzheimer Disease", True),
        ("alzheimer", "Alzheimer's disease", True),
        ("cancer", "Cancers of the bowel", True),
        ("virus", "viru", False),
        ("c++", "written in C++ daily", True),
        ("Gießen", "University Hospital Gießen", True),
        ("AIDS", "a hearing aid", False),
        ("AIDS", "HIV and AIDS", True),
    ],
)
def test_a_term_is_read_as_a_word_or_its_plural(term, text, found):
    assert bool(re.search(words.pattern(term, "sqlite"), text, re.IGNORECASE)) is found


def test_the_interventions_area_matches_words_not_parts_of_words(client, trials):
    assert listed(client, **{"query.intr": "flu"}) == {INFLUENZA}
    assert listed(client, **{"query.intr": "fluvastatin"}) == {STATIN}


def test_the_patient_area_matches_words_not_parts_of_words(client, trials):
    assert listed(client, **{"query.patient": "flu"}) == {INFLUENZA}


def test_the_text_box_matches_words_not_parts_of_words(client, trials):
    assert _found("flu") == {INFLUENZA}
    assert listed(client, **{"query.term": "flu"}) == {INFLUENZA}
    response = client.get("/trials/", {"q": "flu"})
    assert response.status_code == 200
    assert INFLUENZA in response.content.decode()
    assert STATIN not in response.content.decode()


def test_letters_beyond_ascii_match_in_either_case_on_both_databases(client, trials):
    _trial(
        "NCT90000206",
        "Balance training",
        ["Falls"],
        [InterventionRecord(name="Training", type="OTHER")],
        sites=[SiteRecord(facility="Örebro University Hospital", city="Gießen", country="Germany")],
    )
    assert listed(client, **{"query.locn": "örebro"}) == {"NCT90000206"}
    assert listed(client, **{"query.locn": "Gießen"}) == {"NCT90000206"}


def test_a_plural_finds_the_singular_on_both_databases(client, trials):
    assert ALZHEIMER in _found("alzheimers")
    assert ALZHEIMER in listed(client, **{"query.cond": "alzheimers"})


def test_the_advanced_filter_contains_words(client, trials):
    assert listed(client, **{"filter.advanced": "AREA[InterventionName]flu"}) == {INFLUENZA}


def test_a_trailing_stop_word_keeps_the_matches(client, trials):
    assert _found("bowel cancer") == {BOWEL}
    assert _found("bowel cancer in") == {BOWEL}
    widened = search.read("bowel cancer in France", search.backend())
    assert set(Trial.objects.filter(widened.q).values_list("nct_id", flat=True)) == {BOWEL}
    response = client.get("/trials/", {"q": "bowel cancer in"})
    assert BOWEL in response.content.decode()


def test_both_databases_search_the_same_texts_for_the_text_box(client, db):
    # In a keyword only: both search the keywords (PostgreSQL's vector holds them).
    _trial(
        "NCT90000205",
        "Cognition after infection",
        ["Infection"],
        [InterventionRecord(name="Exercise", type="OTHER", description="Flu 30mg/m2 on day -5")],
        keywords=["Alzheimer Disease"],
    )
    assert _found("alzheimers") == {"NCT90000205"}
    assert listed(client, **{"query.term": "alzheimers"}) == {"NCT90000205"}
    # In an intervention's description only: neither does (the vector holds names, not descriptions).
    assert _found("flu") == set()
