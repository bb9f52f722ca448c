"""What a trial's titles say beyond its conditions list, and which of its conditions is the broad class."""

from trials.related import tiers, titles
from trials.related.scoring import extract

from .test_related_scoring import trial

KNOWN = titles.known_names(
    ["Insomnia", "Acute Lymphoblastic Leukemia", "Leukemia", "Stem Cells", "Control", "Type 1 Diabetes in Adolescence"],
    {"sleep apnea": ("D020181", "Sleep Apnea, Obstructive")},
)


def test_a_condition_the_title_treats_in_its_people_is_taken_though_the_list_leaves_it_out():
    listed = [("c:acute lymphoblastic leukemia", "Acute Lymphoblastic Leukemia"), ("c:leukemia", "Leukemia")]
    found = titles.title_conditions(
        ["Insomnia Prevention in Children With Acute Lymphoblastic Leukemia"], listed, KNOWN
    )
    assert found == [("c:insomnia", "Insomnia")]
    # What the trial gives, or a word of its design, is no condition it treats.
    given = titles.title_conditions(
        ["Stem Cell Therapy in Patients With Leukemia"], [("c:leukemia", "Leukemia")], KNOWN, ["Stem cells"]
    )
    assert given == []
    assert titles.title_conditions(["Control Treatment in Adults With Leukemia"], [], KNOWN) == []


def test_a_title_naming_a_narrower_condition_than_the_list_adds_it_and_numbers_tell_types_apart():
    listed = [("c:leukemia", "Leukemia"), ("m:D007938", "Leukemia")]
    titles_ = [
        "Venetoclax in Older Patients and Patients With Relapsed ALL",
        "Venetoclax in Acute Lymphoblastic Leukemia",
    ]
    assert titles.title_conditions(titles_, listed, KNOWN) == [
        ("c:acute lymphoblastic leukemia", "Acute Lymphoblastic Leukemia")
    ]
    diabetes = [("c:type 2 diabetes", "Type 2 Diabetes")]
    assert titles.title_conditions(["Sleep in Type 2 Diabetes Adolescents"], diabetes, KNOWN) == []


def test_the_broad_class_beside_a_narrower_condition_is_not_the_point_of_the_trial():
    labels = {"m:D007938": "Leukemia", "m:D003920": "Diabetes Mellitus", "p:m:D003550": "Cystic Fibrosis"}
    assert titles.broader_conditions(["c:leukemia", "c:acute lymphoblastic leukemia", "m:D007938"], labels) == {
        "c:leukemia",
        "m:D007938",
    }
    # Unless what narrows it is the population: the people with cystic fibrosis, pregnancy.
    cfrd = ["c:cystic fibrosis related diabetes", "m:D003920", "p:m:D003550"]
    assert titles.broader_conditions(cfrd, labels) == set()
    assert titles.broader_conditions(["c:diabetes in pregnancy", "m:D003920"], labels) == set()
    # An entry naming the population's conditions beside the studied one ("... in diabetics") narrows nothing.
    several = ["c:type 2 diabetes mellitus diabetic retinopathy cognitive dysfunction", "c:cognitive dysfunction"]
    population = ["p:m:D003920", "p:m:D003930"]
    assert titles.broader_conditions(several + population, {**labels, "p:m:D003930": "Diabetic Retinopathy"}) == set()


def test_a_trial_studies_what_its_title_treats_and_its_listed_conditions_become_its_population():
    insomnia = trial(1, brief_title="Insomnia Prevention in Children With Acute Lymphoblastic Leukemia")
    listed = ["Acute Lymphoblastic Leukemia"]
    named = titles.title_conditions([insomnia["brief_title"]], [("c:acute lymphoblastic leukemia", listed[0])], KNOWN)
    features = extract(insomnia, listed, [], [], [], True, named)
    found = tiers.aspects(features.counts)
    assert "c:insomnia" in found.main
    assert "c:acute lymphoblastic leukemia" not in found.main
    assert {"p:c:acute lymphoblastic leukemia", "p:children"} <= found.population
    # A candidate coded with a narrower term than a population condition does not share the main aspect.
    diabetic = extract(
        trial(2, brief_title="Glycaemic Control of Type 2 Diabetes in Men With Erectile Dysfunction"),
        ["Erectile Dysfunction", "Type 2 Diabetes"],
        [("CONDITION", False, "D007172", "Erectile Dysfunction")],
        [],
        ["HbA1c"],
    )
    assert tiers.aspects(diabetic.counts).main == {"c:type 2 diabetes"}
