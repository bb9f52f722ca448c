"""ClinicalTrials.gov enumerations, with the registry's exact codes.

Codes and labels follow the API v2 enumerations (ctgov-enums.json), so a
record imported from the registry and one typed in the admin speak the same
language. ``PLAIN_LANGUAGE`` adds short explanations for patients.
"""

from __future__ import annotations

from django.db import models


class OverallStatus(models.TextChoices):
    ACTIVE_NOT_RECRUITING = "ACTIVE_NOT_RECRUITING", "Active, not recruiting"
    COMPLETED = "COMPLETED", "Completed"
    ENROLLING_BY_INVITATION = "ENROLLING_BY_INVITATION", "Enrolling by invitation"
    NOT_YET_RECRUITING = "NOT_YET_RECRUITING", "Not yet recruiting"
    RECRUITING = "RECRUITING", "Recruiting"
    SUSPENDED = "SUSPENDED", "Suspended"
    TERMINATED = "TERMINATED", "Terminated"
    WITHDRAWN = "WITHDRAWN", "Withdrawn"
    AVAILABLE = "AVAILABLE", "Available"
    NO_LONGER_AVAILABLE = "NO_LONGER_AVAILABLE", "No longer available"
    TEMPORARILY_NOT_AVAILABLE = "TEMPORARILY_NOT_AVAILABLE", "Temporarily not available"
    APPROVED_FOR_MARKETING = "APPROVED_FOR_MARKETING", "Approved for marketing"
    WITHHELD = "WITHHELD", "Withheld"
    UNKNOWN = "UNKNOWN", "Unknown status"


# Statuses under which a patient can still join a trial.
OPEN_STATUSES = (
    OverallStatus.RECRUITING,
    OverallStatus.NOT_YET_RECRUITING,
    OverallStatus.ENROLLING_BY_INVITATION,
)


class RecruitmentStatus(models.TextChoices):
    ACTIVE_NOT_RECRUITING = "ACTIVE_NOT_RECRUITING", "Active, not recruiting"
    COMPLETED = "COMPLETED", "Completed"
    ENROLLING_BY_INVITATION = "ENROLLING_BY_INVITATION", "Enrolling by invitation"
    NOT_YET_RECRUITING = "NOT_YET_RECRUITING", "Not yet recruiting"
    RECRUITING = "RECRUITING", "Recruiting"
    SUSPENDED = "SUSPENDED", "Suspended"
    TERMINATED = "TERMINATED", "Terminated"
    WITHDRAWN = "WITHDRAWN", "Withdrawn"
    AVAILABLE = "AVAILABLE", "Available"


class Phase(models.TextChoices):
    NA = "NA", "Not Applicable"
    EARLY_PHASE1 = "EARLY_PHASE1", "Early Phase 1"
    PHASE1 = "PHASE1", "Phase 1"
    PHASE2 = "PHASE2", "Phase 2"
    PHASE3 = "PHASE3", "Phase 3"
    PHASE4 = "PHASE4", "Phase 4"


class StudyType(models.TextChoices):
    EXPANDED_ACCESS = "EXPANDED_ACCESS", "Expanded Access"
    INTERVENTIONAL = "INTERVENTIONAL", "Interventional"
    OBSERVATIONAL = "OBSERVATIONAL", "Observational"


class Allocation(models.TextChoices):
    RANDOMIZED = "RANDOMIZED", "Randomized"
    NON_RANDOMIZED = "NON_RANDOMIZED", "Non-Randomized"
    NA = "NA", "N/A"


class InterventionModel(models.TextChoices):
    SINGLE_GROUP = "SINGLE_GROUP", "Single Group Assignment"
    PARALLEL = "PARALLEL", "Parallel Assignment"
    CROSSOVER = "CROSSOVER", "Crossover Assignment"
    FACTORIAL = "FACTORIAL", "Factorial Assignment"
    SEQUENTIAL = "SEQUENTIAL", "Sequential Assignment"


class Masking(models.TextChoices):
    NONE = "NONE", "None (Open Label)"
    SINGLE = "SINGLE", "Single"
    DOUBLE = "DOUBLE", "Double"
    TRIPLE = "TRIPLE", "Triple"
    QUADRUPLE = "QUADRUPLE", "Quadruple"


class WhoMasked(models.TextChoices):
    PARTICIPANT = "PARTICIPANT", "Participant"
    CARE_PROVIDER = "CARE_PROVIDER", "Care Provider"
    INVESTIGATOR = "INVESTIGATOR", "Investigator"
    OUTCOMES_ASSESSOR = "OUTCOMES_ASSESSOR", "Outcomes Assessor"


