"""The similarity engine's scoring alone: features, weights, scores and reasons, with no database."""

import math

import numpy as np

from trials.related import scoring
from trials.related.scoring import Match, Vectorizer, choose, explain, extract, mesh_key, words

BLANK_TRIAL = {
    "id": 0,
    "brief_title": "",
    "official_title": "",
    "acronym": "",
    "keywords": [],
    "brief_summary": "",
    "detailed_description": "",
    "eligibility_criteria": "",
    "study_type": "",
    "phases": [],
}


def trial(trial_id: int, **values) -> dict:
    return {**BLANK_TRIAL, "id": trial_id, **values}


def vectors(*features):
    """Weighted vectors of several trials' features, numbered as a rebuild numbers them."""
    term_ids: dict[str, int] = {}
    for item in features:
        for key in item.counts:
            term_ids.setdefault(key, len(term_ids))
    document_counts = {term_ids[key]: sum(key in item.counts for item in features) for key in term_ids}
    prefixes = {term_id: key[0] for key, term_id in term_ids.items()}
    vectorizer = Vectorizer(document_counts, len(features))
    result = [
        vectorizer.vector([term_ids[key] for key in item.counts], list(item.counts.values()), prefixes)
        for item in features
    ]
    keys = {term_id: key for key, term_id in term_ids.items()}
    labels = {term_ids[key]: label for item in features for key, label in item.labels.items()}
    return result, keys, labels


def test_words_are_stemmed_and_stopwords_and_numbers_dropped():
    assert words("The depressive patients with 2 episodes") == [
        ("depress", "depressive"),
        ("episod", "episodes"),
    ]
    # The stopword list is read from its data file, one word a line.
    assert {"the", "with", "patients"} <= scoring._STOPWORDS


def test_the_registry_s_two_spellings_of_a_mesh_id_are_one_key():
    assert mesh_key("D003863") == mesh_key("D000003863") == "D003863"
    assert mesh_key("not-an-id") == "not-an-id"


def test_features_name_conditions_mesh_terms_interventions_and_design_but_never_a_placebo():
    features = extract(
        trial(7, brief_title="Vardenafil in erectile dysfunction", study_type="INTERVENTIONAL", phases=["PHASE3"]),
        ["Erectile Dysfunction"],
        [("CONDITION", False, "D007172", "Erectile Dysfunction"), ("CONDITION", True, "D000000012", "Sexual")],
        [("Vardenafil", ["Levitra"]), ("Placebo", [])],
    )
    assert features.trial_id == 7
    assert {"c:erectile dysfunction", "m:D007172", "a:D000012", "i:vardenafil", "i:levitra"} <= set(features.counts)
    assert "i:placebo" not in features.counts
    # A phase falls in two overlapping bands: Phase 3 meets Phase 2 and Phase 4 halfway.
    assert {"d:phase:3", "d:phase:4", "d:type:INTERVENTIONAL"} <= set(features.counts)
    # Title words count twice.
    assert features.counts["t:vardenafil"] == 2.0


def test_a_score_is_the_weighted_sum_of_cosines_and_its_reasons_name_what_matched():
    a = extract(trial(1, brief_title="Vardenafil for erectile dysfunction"), ["Erectile Dysfunction"], [], [])
    b = extract(trial(2, brief_title="Tadalafil for erectile dysfunction"), ["Erectile Dysfunction"], [], [])
    c = extract(trial(3, brief_title="Insulin in gestational diabetes"), ["Gestational Diabetes"], [], [])
    (va, vb, vc), keys, labels = vectors(a, b, c)
    # Each vector has length 1: a trial matches itself with a score of 1.
    assert math.isclose(float(np.dot(va[1], va[1])), 1.0, rel_tol=1e-5)
    score, reasons = explain(va, vb, keys, labels)
    assert 0.35 < score < 1.0
    assert reasons[0] == "Same condition: Erectile Dysfunction"
    assert reasons[1].startswith("Similar title and summary: ")
    assert explain(va, vc, keys, labels) == (0.0, [])


def test_a_trial_keeps_its_best_matches_above_the_threshold_and_its_best_open_ones_besides():
    matches = [Match(other, 1.0 - other / 100, []) for other in range(1, 15)]
    matches.append(Match(99, scoring.MIN_SCORE / 2, []))
    chosen = choose(matches, open_ids={13, 14, 99})
    ids = [match.other_id for match in chosen]
    assert ids[: scoring.SHOWN] == list(range(1, scoring.SHOWN + 1))
    # Open trials past the first ten are kept for "Recruiting now"; one below the threshold never is.
    assert ids[scoring.SHOWN :] == [13, 14]


def test_a_phase_reason_names_the_phases_truly():
    def reason(a: list[str], b: list[str]) -> list[str]:
        features = [
            extract(
                trial(n, brief_title="Statin in heart failure", study_type="INTERVENTIONAL", phases=phases), [], [], []
            )
            for n, phases in ((1, a), (2, b))
        ]
        (va, vb), keys, labels = vectors(*features)
        return [text for text in explain(va, vb, keys, labels)[1] if "phase" in text]

    assert reason(["PHASE3"], ["PHASE3"]) == ["Same phase: Phase 3"]
    # The band Phase 2 and Phase 3 share was labelled by whichever trial came first: "Same phase: Phase 2".
    assert reason(["PHASE2"], ["PHASE3"]) == ["Neighbouring phase: Phase 2 / Phase 3"]
    assert reason(["PHASE3"], ["PHASE2"]) == ["Neighbouring phase: Phase 2 / Phase 3"]
    assert reason(["PHASE1", "PHASE2"], ["PHASE2"]) == ["Same phase: Phase 2"]
    assert reason(["PHASE1"], ["PHASE3"]) == []
