"""The glossary page: registry terms in plain language, each with an anchor.

Trial pages link a label to its entry with ``anchor(section, code)``, so the
page and the links cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import choices


@dataclass
class Entry:
    anchor: str
    term: str
    explanation: str


@dataclass
class Section:
    anchor: str
    title: str
    intro: str
    entries: list[Entry] = field(default_factory=list)


def anchor(section: str, code: str = "") -> str:
    """``anchor("status", "RECRUITING")`` → ``status-recruiting``; a section alone is its own anchor."""
    return f"{section}-{code.lower().replace('_', '-')}" if code else section


def _coded(section: str, enum, explanations: dict[str, str]) -> list[Entry]:
    return [
        Entry(anchor(section, code), label, explanations[code]) for code, label in enum.choices if code in explanations
    ]


def sections() -> list[Section]:
    plain = choices.PLAIN_LANGUAGE
    return [
        Section(
            "status",
            "Recruitment status",
            "Where the study is in its life, and whether it is looking for participants.",
            _coded("status", choices.OverallStatus, choices.STATUS_PLAIN_LANGUAGE),
        ),
        Section(
            "phase",
            "Phase",
            "Drug studies go through phases, from a first small test in people to studies after approval.",
            _coded("phase", choices.Phase, choices.PHASE_PLAIN_LANGUAGE),
        ),
        Section(
            "study-type",
            "Study type",
            "Whether the study gives participants something to test, or only observes them.",
            [
                Entry(
                    anchor("study-type", "INTERVENTIONAL"),
                    "Interventional",
                    "Participants receive a treatment, procedure or other intervention chosen by the study.",
                ),
                Entry(
                    anchor("study-type", "OBSERVATIONAL"),
                    "Observational",
                    "Researchers observe participants' usual care and health; the study does not assign a treatment.",
                ),
                Entry(
                    anchor("study-type", "EXPANDED_ACCESS"),
                    "Expanded access",
                    "A way for patients who cannot join a trial to receive a treatment not yet approved.",
                ),
            ],
        ),
        Section(
            "allocation",
            "Allocation",
            "How participants are put into the study's groups.",
            _coded("allocation", choices.Allocation, plain),
        ),
        Section(
            "intervention-model",
            "Intervention model",
            "How the groups and their interventions are arranged.",
            _coded("intervention-model", choices.InterventionModel, plain),
        ),
        Section(
            "masking",
            "Masking (blinding)",
            "Who is kept from knowing which intervention each participant receives, so that expectations "
            "do not colour the results.",
            _coded("masking", choices.Masking, plain),
        ),
        Section(
            "primary-purpose",
            "Primary purpose",
            "The main reason the study is done.",
            _coded("primary-purpose", choices.PrimaryPurpose, plain),
        ),
        Section(
            "taking-part",
            "Taking part",
            "Words used on the eligibility tab.",
            [
                Entry(
                    "healthy-volunteers",
                    "Healthy volunteers",
                    "People who do not have the condition studied. When a study accepts them, you can take part "
                    "without being ill.",
                ),
                Entry(
                    "inclusion-criteria",
                    "Inclusion criteria",
                    "What a participant must have or be to take part, such as a diagnosis or an age range.",
                ),
                Entry(
                    "exclusion-criteria",
                    "Exclusion criteria",
                    "What keeps someone out of the study, often for their own safety, such as another illness "
                    "or a medicine they take.",
                ),
                Entry(
                    "placebo",
                    "Placebo",
                    "A dummy treatment that looks like the real one but has no active ingredient, used to compare "
                    "against.",
                ),
                Entry(
                    "arm",
                    "Arm (group)",
                    "A group of participants who receive the same intervention, or none.",
                ),
                Entry(
                    "enrollment",
                    "Enrollment",
                    "How many people take part (actual), or are expected to (anticipated).",
                ),
            ],
        ),
        Section(
            "people",
            "People and identifiers",
            "Who runs a study, and how to find it elsewhere.",
            [
                Entry(
                    "sponsor",
                    "Sponsor",
                    "The organisation that starts the study and is responsible for it; collaborators help.",
                ),
                Entry(
                    "investigator",
                    "Investigator",
                    "A researcher who leads the study or one of its sites (principal investigator, study chair or "
                    "director).",
                ),
                Entry(
                    "nct-id",
                    "NCT ID",
                    "The study's number on ClinicalTrials.gov, such as NCT04133233. Give it to your doctor to find "
                    "the study.",
                ),
            ],
        ),
    ]
