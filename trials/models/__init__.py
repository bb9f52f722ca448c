"""Trial records, shaped after ClinicalTrials.gov's data elements (API v2).

One package, one module per kind of table:

- ``trial``: the trial itself, its queryset and the shared conditions;
- ``children``: the parts of its record (conditions, interventions, arms,
  sites, contacts, outcomes, documents, references, MeSH terms...);
- ``results``: the posted results tables;
- ``similarity``: the index behind "more related trials";
- ``imports``: what a bulk import owes the database;
- ``sync``: where a registry sync stands;
- ``history``: the earlier versions of a trial's record.

Everything is re-exported here, so ``trials.models.Trial`` (and the
migrations' references) keep working.
"""

from .children import (
    ArmGroup,
    ArmGroupIntervention,
    Contact,
    Document,
    Identifier,
    Intervention,
    InterventionAlias,
    MeshTerm,
    Official,
    OutcomeMeasure,
    Reference,
    RelatedTrial,
    Site,
    Sponsor,
    TrialChild,
    TrialCondition,
)
from .history import TrialVersion, VersionSource
from .imports import (
    DeferredStatement,
)
from .pages import TrialPage
from .queries import LIST_COLUMNS, RESULT_RELATIONS, TrialQuerySet, has_phase
from .results import (
    AdverseEvent,
    AdverseEventCount,
    DenomCount,
    FlowCount,
    FlowPeriod,
    FlowStep,
    MeasureCategory,
    MeasureClass,
    Measurement,
    OutcomeAnalysis,
    ResultDenom,
    ResultGroup,
    ResultMeasure,
)
from .similarity import (
    SimilarityKey,
    SimilarityProfile,
    SimilarityTerm,
    SimilarTrial,
)
from .sync import SyncCheckpoint
from .trial import (
    NCT_ID_PATTERN,
    Condition,
    Trial,
    validate_nct_id,
    validate_string_list,
)

__all__ = [
    "TrialPage",
    "VersionSource",
    "AdverseEvent",
    "AdverseEventCount",
    "ArmGroup",
    "ArmGroupIntervention",
    "Condition",
    "Contact",
    "DeferredStatement",
    "DenomCount",
    "Document",
    "FlowCount",
    "FlowPeriod",
    "FlowStep",
    "Identifier",
    "Intervention",
    "InterventionAlias",
    "LIST_COLUMNS",
    "MeasureCategory",
    "MeasureClass",
    "Measurement",
    "MeshTerm",
    "NCT_ID_PATTERN",
    "Official",
    "OutcomeAnalysis",
    "OutcomeMeasure",
    "RESULT_RELATIONS",
    "Reference",
    "RelatedTrial",
    "ResultDenom",
    "ResultGroup",
    "ResultMeasure",
    "SimilarTrial",
    "SimilarityKey",
    "SimilarityProfile",
    "SimilarityTerm",
    "Site",
    "SyncCheckpoint",
    "Sponsor",
    "Trial",
    "TrialVersion",
    "TrialChild",
    "TrialCondition",
    "TrialQuerySet",
    "has_phase",
    "validate_nct_id",
    "validate_string_list",
]