class PrimaryPurpose(models.TextChoices):
    TREATMENT = "TREATMENT", "Treatment"
    PREVENTION = "PREVENTION", "Prevention"
    DIAGNOSTIC = "DIAGNOSTIC", "Diagnostic"
    ECT = "ECT", "Educational/Counseling/Training"
    SUPPORTIVE_CARE = "SUPPORTIVE_CARE", "Supportive Care"
    SCREENING = "SCREENING", "Screening"
    HEALTH_SERVICES_RESEARCH = "HEALTH_SERVICES_RESEARCH", "Health Services Research"
    BASIC_SCIENCE = "BASIC_SCIENCE", "Basic Science"
    DEVICE_FEASIBILITY = "DEVICE_FEASIBILITY", "Device Feasibility"
    OTHER = "OTHER", "Other"


class ObservationalModel(models.TextChoices):
    COHORT = "COHORT", "Cohort"
    CASE_CONTROL = "CASE_CONTROL", "Case-Control"
    CASE_ONLY = "CASE_ONLY", "Case-Only"
    CASE_CROSSOVER = "CASE_CROSSOVER", "Case-Crossover"
    ECOLOGIC_OR_COMMUNITY = "ECOLOGIC_OR_COMMUNITY", "Ecologic or Community"
    FAMILY_BASED = "FAMILY_BASED", "Family-Based"
    DEFINED_POPULATION = "DEFINED_POPULATION", "Defined Population"
    NATURAL_HISTORY = "NATURAL_HISTORY", "Natural History"
    OTHER = "OTHER", "Other"


class TimePerspective(models.TextChoices):
    RETROSPECTIVE = "RETROSPECTIVE", "Retrospective"
    PROSPECTIVE = "PROSPECTIVE", "Prospective"
    CROSS_SECTIONAL = "CROSS_SECTIONAL", "Cross-Sectional"
    OTHER = "OTHER", "Other"


class InterventionType(models.TextChoices):
    BEHAVIORAL = "BEHAVIORAL", "Behavioral"
    BIOLOGICAL = "BIOLOGICAL", "Biological"
    COMBINATION_PRODUCT = "COMBINATION_PRODUCT", "Combination Product"
    DEVICE = "DEVICE", "Device"
    DIAGNOSTIC_TEST = "DIAGNOSTIC_TEST", "Diagnostic Test"
    DIETARY_SUPPLEMENT = "DIETARY_SUPPLEMENT", "Dietary Supplement"
    DRUG = "DRUG", "Drug"
    GENETIC = "GENETIC", "Genetic"
    PROCEDURE = "PROCEDURE", "Procedure"
    RADIATION = "RADIATION", "Radiation"
    OTHER = "OTHER", "Other"


class ArmGroupType(models.TextChoices):
    EXPERIMENTAL = "EXPERIMENTAL", "Experimental"
    ACTIVE_COMPARATOR = "ACTIVE_COMPARATOR", "Active Comparator"
    PLACEBO_COMPARATOR = "PLACEBO_COMPARATOR", "Placebo Comparator"
    SHAM_COMPARATOR = "SHAM_COMPARATOR", "Sham Comparator"
    NO_INTERVENTION = "NO_INTERVENTION", "No Intervention"
    OTHER = "OTHER", "Other"


class Sex(models.TextChoices):
    ALL = "ALL", "All"
    FEMALE = "FEMALE", "Female"
    MALE = "MALE", "Male"


class StandardAge(models.TextChoices):
    CHILD = "CHILD", "Child (birth-17)"
    ADULT = "ADULT", "Adult (18-64)"
    OLDER_ADULT = "OLDER_ADULT", "Older Adult (65+)"


class SamplingMethod(models.TextChoices):
    PROBABILITY_SAMPLE = "PROBABILITY_SAMPLE", "Probability Sample"
    NON_PROBABILITY_SAMPLE = "NON_PROBABILITY_SAMPLE", "Non-Probability Sample"


class AgencyClass(models.TextChoices):
    # The registry's enumeration gives its codes as labels ("INDUSTRY"); readers get words.
    NIH = "NIH", "NIH"
    FED = "FED", "U.S. federal agency"
    OTHER_GOV = "OTHER_GOV", "Other government"
    INDIV = "INDIV", "Individual"
    INDUSTRY = "INDUSTRY", "Industry"
    NETWORK = "NETWORK", "Network"
    AMBIG = "AMBIG", "Ambiguous"
    OTHER = "OTHER", "Other"
    UNKNOWN = "UNKNOWN", "Unknown"


