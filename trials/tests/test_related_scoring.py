"""The similarity engine's scoring alone: features, weights, scores and reasons, with no database."""

import math

import numpy as np

from trials.related import choice, populations, scoring, text, tiers, titles
from trials.related.choice import Match, choose
from trials.related.scoring import Vectorizer, explain, extract, mesh_key
from trials.related.text import words

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
    assert {"the", "with", "patients"} <= text.STOPWORDS


def test_the_registry_s_two_spellings_of_a_mesh_id_are_one_key():
    assert mesh_key("D003863") == mesh_key("D000003863") == "D003863"
    assert mesh_key("not-an-id") == "not-an-id"


def test_features_name_conditions_mesh_terms_interventions_and_design_but_never_a_placebo():
    features = extract(
        trial(7, brief_title="Vardenafil in erectile dysfunction", study_type="INTERVENTIONAL", phases=["PHASE3"]),
        ["Erectile Dysfunction"],
        [("CONDITION", False, "D007172", "Erectile Dysfunction"), ("CONDITION", True, "D000000012", "Sexual")],
        [("Vardenafil", ["Levitra"]), ("Placebo", []), ("Intervention group", []), ("Usual care", []), ("ACTIVE", [])],
    )
    assert features.trial_id == 7
    assert {"c:erectile dysfunction", "m:D007172", "a:D000012", "i:vardenafil", "i:levitra"} <= set(features.counts)
    # Nor an arm's label: two trials' "Intervention group" share nothing.
    assert not {"i:placebo", "i:intervention group", "i:usual care"} & set(features.counts)
    # One such word alone may name a programme.
    assert "i:active" in features.counts
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


def test_a_condition_s_name_and_its_mesh_term_are_named_once():
    mesh = [("CONDITION", False, "D003924", "Diabetes Mellitus, Type 2")]
    a = extract(trial(1, brief_title="Tirzepatide"), ["Type 2 Diabetes Mellitus"], mesh, [])
    b = extract(trial(2, brief_title="Insulin glargine"), ["Type 2 Diabetes Mellitus"], mesh, [])
    (va, vb), keys, labels = vectors(a, b)
    reason = explain(va, vb, keys, labels)[1][0]
    assert reason in ("Same condition: Type 2 Diabetes Mellitus", "Same condition: Diabetes Mellitus, Type 2")


def test_a_trial_keeps_its_best_matches_above_the_threshold_and_its_best_open_ones_besides():
    matches = [Match(other, 1.0 - other / 100, []) for other in range(1, 15)]
    matches.append(Match(99, scoring.MIN_SCORE / 2, []))
    chosen = choose(matches, open_ids={13, 14, 99})
    ids = [match.other_id for match in chosen]
    assert ids[: scoring.SHOWN] == list(range(1, scoring.SHOWN + 1))
    # Open trials past the first ten are kept for "Recruiting now"; one below the threshold never is.
    assert ids[scoring.SHOWN :] == [13, 14]


def test_a_short_list_is_filled_with_trials_sharing_the_main_condition_however_they_score():
    above = [Match(1, 0.5, [], scoring.Tier.MAIN), Match(2, 0.3, [], scoring.Tier.POPULATION_ONLY)]
    fillers = [Match(other, 0.19 - other / 100, [], scoring.Tier.MAIN) for other in range(3, 9)]
    fillers.append(Match(9, scoring.FILL_MIN_SCORE / 2, [], scoring.Tier.MAIN))  # shares next to nothing else
    chosen = choose(above, open_ids=set(), fillers=fillers)
    # Up to five sharing what the trial is about; the population-only match goes, as one now shares more.
    assert [match.other_id for match in chosen] == [1, 3, 4, 5, 6]
    assert choice.shortfall(chosen) == 0
    # A full list is left as it is.
    full = [Match(other, 0.5, [], scoring.Tier.MAIN) for other in range(10, 16)]
    assert [m.other_id for m in choose(full, set(), fillers)] == list(range(10, 16))


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
    # Said from the first trial's side: the other's phase, then its own ("Phase 2 / Phase 3" read as one trial of both).
    assert reason(["PHASE2"], ["PHASE3"]) == ["Neighbouring phase: Phase 3, next to this trial's Phase 2"]
    assert reason(["PHASE3"], ["PHASE2"]) == ["Neighbouring phase: Phase 2, next to this trial's Phase 3"]
    assert reason(["PHASE1"], ["EARLY_PHASE1"]) == ["Neighbouring phase: Early Phase 1, next to this trial's Phase 1"]
    assert reason(["PHASE1", "PHASE2"], ["PHASE2"]) == ["Same phase: Phase 2"]
    assert reason(["PHASE1"], ["PHASE3"]) == []


