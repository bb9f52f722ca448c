"""Posted results (resultsSection): the participant flow, baseline, outcome measures and adverse events."""

from __future__ import annotations

from django.db import models

from .. import choices
from .children import TrialChild
from .trial import Trial, validate_string_list


class ResultGroup(TrialChild):
    """A group of one results module (``groups[]``, ``eventGroups[]``); outcome groups belong to a measure."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="result_groups")
    section = models.CharField(max_length=14, choices=choices.ResultSection.choices)
    measure = models.ForeignKey("ResultMeasure", on_delete=models.CASCADE, null=True, blank=True, related_name="groups")
    group_id = models.CharField(max_length=10, help_text="The registry's id, e.g. BG000.")
    title = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    deaths_num_affected = models.PositiveIntegerField(null=True, blank=True)
    deaths_num_at_risk = models.PositiveIntegerField(null=True, blank=True)
    serious_num_affected = models.PositiveIntegerField(null=True, blank=True)
    serious_num_at_risk = models.PositiveIntegerField(null=True, blank=True)
    other_num_affected = models.PositiveIntegerField(null=True, blank=True)
    other_num_at_risk = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.group_id}: {self.title}"


class FlowPeriod(TrialChild):
    """participantFlowModule.periods[]"""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="flow_periods")
    title = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return self.title


class FlowStep(TrialChild):
    """A period's milestone (STARTED, COMPLETED, ...) or reason for not completing."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="flow_steps")
    period = models.ForeignKey(FlowPeriod, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=13, choices=choices.FlowStepKind.choices)
    type = models.CharField(max_length=300, blank=True)
    comment = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.type


class FlowCount(TrialChild):
    """Participants (or units) of one group at a step: ``achievements[]`` or ``reasons[]``."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="flow_counts")
    step = models.ForeignKey(FlowStep, on_delete=models.CASCADE, related_name="counts")
    group_id = models.CharField(max_length=10)
    num_subjects = models.CharField(max_length=20, blank=True)
    num_units = models.CharField(max_length=20, blank=True)
    comment = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.group_id}: {self.num_subjects}"


class ResultMeasure(TrialChild):
    """A baseline measure (``measures[]``) or a results outcome measure (``outcomeMeasures[]``)."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="result_measures")
    section = models.CharField(max_length=14, choices=choices.ResultSection.choices)
    type = models.CharField(max_length=19, choices=choices.OutcomeMeasureType.choices, blank=True)
    title = models.TextField()
    description = models.TextField(blank=True)
    population_description = models.TextField(blank=True)
    reporting_status = models.CharField(max_length=10, choices=choices.ReportingStatus.choices, blank=True)
    anticipated_posting_date = models.CharField(max_length=10, blank=True)
    param_type = models.CharField(max_length=28, choices=choices.MeasureParam.choices, blank=True)
    # A code for baseline measures (STANDARD_DEVIATION), words for outcome measures ("Standard Deviation").
    dispersion_type = models.CharField(max_length=40, blank=True)
    unit_of_measure = models.CharField(max_length=100, blank=True)
    calculate_pct = models.BooleanField(null=True, blank=True)
    time_frame = models.TextField(blank=True)
    type_units_analyzed = models.CharField(max_length=100, blank=True)
    denom_units_selected = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return self.title[:80]


class MeasureClass(TrialChild):
    """``classes[]`` of a measure: rows of its table, e.g. one per age band."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="measure_classes")
    measure = models.ForeignKey(ResultMeasure, on_delete=models.CASCADE, related_name="classes")
    title = models.CharField(max_length=300, blank=True)

    class Meta(TrialChild.Meta):
        verbose_name_plural = "measure classes"

    def __str__(self) -> str:
        return self.title


class MeasureCategory(TrialChild):
    """``classes[].categories[]``: a class's rows, e.g. Female and Male."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="measure_categories")
    measure_class = models.ForeignKey(MeasureClass, on_delete=models.CASCADE, related_name="categories")
    title = models.CharField(max_length=300, blank=True)

    class Meta(TrialChild.Meta):
        verbose_name_plural = "measure categories"

    def __str__(self) -> str:
        return self.title


