"""Posted results in the admin: the registry's, shown read-only; an import replaces them."""

from __future__ import annotations

from django.contrib import admin

from .admin_text import LabelledTabularInline
from .models import AdverseEvent, OutcomeAnalysis, ResultGroup, ResultMeasure


class ReadOnlyInline(LabelledTabularInline):
    """Posted results are the registry's: staff see them, imports change them."""

    extra = 0
    max_num = 0
    can_delete = False
    classes = ["collapse"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ResultMeasureInline(ReadOnlyInline):
    model = ResultMeasure
    verbose_name_plural = "posted results: baseline and outcome measures"
    fields = ["section", "type", "title", "param_type", "unit_of_measure", "time_frame"]
    readonly_fields = fields
    show_change_link = True


class AdverseEventInline(ReadOnlyInline):
    model = AdverseEvent
    verbose_name_plural = "posted results: adverse events"
    fields = ["seriousness", "organ_system", "term", "assessment_type", "source_vocabulary"]
    readonly_fields = fields


class ResultGroupInline(ReadOnlyInline):
    model = ResultGroup
    fields = ["group_id", "title", "description"]
    readonly_fields = fields
    classes = []


class OutcomeAnalysisInline(ReadOnlyInline):
    model = OutcomeAnalysis
    fields = [
        "group_ids",
        "statistical_method",
        "p_value",
        "param_type",
        "param_value",
        "ci_lower_limit",
        "ci_upper_limit",
    ]
    readonly_fields = fields
    classes = []


@admin.register(ResultMeasure)
class ResultMeasureAdmin(admin.ModelAdmin):
    """A posted measure on its own page, read-only: its groups and analyses."""

    list_display = ["title", "section", "type", "trial"]
    list_filter = ["section", "type"]
    list_select_related = ["trial"]
    search_fields = ["title", "trial__nct_id"]
    readonly_fields = [
        "trial",
        "section",
        "type",
        "title",
        "description",
        "population_description",
        "reporting_status",
        "param_type",
        "dispersion_type",
        "unit_of_measure",
        "time_frame",
    ]
    fields = readonly_fields
    inlines = [ResultGroupInline, OutcomeAnalysisInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