def test_what_a_title_names_after_the_turn_to_its_people_is_their_population_not_its_subject():
    diabetic_men = populations.population_of(
        ["Collagen Scaffold for the Improvement of Erectile Function in Men With Diabetes"],
        [("c:erectile dysfunction", "Erectile Dysfunction"), ("c:type 1 diabetes", "Type 1 Diabetes Mellitus")],
        ["IIEF-5 score"],
    )
    assert diabetic_men == {"c:type 1 diabetes"}
    # Nothing before the turn names a condition: the first the population names is the subject.
    after_surgery = populations.population_of(
        ["Stem Cell Therapy in Patients With Erectile Dysfunction After Rectal Cancer Surgery"],
        [("c:rectal cancer", "Rectal Cancer"), ("c:erectile dysfunction", "Erectile Dysfunction")],
        [],
    )
    assert after_surgery == {"c:rectal cancer"}
    # A MeSH term the registry drew from a keyword and the title never names is not what a trial studies.
    cpap = populations.population_of(
        ["Continuous Positive Airway Pressure as a Potential New Treatment for Cluster Headache"],
        [("c:cluster headache", "Cluster Headache"), ("m:D020181", "Sleep Apnea, Obstructive")],
        ["number of cluster headache attacks per week"],
    )
    assert cpap == {"m:D020181"}
    # The people may be named by their condition: the diabetes of "type II diabetics" is their population.
    diabetics = populations.population_of(
        ["Efficacy of Linaclotide in Type II Diabetics With Chronic Constipation"],
        [("c:chronic constipation", "Chronic Constipation"), ("m:D003920", "Diabetes Mellitus")],
        ["Improvement in frequency of bowel movements"],
    )
    assert diabetics == {"m:D003920"}
    # An outcome measured in "patients with diabetes" does not make diabetes what the trial studies.
    dialysis = populations.population_of(
        ["Clinical Study of the Use of Amino Acid Peritoneal Dialysate in Diabetic Patients"],
        [("c:peritoneal dialysis", "Peritoneal Dialysis"), ("c:diabetes", "Diabetes")],
        ["Changes of HbA1c in peritoneal dialysis patients with diabetes after 90 days"],
    )
    assert dialysis == {"c:diabetes"}
    # "Pre-diabetes" names diabetes.
    prediabetes = populations.population_of(
        ["Treatment of Pre-diabetes in Patients With Cystic Fibrosis"],
        [("c:cfrd", "Cystic Fibrosis Related Diabetes"), ("m:D003550", "Cystic Fibrosis")],
        ["BMI"],
    )
    assert prediabetes == {"m:D003550"}
    # A title that names none of the conditions leaves them all the subject.
    assert (
        populations.population_of(["An Adaptive Design Study of MTX228"], [("c:t1d", "Type 1 Diabetes")], []) == set()
    )


