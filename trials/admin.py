"""Staff edit every part of a trial record here."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models, router, transaction

from . import admin_lists, choices, history, pages, related, search
from .admin_results import AdverseEventInline, ReadOnlyInline, ResultMeasureInline
from .admin_text import CleanTextForm, LabelledTabularInline, child_label, field_change
from .models import (
    ArmGroup,
    ArmGroupIntervention,
    Condition,
    Contact,
    Document,
    Identifier,
    Intervention,
    MeshTerm,
    Official,
    OutcomeMeasure,
    Reference,
    RelatedTrial,
    Site,
    Sponsor,
    Trial,
    TrialCondition,
    TrialVersion,
    VersionSource,
)

# The sign-in page and every admin page name the portal, not the framework.
admin.site.site_header = "TrialPortal administration"
admin.site.site_title = "TrialPortal administration"


class PhaseFilter(admin.SimpleListFilter):
    """Phases are a list: "Phase 2" also finds Phase 1/Phase 2 trials."""

    title = "phase"
    parameter_name = "phase"

    def lookups(self, request, model_admin):
        return choices.Phase.choices

    def queryset(self, request, queryset):
        return queryset.with_phase(self.value()) if self.value() in choices.Phase.values else queryset


class TrialChildInline(admin.StackedInline):
    form = CleanTextForm
    extra = 0
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    show_change_link = False


class TrialConditionInline(LabelledTabularInline):
    model = TrialCondition
    autocomplete_fields = ["condition"]
    fields = ["condition", "position"]
    extra = 0
    verbose_name = "condition"


class SponsorInline(LabelledTabularInline):
    model = Sponsor
    fields = ["name", "agency_class", "is_lead", "position"]
    extra = 0


class OfficialInline(LabelledTabularInline):
    model = Official
    fields = ["name", "role", "affiliation", "position"]
    extra = 0


class InterventionInline(TrialChildInline):
    model = Intervention
    fields = [("type", "name", "position"), "description", "other_names"]


class ArmGroupInline(TrialChildInline):
    model = ArmGroup
    fields = [("label", "type", "position"), "description", "interventions_given"]
    readonly_fields = ["interventions_given"]
    show_change_link = True

    @admin.display(description="Interventions")
    def interventions_given(self, arm: ArmGroup) -> str:
        names = [link.intervention.name for link in arm.intervention_links.select_related("intervention")]
        return ", ".join(names) or "None (save, then open the arm to link interventions)"


class ArmGroupInterventionInline(LabelledTabularInline):
    model = ArmGroupIntervention
    fields = ["intervention", "position", "label_position"]
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "intervention":
            # Only the interventions of the arm's own trial.
            object_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = (
                Intervention.objects.filter(trial__arm_groups=object_id) if object_id else (Intervention.objects.none())
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(ArmGroup)
class ArmGroupAdmin(admin_lists.TrialChildAdmin):
    """An arm on its own page, to link the interventions it gives: a change to its trial."""

    form = CleanTextForm
    list_display = ["label", "type", "trial"]
    list_select_related = ["trial"]
    search_fields = ["label", "trial__nct_id"]
    fields = ["trial", "label", "type", "description", "position"]
    readonly_fields = ["trial"]
    inlines = [ArmGroupInterventionInline]

    raw_id_fields = []

    def has_add_permission(self, request):
        return False  # arms are added from their trial's page

    def save_model(self, request, obj, form, change):
        form.previous_versions = admin_lists.changing([obj.trial_id])
        admin.ModelAdmin.save_model(self, request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        # The trial changes once its arm's intervention links are saved too.
        super().save_related(request, form, formsets, change)
        admin_lists.changed(form.previous_versions, [form.instance.trial_id])


class SiteInline(LabelledTabularInline):
    model = Site
    fields = ["facility", "city", "state", "zip", "country", "status", "position"]
    extra = 0


class ReferenceInline(TrialChildInline):
    model = Reference
    fields = ["citation", ("pmid", "doi", "type", "position")]


class IdentifierInline(LabelledTabularInline):
    model = Identifier
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fields = ["identifier", "type", "source", "domain", "link", "position"]
    extra = 0


class RelatedTrialInline(LabelledTabularInline):
    model = RelatedTrial
    fields = ["nct_id", "title", "kind", "position"]
    extra = 0


class MeshTermInline(LabelledTabularInline):
    model = MeshTerm
    fields = ["domain", "mesh_id", "term", "is_ancestor", "position"]
    extra = 0
    classes = ["collapse"]


class OutcomeMeasureInline(TrialChildInline):
    model = OutcomeMeasure
    fields = [("kind", "position"), "measure", "description", "time_frame"]


class ContactInline(LabelledTabularInline):
    """Central contacts (no site) and each site's contacts."""

    model = Contact
    fields = ["name", "role", "phone", "phone_ext", "email", "site", "position"]
    # A trial can have a thousand sites: a select of them on every contact row would not load.
    raw_id_fields = ["site"]
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "site":
            # Only the sites of this trial.
            object_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = Site.objects.filter(trial=object_id) if object_id else Site.objects.none()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class DocumentInline(LabelledTabularInline):
    model = Document
    fields = ["type_abbrev", "label", "date", "filename", "size", "has_protocol", "has_sap", "has_icf", "position"]
    extra = 0