class DateType(models.TextChoices):
    ACTUAL = "ACTUAL", "Actual"
    ESTIMATED = "ESTIMATED", "Estimated/Anticipated"


class EnrollmentType(models.TextChoices):
    ACTUAL = "ACTUAL", "Actual"
    ESTIMATED = "ESTIMATED", "Anticipated"


class ReferenceType(models.TextChoices):
    BACKGROUND = "BACKGROUND", "background"
    RESULT = "RESULT", "result"
    DERIVED = "DERIVED", "derived"


class SecondaryIdType(models.TextChoices):
    NIH = "NIH", "U.S. NIH Grant/Contract"
    FDA = "FDA", "U.S. FDA Grant/Contract"
    VA = "VA", "U.S. VA Grant/Contract"
    CDC = "CDC", "U.S. CDC Grant/Contract"
    AHRQ = "AHRQ", "U.S. AHRQ Grant/Contract"
    SAMHSA = "SAMHSA", "U.S. SAMHSA Grant/Contract"
    OTHER_GRANT = "OTHER_GRANT", "Other Grant/Funding Number"
    EUDRACT_NUMBER = "EUDRACT_NUMBER", "EudraCT Number"
    CTIS = "CTIS", "EU Trial (CTIS) Number"
    REGISTRY = "REGISTRY", "Registry Identifier"
    OTHER = "OTHER", "Other Identifier"


class IdentifierSource(models.TextChoices):
    """Where an identifier sits in the registry record."""

    ORG_STUDY_ID = "org_study_id", "Organization's study ID"
    SECONDARY_ID = "secondary_id", "Secondary ID"


class OfficialRole(models.TextChoices):
    STUDY_CHAIR = "STUDY_CHAIR", "Study Chair"
    STUDY_DIRECTOR = "STUDY_DIRECTOR", "Study Director"
    PRINCIPAL_INVESTIGATOR = "PRINCIPAL_INVESTIGATOR", "Principal Investigator"
    SUB_INVESTIGATOR = "SUB_INVESTIGATOR", "Sub-Investigator"


class ResponsiblePartyType(models.TextChoices):
    SPONSOR = "SPONSOR", "Sponsor"
    PRINCIPAL_INVESTIGATOR = "PRINCIPAL_INVESTIGATOR", "Principal Investigator"
    SPONSOR_INVESTIGATOR = "SPONSOR_INVESTIGATOR", "Sponsor-Investigator"


class DatePrecision(models.TextChoices):
    """How much of a date the registry gave: 2020, 2020-06 or 2020-06-15."""

    YEAR = "YEAR", "Year"
    MONTH = "MONTH", "Month"
    DAY = "DAY", "Day"


class MeshDomain(models.TextChoices):
    """Which browse module of ``derivedSection`` a MeSH term comes from."""

    CONDITION = "CONDITION", "Condition"
    INTERVENTION = "INTERVENTION", "Intervention"


class RelatedTrialKind(models.TextChoices):
    LISTED = "LISTED", "Related clinical trial"
    SIMILAR = "SIMILAR", "More related trial"


# Plain-language explanations shown beside registry codes, for patients.
PLAIN_LANGUAGE: dict[str, str] = {
    "RANDOMIZED": "Participants are assigned to groups by chance.",
    "NON_RANDOMIZED": "Participants are assigned to groups, but not by chance.",
    "SINGLE_GROUP": "Everyone in the study receives the same intervention.",
    "PARALLEL": "Groups receive different interventions at the same time.",
    "CROSSOVER": "Participants receive each intervention in turn, one after another.",
    "FACTORIAL": "Two or more interventions are tested alone and in combination.",
    "SEQUENTIAL": "Groups are assigned one after another, often at rising doses.",
    "NONE": "Open label: everyone knows which intervention each participant receives.",
    "SINGLE": "One party does not know who receives which intervention.",
    "DOUBLE": "Two parties do not know who receives which intervention.",
    "TRIPLE": "Three parties do not know who receives which intervention.",
    "QUADRUPLE": (
        "The participant, care provider, investigator and outcomes assessor "
        "do not know who receives which intervention."
    ),
    "TREATMENT": "The study tests ways to treat a condition.",
    "PREVENTION": "The study tests ways to prevent a condition.",
    "DIAGNOSTIC": "The study tests ways to diagnose a condition.",
    "SUPPORTIVE_CARE": "The study tests ways to improve comfort and quality of life.",
    "SCREENING": "The study tests ways to find a condition before symptoms appear.",
    "NA": "Not applicable: the study has a single group, so no one is assigned between groups.",
    "ECT": "The study tests ways to teach, counsel or train people.",
    "HEALTH_SERVICES_RESEARCH": "The study looks at how health care is organised, delivered or paid for.",
    "BASIC_SCIENCE": "The study looks at how the body or a condition works, not at a treatment.",
    "DEVICE_FEASIBILITY": "An early, small test of a medical device, to see whether it can work.",
}