def test_of_two_conditions_joined_after_the_people_the_intervention_decides_which_is_studied():
    title = ["Testosterone Therapy and Bone Quality in Men With Diabetes and Hypogonadism"]
    listed = [
        ("c:type 2 diabetes mellitus", "Type 2 Diabetes Mellitus"),
        ("m:D003924", "Diabetes Mellitus, Type 2"),
        ("c:hypogonadism", "Hypogonadism"),
        ("m:D007006", "Hypogonadism"),
    ]
    outcomes = ["Finite Element Analysis of Bone to Measure Bone Strength"]
    keys = [key for key, _ in listed]
    assert populations.joined_conditions(title, listed, outcomes) == (keys[:2], keys[2:])
    # Word order alone: the first joined is the subject.
    assert populations.population_of(title, listed, outcomes) == {"c:hypogonadism", "m:D007006"}
    # Counts as the 2,010 shared records give them: 6 other testosterone trials list hypogonadism, none diabetes;
    # and hypogonadism is the rarer condition on file.
    given = {"c:type 2 diabetes mellitus": 0, "m:D003924": 0, "c:hypogonadism": 6, "m:D007006": 6}
    on_file = {"c:type 2 diabetes mellitus": 14, "m:D003924": 157, "c:hypogonadism": 11, "m:D007006": 14}
    treats = populations.treated(given, listed)
    assert treats == {"c:hypogonadism", "m:D007006"}
    assert populations.rarer(treats, on_file, listed)
    assert populations.population_of(title, listed, outcomes, treats) == {"c:type 2 diabetes mellitus", "m:D003924"}
    # Too few trials giving it, or as many listing the other: no decision.
    assert populations.treated({**given, "c:hypogonadism": 1, "m:D007006": 1}, listed) == set()
    assert populations.treated({**given, "m:D003924": 4}, listed) == set()
    # A drug that treats the common condition of the two (SGLT-2 inhibitors, diabetes) leaves the rarer the subject.
    pci = [("c:coronary artery disease", "Coronary Artery Disease"), ("c:diabete mellitus", "Diabete Mellitus")]
    assert populations.treated({pci[0][0]: 0, pci[1][0]: 3}, pci) == {pci[1][0]}
    assert not populations.rarer({pci[1][0]}, {pci[0][0]: 9, pci[1][0]: 435}, pci)
    # Where the title names its subject before the people, or joins nothing, there is nothing to ask.
    assert populations.joined_conditions(["Hypogonadism Care in Men With Diabetes and Hypogonadism"], listed, []) == (
        [],
        [],
    )
    assert populations.joined_conditions(["Testosterone in Men With Hypogonadism After Surgery"], listed, []) == (
        [],
        [],
    )
    sildenafil = ["Sildenafil in Men With Erectile Dysfunction and Diabetes"]
    ed = [("c:erectile dysfunction", "Erectile Dysfunction"), ("c:diabetes", "Diabetes")]
    assert populations.joined_conditions(sildenafil, ed, []) == (["c:erectile dysfunction"], ["c:diabetes"])
    assert populations.population_of(sildenafil, ed, [], {"c:erectile dysfunction"}) == {"c:diabetes"}


def test_a_mesh_term_the_listed_name_gives_by_an_entry_term_is_what_the_trial_studies():
    # The registry codes "Chronic Kidney Disease" as "Renal Insufficiency, Chronic": no word in common.
    ckd = trial(
        1,
        brief_title="Baxdrostat With Dapagliflozin on CKD Progression in Participants With CKD and High Blood Pressure",
        official_title="Baxdrostat on Chronic Kidney Disease (CKD) Progression in Participants With CKD",
    )
    mesh = [
        ("CONDITION", False, "D051436", "Renal Insufficiency, Chronic"),
        ("CONDITION", False, "D006973", "Hypertension"),
    ]
    by_words = extract(ckd, ["Chronic Kidney Disease and Hypertension"], mesh, [])
    assert by_words.counts["p:m:D051436"] == 1  # read as a comorbidity
    entry_terms = {"D051436": "chronic kidney disease", "D006973": "hypertension"}
    coded = extract(ckd, ["Chronic Kidney Disease and Hypertension"], mesh, [], entry_terms=entry_terms)
    assert not [key for key in coded.counts if key.startswith("p:")]
    assert coded.counts["m:D051436"] == 1


def test_a_pregnancy_is_a_population_found_by_word_or_by_mesh_ancestor():
    assert populations.groups_of("Insulin in Treatment of Diabetes Mellitus With Pregnancy", set()) == ["pregnancy"]
    assert populations.groups_of("Metformin for GDM", {"D011248"}) == ["pregnancy"]
    assert populations.groups_of("Adolescent depression app", set()) == ["children"]
    assert populations.groups_of("Vardenafil in erectile dysfunction", set()) == []


def test_a_match_filling_a_short_list_names_the_condition_it_shares_however_little_it_weighs():
    # A trial listing anxiety among many other things fills the list of an anxiety-disorder trial.
    keys = {0: "c:anxiety disorders", 1: "t:app", 2: "t:sit"}
    labels = {0: "Anxiety Disorders", 1: "app", 2: "sitting"}
    mine = (np.array([0, 1], dtype=np.int32), np.array([0.1, 0.99], dtype=np.float32))
    other = (np.array([0, 2], dtype=np.int32), np.array([0.1, 0.99], dtype=np.float32))
    score, reasons = explain(mine, other, keys, labels)
    assert score < 0.05
    assert reasons == ["Same condition: Anxiety Disorders"]


