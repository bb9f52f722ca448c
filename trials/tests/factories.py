"""Build trials with many children, for query-count and layout tests."""

from __future__ import annotations

from trials.ctgov.records import (
    ArmGroupRecord,
    ContactRecord,
    DocumentRecord,
    IdentifierRecord,
    InterventionRecord,
    OfficialRecord,
    OutcomeMeasureRecord,
    ReferenceRecord,
    RelatedTrialRecord,
    SiteRecord,
    SponsorRecord,
    TrialRecord,
)
from trials.importers.writer import save_record
from trials.models import Trial
from trials.values import PartialDate


def make_trial(nct_id: str = "NCT90000100", size: int = 3, **fields) -> Trial:
    """A recruiting interventional trial with ``size`` of every child."""
    record = TrialRecord(
        nct_id=nct_id,
        fields={
            "brief_title": f"Generated trial {nct_id}",
            "overall_status": "RECRUITING",
            "study_type": "INTERVENTIONAL",
            "phases": ["PHASE1", "PHASE2"],
            "enrollment_count": 10 * size,
            "eligibility_criteria": "Inclusion Criteria:\n\n"
            + "\n".join(f"* Inclusion {n}" for n in range(size))
            + "\n\nExclusion Criteria:\n\n"
            + "\n".join(f"* Exclusion {n}" for n in range(size)),
            "minimum_age": "18 Years",
            **fields,
        },
        conditions=[f"Condition {n}" for n in range(size)],
        interventions=[InterventionRecord(name=f"Drug {n}", type="DRUG") for n in range(size)],
        arm_groups=[ArmGroupRecord(label=f"Arm {n}", intervention_names=[f"Drug {n}"]) for n in range(size)],
        sites=[SiteRecord(facility=f"Hospital {n}", city="Paris", country="France") for n in range(size)],
        references=[ReferenceRecord(citation=f"Citation {n}", pmid=str(1000 + n)) for n in range(size)],
        sponsors=[SponsorRecord(name=f"Sponsor {n}", is_lead=n == 0) for n in range(size)],
        officials=[OfficialRecord(name=f"Dr {n}") for n in range(size)],
        identifiers=[IdentifierRecord(identifier=f"ID-{n}") for n in range(size)],
        related_trials=[RelatedTrialRecord(nct_id=f"NCT9100{n:04d}") for n in range(size)],
        outcome_measures=[
            OutcomeMeasureRecord(measure=f"Measure {n}", kind="PRIMARY" if n == 0 else "SECONDARY", time_frame="1 year")
            for n in range(size)
        ],
        contacts=[ContactRecord(name="Central", phone="555-0100", email="trials@example.org")]
        + [ContactRecord(name=f"Nurse {n}", role="CONTACT", email=f"n{n}@example.org", site=n) for n in range(size)],
        documents=[DocumentRecord(filename=f"Prot_{n:03d}.pdf", label="Study Protocol") for n in range(size)],
    )
    record.set_date("start", PartialDate.parse("2024-01"))
    save_record(record)
    return Trial.objects.get(nct_id=nct_id)