# What each overall status means for someone who might take part.
STATUS_PLAIN_LANGUAGE: dict[str, str] = {
    "RECRUITING": "The study is looking for participants now.",
    "NOT_YET_RECRUITING": "The study has not started looking for participants yet.",
    "ENROLLING_BY_INVITATION": (
        "The study chooses participants from a group decided in advance; it is not open to everyone who qualifies."
    ),
    "ACTIVE_NOT_RECRUITING": "The study is under way, but it is not taking new participants.",
    "SUSPENDED": "The study has stopped for now and may start again.",
    "TERMINATED": "The study stopped early and will not start again.",
    "COMPLETED": "The study has ended normally; participants are no longer treated or examined.",
    "WITHDRAWN": "The study stopped before its first participant joined.",
    "UNKNOWN": "The study passed its expected end and its status has not been confirmed for two years.",
    "AVAILABLE": "Expanded access: patients can ask for the treatment outside a trial.",
    "NO_LONGER_AVAILABLE": "Expanded access has ended: the treatment can no longer be requested.",
    "TEMPORARILY_NOT_AVAILABLE": "Expanded access is paused for now.",
    "APPROVED_FOR_MARKETING": "The treatment has been approved and can be prescribed.",
    "WITHHELD": "The registry does not show the details of this expanded-access record.",
}

# What each phase means; "NA" here is the phase code, not the allocation one.
PHASE_PLAIN_LANGUAGE: dict[str, str] = {
    "EARLY_PHASE1": "A first, very small test in people, at very low doses, to see how the body handles the treatment.",
    "PHASE1": "A first test in a small group, often healthy volunteers, to find a safe dose and side effects.",
    "PHASE2": "A test in a larger group of people with the condition, to see whether the treatment works and is safe.",
    "PHASE3": "A test in large groups, against usual care, to confirm the treatment works and watch for side effects.",
    "PHASE4": "A study after the treatment is approved, to learn more about its long-term benefits and risks.",
    "NA": "Phases apply to drug studies, and this study does not test a drug (a device or a behaviour, say).",
}


class OutcomeKind(models.TextChoices):
    """outcomesModule: which list an outcome measure is in."""

    PRIMARY = "PRIMARY", "Primary"
    SECONDARY = "SECONDARY", "Secondary"
    OTHER = "OTHER", "Other pre-specified"


class ContactRole(models.TextChoices):
    STUDY_CHAIR = "STUDY_CHAIR", "Study Chair"
    STUDY_DIRECTOR = "STUDY_DIRECTOR", "Study Director"
    PRINCIPAL_INVESTIGATOR = "PRINCIPAL_INVESTIGATOR", "Principal Investigator"
    SUB_INVESTIGATOR = "SUB_INVESTIGATOR", "Sub-Investigator"
    CONTACT = "CONTACT", "Contact"


class IpdSharing(models.TextChoices):
    YES = "YES", "Yes"
    NO = "NO", "No"
    UNDECIDED = "UNDECIDED", "Undecided"


class IpdInfoType(models.TextChoices):
    STUDY_PROTOCOL = "STUDY_PROTOCOL", "Study Protocol"
    SAP = "SAP", "Statistical Analysis Plan (SAP)"
    ICF = "ICF", "Informed Consent Form (ICF)"
    CSR = "CSR", "Clinical Study Report (CSR)"
    ANALYTIC_CODE = "ANALYTIC_CODE", "Analytic Code"


class AgreementRestrictionType(models.TextChoices):
    LTE60 = "LTE60", "Embargo of 60 days or less"
    GT60 = "GT60", "Embargo of more than 60 days"
    OTHER = "OTHER", "Other disclosure agreement"


class ResultSection(models.TextChoices):
    """The results module a group, measure or denominator belongs to."""

    FLOW = "FLOW", "Participant flow"
    BASELINE = "BASELINE", "Baseline characteristics"
    OUTCOME = "OUTCOME", "Outcome measures"
    ADVERSE_EVENTS = "ADVERSE_EVENTS", "Adverse events"