def test_a_match_on_the_population_alone_ranks_after_the_others_and_says_so():
    mesh = [("CONDITION", False, "D007172", "Erectile Dysfunction"), ("CONDITION", False, "D003922", "Diabetes T1")]
    query = extract(
        trial(1, brief_title="Stem cells for the improvement of erectile function in men with diabetes"),
        ["Erectile Dysfunction", "Type 1 Diabetes"],
        mesh,
        [("HUC-MSCs", [])],
    )
    same_people = extract(
        trial(2, brief_title="Stem cells for erectile dysfunction in men with type 1 diabetes"),
        ["Erectile Dysfunction", "Type 1 Diabetes"],
        mesh,
        [],
    )
    same_condition = extract(
        trial(3, brief_title="Tadalafil for erectile dysfunction"), ["Erectile Dysfunction"], mesh[:1], []
    )
    same_people_only = extract(
        trial(4, brief_title="Ustekinumab to treat type 1 diabetes"), ["Type 1 Diabetes"], mesh[1:], []
    )
    # The diabetes of those men is their population: marked, and weighed less than what is studied.
    assert {"p:c:type 1 diabetes", "p:m:D003922", "c:type 1 diabetes"} <= set(query.counts)
    assert "p:c:type 1 diabetes" not in same_people_only.counts
    (vq, v2, v3, v4), keys, labels = vectors(query, same_people, same_condition, same_people_only)
    id_of = {key: term_id for term_id, key in keys.items()}
    ids = tiers.aspect_ids(tiers.aspects(query.counts), id_of.get)
    ranked = [tiers.match_tier(ids, other[0]) for other in (v2, v3, v4)]
    assert [tier for tier, _ in ranked] == [scoring.Tier.BOTH, scoring.Tier.MAIN, scoring.Tier.POPULATION_ONLY]
    reasons = [
        explain(vq, other, keys, labels, tier, population)[1]
        for other, (tier, population) in zip((v2, v3, v4), ranked, strict=True)
    ]
    assert reasons[0][:2] == ["Same condition: Erectile Dysfunction", "Same population: Diabetes T1"]
    assert reasons[1][0] == "Same condition: Erectile Dysfunction"
    assert not any(reason.startswith("Same population") for reason in reasons[1])
    assert reasons[2][0] == "Same population only: Diabetes T1"
    assert not any(reason.startswith("Same condition") for reason in reasons[2])
    # However it scores, a population-only match is not listed while a trial shares the main aspect...
    chosen = choose(
        [Match(4, 0.9, [], scoring.Tier.POPULATION_ONLY), Match(3, 0.3, [], scoring.Tier.MAIN), Match(2, 0.4, [], 0)],
        open_ids=set(),
    )
    assert [match.other_id for match in chosen] == [2, 3]
    # ...and comes after the others when none does.
    chosen = choose(
        [Match(4, 0.9, [], scoring.Tier.POPULATION_ONLY), Match(5, 0.3, [], scoring.Tier.OTHER)], open_ids=set()
    )
    assert [match.other_id for match in chosen] == [5, 4]


def test_without_a_population_the_tiers_leave_the_ranking_to_the_score():
    plain = extract(trial(1, brief_title="Vardenafil for erectile dysfunction"), ["Erectile Dysfunction"], [], [])
    assert not any(key.startswith("p:") for key in plain.counts)
    assert tiers.aspects(plain.counts) == tiers.Aspects(frozenset(), frozenset())
    assert tiers.match_tier(None, np.asarray([1, 2], dtype=np.int32))[0] == tiers.Tier.MAIN
    # Scored as before population aspects, a population's condition is studied like any other.
    before = extract(
        trial(2, brief_title="Erectile function in men with diabetes"),
        ["Erectile Dysfunction", "Diabetes"],
        [],
        [],
        populations=False,
    )
    assert before.counts["c:diabetes"] == 1.0 and not any(key.startswith("p:") for key in before.counts)