class Measurement(TrialChild):
    """One group's value in a category: ``measurements[]``."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="measurements")
    category = models.ForeignKey(MeasureCategory, on_delete=models.CASCADE, related_name="measurements")
    group_id = models.CharField(max_length=10)
    value = models.CharField(max_length=50, blank=True)
    spread = models.CharField(max_length=50, blank=True)
    lower_limit = models.CharField(max_length=50, blank=True)
    upper_limit = models.CharField(max_length=50, blank=True)
    comment = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.group_id}: {self.value}"


class ResultDenom(TrialChild):
    """``denoms[]``: how many were analysed, in which units; of a module, a measure or a class."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="result_denoms")
    section = models.CharField(max_length=14, choices=choices.ResultSection.choices)
    measure = models.ForeignKey(ResultMeasure, on_delete=models.CASCADE, null=True, blank=True, related_name="denoms")
    measure_class = models.ForeignKey(
        MeasureClass, on_delete=models.CASCADE, null=True, blank=True, related_name="denoms"
    )
    units = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return self.units


class DenomCount(TrialChild):
    """``denoms[].counts[]``"""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="denom_counts")
    denom = models.ForeignKey(ResultDenom, on_delete=models.CASCADE, related_name="counts")
    group_id = models.CharField(max_length=10)
    value = models.CharField(max_length=20, blank=True)

    def __str__(self) -> str:
        return f"{self.group_id}: {self.value}"


class OutcomeAnalysis(TrialChild):
    """A statistical analysis of an outcome measure: ``outcomeMeasures[].analyses[]``."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="outcome_analyses")
    measure = models.ForeignKey(ResultMeasure, on_delete=models.CASCADE, related_name="analyses")
    group_ids = models.JSONField(default=list, blank=True, validators=[validate_string_list])
    group_description = models.TextField(blank=True)
    tested_non_inferiority = models.BooleanField(null=True, blank=True)
    non_inferiority_type = models.CharField(max_length=37, choices=choices.NonInferiorityType.choices, blank=True)
    non_inferiority_comment = models.TextField(blank=True)
    p_value = models.CharField("p-value", max_length=50, blank=True)
    p_value_comment = models.TextField(blank=True)
    statistical_method = models.CharField(max_length=200, blank=True)
    statistical_comment = models.TextField(blank=True)
    param_type = models.CharField(max_length=200, blank=True)
    param_value = models.CharField(max_length=50, blank=True)
    dispersion_type = models.CharField(max_length=22, choices=choices.AnalysisDispersionType.choices, blank=True)
    dispersion_value = models.CharField(max_length=50, blank=True)
    ci_pct_value = models.CharField("CI percent", max_length=20, blank=True)
    ci_num_sides = models.CharField("CI sides", max_length=9, choices=choices.CiNumSides.choices, blank=True)
    ci_lower_limit = models.CharField("CI lower limit", max_length=50, blank=True)
    ci_upper_limit = models.CharField("CI upper limit", max_length=50, blank=True)
    ci_lower_limit_comment = models.TextField(blank=True)
    ci_upper_limit_comment = models.TextField(blank=True)
    estimate_comment = models.TextField(blank=True)
    other_analysis_description = models.TextField(blank=True)

    class Meta(TrialChild.Meta):
        verbose_name_plural = "outcome analyses"

    def __str__(self) -> str:
        return self.statistical_method or self.param_type or "analysis"


class AdverseEvent(TrialChild):
    """adverseEventsModule.seriousEvents[] and otherEvents[]: a term in an organ system."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="adverse_events")
    seriousness = models.CharField(max_length=7, choices=choices.EventSeriousness.choices)
    term = models.CharField(max_length=300)
    organ_system = models.CharField(max_length=300, blank=True)
    source_vocabulary = models.CharField(max_length=100, blank=True)
    assessment_type = models.CharField(max_length=25, choices=choices.EventAssessment.choices, blank=True)
    notes = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.term


class AdverseEventCount(TrialChild):
    """An event's counts in one group: ``stats[]``."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="adverse_event_counts")
    event = models.ForeignKey(AdverseEvent, on_delete=models.CASCADE, related_name="counts")
    group_id = models.CharField(max_length=10)
    num_events = models.PositiveIntegerField(null=True, blank=True)
    num_affected = models.PositiveIntegerField(null=True, blank=True)
    num_at_risk = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.group_id}: {self.num_affected}/{self.num_at_risk}"