class FlowStepKind(models.TextChoices):
    MILESTONE = "MILESTONE", "Milestone"
    DROP_WITHDRAW = "DROP_WITHDRAW", "Not completed: reason"


class OutcomeMeasureType(models.TextChoices):
    PRIMARY = "PRIMARY", "Primary"
    SECONDARY = "SECONDARY", "Secondary"
    OTHER_PRE_SPECIFIED = "OTHER_PRE_SPECIFIED", "Other pre-specified"
    POST_HOC = "POST_HOC", "Post hoc"


class ReportingStatus(models.TextChoices):
    NOT_POSTED = "NOT_POSTED", "Not posted"
    POSTED = "POSTED", "Posted"


class MeasureParam(models.TextChoices):
    GEOMETRIC_MEAN = "GEOMETRIC_MEAN", "Geometric Mean"
    GEOMETRIC_LEAST_SQUARES_MEAN = "GEOMETRIC_LEAST_SQUARES_MEAN", "Geometric Least Squares Mean"
    LEAST_SQUARES_MEAN = "LEAST_SQUARES_MEAN", "Least Squares Mean"
    LOG_MEAN = "LOG_MEAN", "Log Mean"
    MEAN = "MEAN", "Mean"
    MEDIAN = "MEDIAN", "Median"
    NUMBER = "NUMBER", "Number"
    COUNT_OF_PARTICIPANTS = "COUNT_OF_PARTICIPANTS", "Count of Participants"
    COUNT_OF_UNITS = "COUNT_OF_UNITS", "Count of Units"


class DispersionType(models.TextChoices):
    NA = "NA", "Not applicable"
    STANDARD_DEVIATION = "STANDARD_DEVIATION", "Standard Deviation"
    STANDARD_ERROR = "STANDARD_ERROR", "Standard Error"
    INTER_QUARTILE_RANGE = "INTER_QUARTILE_RANGE", "Inter-Quartile Range"
    FULL_RANGE = "FULL_RANGE", "Full Range"
    CONFIDENCE_80 = "CONFIDENCE_80", "80% Confidence Interval"
    CONFIDENCE_90 = "CONFIDENCE_90", "90% Confidence Interval"
    CONFIDENCE_95 = "CONFIDENCE_95", "95% Confidence Interval"
    CONFIDENCE_975 = "CONFIDENCE_975", "97.5% Confidence Interval"
    CONFIDENCE_99 = "CONFIDENCE_99", "99% Confidence Interval"
    CONFIDENCE_OTHER = "CONFIDENCE_OTHER", "Other Confidence Interval"
    GEOMETRIC_COEFFICIENT = "GEOMETRIC_COEFFICIENT", "Geometric Coefficient of Variation"


class AnalysisDispersionType(models.TextChoices):
    STANDARD_DEVIATION = "STANDARD_DEVIATION", "Standard Deviation"
    STANDARD_ERROR_OF_MEAN = "STANDARD_ERROR_OF_MEAN", "Standard Error of the Mean"


class CiNumSides(models.TextChoices):
    ONE_SIDED = "ONE_SIDED", "1-Sided"
    TWO_SIDED = "TWO_SIDED", "2-Sided"


class NonInferiorityType(models.TextChoices):
    SUPERIORITY = "SUPERIORITY", "Superiority"
    NON_INFERIORITY = "NON_INFERIORITY", "Non-Inferiority"
    EQUIVALENCE = "EQUIVALENCE", "Equivalence"
    OTHER = "OTHER", "Other"
    NON_INFERIORITY_OR_EQUIVALENCE = "NON_INFERIORITY_OR_EQUIVALENCE", "Non-Inferiority or Equivalence"
    SUPERIORITY_OR_OTHER = "SUPERIORITY_OR_OTHER", "Superiority or Other"
    NON_INFERIORITY_OR_EQUIVALENCE_LEGACY = "NON_INFERIORITY_OR_EQUIVALENCE_LEGACY", "Non-Inferiority or Equivalence"
    SUPERIORITY_OR_OTHER_LEGACY = "SUPERIORITY_OR_OTHER_LEGACY", "Superiority or Other"


class EventSeriousness(models.TextChoices):
    SERIOUS = "SERIOUS", "Serious"
    OTHER = "OTHER", "Other (not including serious)"


class EventAssessment(models.TextChoices):
    NON_SYSTEMATIC_ASSESSMENT = "NON_SYSTEMATIC_ASSESSMENT", "Non-systematic assessment"
    SYSTEMATIC_ASSESSMENT = "SYSTEMATIC_ASSESSMENT", "Systematic assessment"