RESULT_FIELDS = [
    "flow_recruitment_details",
    "flow_pre_assignment_details",
    "baseline_population_description",
    "events_frequency_threshold",
    "events_time_frame",
    "events_description",
    "limitations_and_caveats",
    "agreement_pi_sponsor_employee",
    "agreement_restriction_type",
    "agreement_other_details",
    "results_contact_title",
    "results_contact_organization",
    "results_contact_email",
    "results_contact_phone",
]


class TrialAdminForm(CleanTextForm):
    """A trial form that will not overwrite someone else's newer save.

    The version is checked against the row ``TrialAdmin.get_object`` locked
    for the save, so no other save can land between the check and the write.
    """

    # When the record was last saved as this form was opened.
    loaded_version = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Trial
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets choose the fields shown

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.updated_at.isoformat()

    def clean(self):
        data = super().clean()
        if self.instance.pk:
            current = Trial.objects.filter(pk=self.instance.pk).values_list("updated_at", flat=True).first()
            if current and data.get("loaded_version") != current.isoformat():
                raise forms.ValidationError(
                    "This trial was changed by someone else (or by an import) after you opened it. "
                    "Your changes were not saved: open the trial again to see the current record."
                )
        return data


@admin.register(Trial)
class TrialAdmin(admin.ModelAdmin):
    form = TrialAdminForm
    list_display = ["nct_id", "brief_title", "overall_status", "phase_list", "study_type", "last_update_posted_date"]
    list_filter = ["overall_status", PhaseFilter, "study_type", "has_results"]
    search_fields = ["nct_id", "brief_title", "official_title", "acronym", "trial_conditions__condition__name"]
    search_help_text = "Search by NCT ID, title, acronym or condition."
    date_hierarchy = "last_update_posted_date"
    readonly_fields = ["created_at", "updated_at", *RESULT_FIELDS]
    fieldsets = [
        ("Identification", {"fields": ["nct_id", "brief_title", "official_title", "acronym"]}),
        (
            "Status",
            {
                "fields": [
                    "overall_status",
                    ("start_date", "start_date_precision", "start_date_type"),
                    ("primary_completion_date", "primary_completion_date_precision", "primary_completion_date_type"),
                    ("completion_date", "completion_date_precision", "completion_date_type"),
                    ("first_posted_date", "last_update_posted_date"),
                    "why_stopped",
                    "has_results",
                ]
            },
        ),
        ("Description", {"fields": ["brief_summary", "detailed_description", "keywords"]}),
        (
            "Design",
            {
                "fields": [
                    "study_type",
                    "phases",
                    ("enrollment_count", "enrollment_type"),
                    ("allocation", "intervention_model", "primary_purpose"),
                    ("masking", "who_masked"),
                    ("observational_model", "time_perspective"),
                    "other_intervention_names",
                ]
            },
        ),
        (
            "Eligibility",
            {
                "fields": [
                    "eligibility_criteria",
                    ("minimum_age", "maximum_age"),
                    ("sex", "healthy_volunteers"),
                ]
            },
        ),
        (
            "Responsible party",
            {
                "classes": ["collapse"],
                "fields": [
                    "responsible_party_type",
                    "responsible_party_name",
                    "responsible_party_title",
                    "responsible_party_affiliation",
                ],
            },
        ),
        (
            "Oversight",
            {
                "classes": ["collapse"],
                "fields": [
                    "oversight_has_dmc",
                    ("is_fda_regulated_drug", "is_fda_regulated_device"),
                    ("is_unapproved_device", "is_ppsd", "is_us_export"),
                    "fdaaa801_violation",
                ],
            },
        ),
        (
            "Sharing individual participant data (IPD)",
            {
                "classes": ["collapse"],
                "fields": [
                    "ipd_sharing",
                    "ipd_description",
                    "ipd_info_types",
                    "ipd_time_frame",
                    "ipd_access_criteria",
                    "ipd_url",
                    "no_sap",
                ],
            },
        ),
        (
            "Posted results (read-only: from the registry)",
            {"classes": ["collapse"], "fields": RESULT_FIELDS},
        ),
        ("Record", {"classes": ["collapse"], "fields": ["created_at", "updated_at", "loaded_version"]}),
    ]
    inlines = [
        TrialConditionInline,
        SponsorInline,
        OfficialInline,
        InterventionInline,
        ArmGroupInline,
        SiteInline,
        ContactInline,
        OutcomeMeasureInline,
        DocumentInline,
        ReferenceInline,
        IdentifierInline,
        RelatedTrialInline,
        MeshTermInline,
        ResultMeasureInline,
        AdverseEventInline,
    ]

    def get_inline_instances(self, request, obj=None):
        inlines = super().get_inline_instances(request, obj)
        if obj is None or obj.pk is None:
            return inlines
        if not hasattr(obj, "listed_elsewhere"):
            obj.shown_inlines, obj.listed_elsewhere = admin_lists.within_budget(request, obj, inlines)
        shown = {type(inline) for inline in obj.shown_inlines}
        return [inline for inline in inlines if type(inline) in shown]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.pk is not None:
            self.get_inline_instances(request, obj)
            if obj.listed_elsewhere:
                fieldsets = [*fieldsets, ("Long lists", {"fields": ["long_lists"]})]
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "long_lists"]

    @admin.display(description="Edited on their own lists")
    def long_lists(self, trial: Trial) -> str:
        return admin_lists.links(trial, getattr(trial, "listed_elsewhere", []))

    def construct_change_message(self, request, form, formsets, add=False):
        """What changed, with the values before and after, for the admin history.

        Django's own message names the fields only; a registry needs to see
        what a title or a criterion said before someone changed it.
        """
        if add:
            return super().construct_change_message(request, form, formsets, add)
        parts = [
            field_change(form, name) for name in form.changed_data if name not in ("loaded_version", "search_vector")
        ]
        for formset in formsets:
            parts += [f"Added {child_label(item)}." for item in formset.new_objects]
            changed = {id(item): names for item, names in formset.changed_objects}
            for child_form in formset.initial_forms:
                if id(child_form.instance) in changed:
                    label = child_label(child_form.instance)
                    parts += [f"{label}: {field_change(child_form, name)}" for name in changed[id(child_form.instance)]]
            parts += [f"Deleted {child_label(item)}." for item in formset.deleted_objects]
        return " ".join(parts) or "No fields changed."

    def get_object(self, request, object_id, from_field=None):
        """The trial, its row locked until the save commits when this request saves it.

        Two editors saving at the same moment would otherwise both pass the
        version check before either writes, and one edit would be lost. The
        second save waits here, then finds the version changed.
        """
        using = router.db_for_write(self.model)
        if request.method != "POST" or not transaction.get_connection(using).in_atomic_block:
            return super().get_object(request, object_id, from_field)
        queryset = self.get_queryset(request).select_for_update(of=("self",))
        field = self.model._meta.pk if from_field is None else self.model._meta.get_field(from_field)
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})
        except (self.model.DoesNotExist, ValidationError, ValueError):
            return None

    def save_model(self, request, obj, form, change):
        # A staff edit makes the next import compare field by field.
        obj.source_digest = ""
        # The record as it stood, read before anything of it is written: kept as a version after the save.
        form.previous_versions = history.previous_versions([obj.pk]) if change else {}
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change:
            history.keep(form.previous_versions, VersionSource.ADMIN)
        else:
            history.record_new(form.instance.nct_id, VersionSource.ADMIN)
        # Conditions, interventions and sponsors are part of the search text, MeSH terms of its tokens.
        search.backend().update_vectors([form.instance.pk])
        # Its interventions' other names are part of the brand ↔ generic map.
        search.aliases.refresh([form.instance.pk])
        # And of what makes it similar to others: its related lists, and theirs.
        related.refresh([form.instance.pk])
        # Its page document, as it now stands (the one before no longer matches its updated_at).
        pages.build([form.instance.nct_id])

    def delete_model(self, request, obj):
        # Its versions are keyed by NCT ID: they go with it, or a trial imported again under it would inherit them.
        TrialVersion.objects.filter(nct_id=obj.nct_id).delete()
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        TrialVersion.objects.filter(nct_id__in=list(queryset.values_list("nct_id", flat=True))).delete()
        super().delete_queryset(request, queryset)

    @admin.display(description="Phase", ordering="phases")
    def phase_list(self, trial: Trial) -> str:
        return trial.phase_display or "—"


@admin.register(Condition)
class ConditionAdmin(admin.ModelAdmin):
    """A condition's name is part of every trial filed under it: renaming it changes them all.

    One in use cannot be deleted (``PROTECT``).
    """

    form = CleanTextForm
    list_display = ["name"]
    search_fields = ["name"]

    @staticmethod
    def _trial_ids(conditions) -> list[int]:
        trials = Trial.objects.filter(trial_conditions__condition__in=conditions)
        return sorted(set(trials.values_list("pk", flat=True)))

    def save_model(self, request, obj, form, change):
        trial_ids = self._trial_ids([obj.pk]) if change else []
        previous = admin_lists.changing(trial_ids)
        super().save_model(request, obj, form, change)
        admin_lists.changed(previous, trial_ids)


# Each list of a trial's rows also on its own change list, for the trials whose lists are too long to edit inline.
for _inline in TrialAdmin.inlines:
    if not issubclass(_inline, ReadOnlyInline) and not admin.site.is_registered(_inline.model):
        admin.site.register(_inline.model, admin_lists.child_admin(_inline))