def test_a_main_condition_is_a_telling_name_and_the_mesh_term_it_is_coded_as():
    labels = {
        "c:cancer": "Cancer",
        "c:migraine headaches": "Migraine Headaches",
        "m:D009362": "Neoplasm Metastasis",
        "m:D008881": "Migraine Disorders",
        "t:metastasi": "metastases",
    }
    # "Cancer" alone says nothing; a MeSH term sharing no word with the name is not its coding.
    keys = ["c:cancer", "c:migraine headaches", "m:D009362", "m:D008881"]
    assert scoring.main_condition(keys, labels) == ("c:migraine headaches", "m:D008881")
    # Unless the title or summary names it.
    assert scoring.main_condition(["c:cancer", "m:D009362", "t:metastasi"], labels) == (None, "m:D009362")
    assert scoring.main_condition(["c:migraine headaches", "m:D009362"], labels) == ("c:migraine headaches", None)
    # A registry naming every condition has no main one.
    many = {f"c:condition {n}": f"Migraine {n}" for n in range(scoring.CATCH_ALL_CONDITIONS + 1)}
    assert scoring.main_condition(list(many), many) == (None, None)


def test_a_candidate_listing_the_main_condition_only_for_its_people_does_not_study_it():
    query = extract(
        trial(1, brief_title="Stenting of coronary artery disease in patients with diabetes"),
        ["Coronary Artery Disease", "Diabetes"],
        [],
        [],
    )
    registry = extract(trial(2, brief_title="A coronary artery disease registry"), ["Coronary Artery Disease"], [], [])
    # A diabetes cohort listing coronary disease among its people's other conditions.
    cohort = extract(trial(3, brief_title="A diabetes cohort"), ["Diabetes", "Coronary Artery Disease"], [], [])
    assert {"p:c:coronary artery disease", "c:coronary artery disease"} <= set(cohort.counts)
    (_, v2, v3), keys, _ = vectors(query, registry, cohort)
    id_of = {key: term_id for term_id, key in keys.items()}
    ids = tiers.aspect_ids(tiers.aspects(query.counts), id_of.get)
    assert ids[2].tolist() == [[id_of["c:coronary artery disease"]], [id_of["p:c:coronary artery disease"]]]
    assert tiers.match_tier(ids, v2[0])[0] == scoring.Tier.MAIN
    # It shares the diabetes of the people alone; without the population forms it would have ranked first.
    assert tiers.match_tier(ids, v3[0])[0] == scoring.Tier.POPULATION_ONLY
    assert tiers.match_tier(ids[:2], v3[0])[0] == scoring.Tier.BOTH


def test_a_listed_name_coded_as_an_ancestor_beside_its_subtypes_is_still_the_main_aspect():
    type_1 = "Diabetes Mellitus, Type 1"
    query = extract(
        trial(1, brief_title="Insulin detemir in pregnant women with diabetes mellitus"),
        ["Diabetes Mellitus", "Diabetes Mellitus, Type 1"],
        [("CONDITION", False, "D003920", "Diabetes Mellitus"), ("CONDITION", False, "D003922", type_1)],
        [],
    )
    # The registry's "Diabetes Mellitus" beside its type 1 is the type's ancestor here.
    assert "a:D003920" in query.counts and "m:D003920" not in query.counts
    coded = titles.coded_ancestors(query.counts, query.labels)
    assert coded["a:D003920"] in {"c:diabetes mellitus", "c:diabetes mellitus type 1"}
    gestational = [
        ("CONDITION", False, "D016640", "Diabetes, Gestational"),
        ("CONDITION", True, "D003920", "Diabetes Mellitus"),
    ]
    candidate = extract(trial(2, brief_title="Metformin for gestational diabetes"), ["GDM"], gestational, [])
    assert "p:pregnancy" in candidate.counts
    (_, other), keys, _ = vectors(query, candidate)
    id_of = {key: term_id for term_id, key in keys.items()}
    with_coded = tiers.aspect_ids(tiers.aspects(query.counts, (), coded), id_of.get)
    without = tiers.aspect_ids(tiers.aspects(query.counts), id_of.get)
    assert tiers.match_tier(with_coded, other[0])[0] == scoring.Tier.BOTH
    assert tiers.match_tier(without, other[0])[0] == scoring.Tier.POPULATION_ONLY


def test_population_groups_are_not_read_from_an_official_title_naming_a_programme():
    official = "Diabetes and Gestational Diabetes Intervention Programme: Impaired Glucose Tolerance Study"
    prevention = extract(
        trial(1, brief_title="Lifestyle to prevent impaired glucose tolerance", official_title=official),
        ["Impaired Glucose Tolerance"],
        [],
        [],
    )
    assert not any(key.startswith("p:") for key in prevention.counts)
