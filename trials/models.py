"""Trial records, shaped after ClinicalTrials.gov's data elements (API v2).

Field names follow the registry's element names, so a reader who knows the
registry knows the schema; ``help_text`` names the element where it helps.
Validation lives in ``clean()`` so the admin and the importers share it.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone

from . import choices
from .criteria import Criteria, split_criteria
from .fields import CodeListField, TokenListField
from .values import PartialDate

NCT_ID_PATTERN = r"^NCT\d{8}$"
validate_nct_id = RegexValidator(NCT_ID_PATTERN, "An NCT ID is 'NCT' followed by 8 digits, e.g. NCT04133233.")


def validate_string_list(value) -> None:
    """Keywords and other names are lists of strings, as in the registry's JSON."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError('Enter a list of texts, e.g. ["first", "second"].')


def has_phase(phase: str) -> Q:
    """Trials whose phases include ``phase``, with LIKE (far cheaper than a regex per row).

    Codes never contain one another, but for PHASE1 inside EARLY_PHASE1: that one
    must start the list or follow a comma.
    """
    if phase == "PHASE1":
        return Q(phases__startswith="PHASE1") | Q(phases__contains=",PHASE1")
    return Q(phases__contains=phase)


class TrialQuerySet(models.QuerySet):
    def recruiting(self) -> TrialQuerySet:
        return self.filter(overall_status__in=choices.OPEN_STATUSES)

    def with_phase(self, phase: str) -> TrialQuerySet:
        return self.filter(has_phase(phase))

    def for_list(self) -> TrialQuerySet:
        """The columns a list row shows; ``services.list_rows`` reads its conditions, interventions and sponsor.

        Only those columns: the long texts would be read from their TOAST
        tables and decompressed for nothing.
        """
        return self.only(*LIST_COLUMNS)

    def for_detail(self) -> TrialQuerySet:
        """Everything a trial's tabs show, one query per kind of child."""
        return self.prefetch_related(
            Prefetch("trial_conditions", queryset=TrialCondition.objects.select_related("condition")),
            "sponsors",
            "officials",
            "references",
            "identifiers",
            "related_trials",
            "mesh_terms",
            "outcome_measures",
            "documents",
            "contacts",
            "sites",
            "interventions",
            Prefetch(
                "arm_groups",
                queryset=ArmGroup.objects.prefetch_related(
                    Prefetch("intervention_links", ArmGroupIntervention.objects.select_related("intervention"))
                ),
            ),
        )

    def for_structured_data(self) -> TrialQuerySet:
        """What every tab's JSON-LD reads (``structured_data.medical_trial``), one query per kind."""
        return self.prefetch_related(
            Prefetch("trial_conditions", queryset=TrialCondition.objects.select_related("condition")),
            "sponsors",
            "sites",
            "interventions",
            "arm_groups",
        )

    def with_results(self) -> TrialQuerySet:
        """Posted results: one query per results table, however many groups and measures."""
        return self.prefetch_related(*RESULT_RELATIONS.values())

    def for_export(self) -> TrialQuerySet:
        """A trial with everything its record holds: the tabs' children and the results."""
        return self.for_detail().with_results()


# The trial columns a list row (``includes/trial_row.html``) shows.
LIST_COLUMNS = (
    "nct_id",
    "brief_title",
    "overall_status",
    "phases",
    "study_type",
    "minimum_age",
    "maximum_age",
    "sex",
    "last_update_posted_date",
)

# Results model → the trial's relation to its rows (every result row points at its trial).
RESULT_RELATIONS: dict[str, str] = {
    "ResultGroup": "result_groups",
    "FlowPeriod": "flow_periods",
    "FlowStep": "flow_steps",
    "FlowCount": "flow_counts",
    "ResultDenom": "result_denoms",
    "DenomCount": "denom_counts",
    "ResultMeasure": "result_measures",
    "MeasureClass": "measure_classes",
    "MeasureCategory": "measure_categories",
    "Measurement": "measurements",
    "OutcomeAnalysis": "outcome_analyses",
    "AdverseEvent": "adverse_events",
    "AdverseEventCount": "adverse_event_counts",
}


class Condition(models.Model):
    """A condition or disease a trial studies, shared between trials."""

    name = models.CharField(max_length=500, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Trial(models.Model):
    # identificationModule
    nct_id = models.CharField(
        "NCT ID", max_length=11, unique=True, validators=[validate_nct_id], help_text="identificationModule.nctId"
    )
    brief_title = models.CharField(max_length=500)
    official_title = models.CharField(max_length=1000, blank=True)
    acronym = models.CharField(max_length=100, blank=True)
    organization_name = models.CharField(max_length=500, blank=True, help_text="identificationModule.organization")
    organization_class = models.CharField(max_length=10, choices=choices.AgencyClass.choices, blank=True)

    # statusModule
    overall_status = models.CharField(max_length=32, choices=choices.OverallStatus.choices)
    last_known_status = models.CharField(max_length=32, choices=choices.OverallStatus.choices, blank=True)
    why_stopped = models.TextField(blank=True)
    status_verified_date = models.CharField(
        max_length=10, blank=True, help_text="As the registry gave it, e.g. 2023-08 (statusModule.statusVerifiedDate)."
    )
    start_date = models.DateField(null=True, blank=True, help_text="First day of the period the registry gave.")
    start_date_precision = models.CharField(
        max_length=5, choices=choices.DatePrecision.choices, default=choices.DatePrecision.DAY
    )
    start_date_type = models.CharField(max_length=9, choices=choices.DateType.choices, blank=True)
    primary_completion_date = models.DateField(null=True, blank=True)
    primary_completion_date_precision = models.CharField(
        max_length=5, choices=choices.DatePrecision.choices, default=choices.DatePrecision.DAY
    )
    primary_completion_date_type = models.CharField(max_length=9, choices=choices.DateType.choices, blank=True)
    completion_date = models.DateField(null=True, blank=True)
    completion_date_precision = models.CharField(
        max_length=5, choices=choices.DatePrecision.choices, default=choices.DatePrecision.DAY
    )
    completion_date_type = models.CharField(max_length=9, choices=choices.DateType.choices, blank=True)
    first_submitted_date = models.DateField(null=True, blank=True, help_text="statusModule.studyFirstSubmitDate")
    first_posted_date = models.DateField(null=True, blank=True, help_text="statusModule.studyFirstPostDateStruct")
    first_posted_date_type = models.CharField(max_length=9, choices=choices.DateType.choices, blank=True)
    last_update_submitted_date = models.DateField(null=True, blank=True, help_text="statusModule.lastUpdateSubmitDate")
    last_update_posted_date = models.DateField(null=True, blank=True, help_text="statusModule.lastUpdatePostDateStruct")
    last_update_posted_date_type = models.CharField(max_length=9, choices=choices.DateType.choices, blank=True)

    # sponsorCollaboratorsModule.responsibleParty
    responsible_party_type = models.CharField(max_length=24, choices=choices.ResponsiblePartyType.choices, blank=True)
    responsible_party_name = models.CharField(max_length=300, blank=True)
    responsible_party_title = models.CharField(max_length=300, blank=True)
    responsible_party_affiliation = models.CharField(max_length=500, blank=True)
    responsible_party_old_name_title = models.CharField(max_length=500, blank=True)
    responsible_party_old_organization = models.CharField(max_length=500, blank=True)

    # descriptionModule
    brief_summary = models.TextField(blank=True)
    detailed_description = models.TextField(blank=True)

    # conditionsModule
    conditions = models.ManyToManyField(Condition, through="TrialCondition", related_name="trials", blank=True)
    keywords = models.JSONField(
        default=list, blank=True, validators=[validate_string_list], help_text="conditionsModule.keywords"
    )

    # designModule
    study_type = models.CharField(max_length=16, choices=choices.StudyType.choices)
    phases = CodeListField(choices=choices.Phase.choices, help_text="designModule.phases")
    enrollment_count = models.PositiveIntegerField(null=True, blank=True)
    enrollment_type = models.CharField(max_length=9, choices=choices.EnrollmentType.choices, blank=True)
    allocation = models.CharField(max_length=16, choices=choices.Allocation.choices, blank=True)
    intervention_model = models.CharField(max_length=16, choices=choices.InterventionModel.choices, blank=True)
    intervention_model_description = models.TextField(blank=True)
    primary_purpose = models.CharField(max_length=32, choices=choices.PrimaryPurpose.choices, blank=True)
    masking = models.CharField(max_length=16, choices=choices.Masking.choices, blank=True)
    masking_description = models.TextField(blank=True)
    who_masked = CodeListField(choices=choices.WhoMasked.choices, help_text="designInfo.maskingInfo.whoMasked")
    observational_model = models.CharField(max_length=32, choices=choices.ObservationalModel.choices, blank=True)
    time_perspective = models.CharField(max_length=16, choices=choices.TimePerspective.choices, blank=True)

    # eligibilityModule
    eligibility_criteria = models.TextField(blank=True, help_text="Markdown, as the registry writes it.")
    minimum_age = models.CharField(max_length=32, blank=True, help_text="As written, e.g. '18 Years'.")
    minimum_age_years = models.FloatField(null=True, blank=True, editable=False)
    maximum_age = models.CharField(max_length=32, blank=True, help_text="As written, e.g. '65 Years'.")
    maximum_age_years = models.FloatField(null=True, blank=True, editable=False)
    sex = models.CharField(max_length=6, choices=choices.Sex.choices, blank=True)
    gender_based = models.BooleanField(null=True, blank=True)
    gender_description = models.TextField(blank=True)
    healthy_volunteers = models.BooleanField(null=True, blank=True)
    std_ages = CodeListField(choices=choices.StandardAge.choices, help_text="eligibilityModule.stdAges")
    study_population = models.TextField(blank=True, help_text="Observational studies: who is studied.")
    sampling_method = models.CharField(max_length=24, choices=choices.SamplingMethod.choices, blank=True)

    # oversightModule
    oversight_has_dmc = models.BooleanField("has a data monitoring committee", null=True, blank=True)
    is_fda_regulated_drug = models.BooleanField("FDA-regulated drug", null=True, blank=True)
    is_fda_regulated_device = models.BooleanField("FDA-regulated device", null=True, blank=True)
    is_unapproved_device = models.BooleanField("unapproved device", null=True, blank=True)
    is_ppsd = models.BooleanField("pediatric postmarket surveillance of a device", null=True, blank=True)
    is_us_export = models.BooleanField("product exported from the U.S.", null=True, blank=True)
    fdaaa801_violation = models.BooleanField("FDAAA 801 violation", null=True, blank=True)

    # ipdSharingStatementModule
    ipd_sharing = models.CharField(
        "plan to share IPD", max_length=9, choices=choices.IpdSharing.choices, blank=True, help_text="ipdSharing"
    )
    ipd_description = models.TextField("IPD sharing plan", blank=True)
    ipd_info_types = CodeListField(
        "supporting information", choices=choices.IpdInfoType.choices, help_text="ipdSharingStatementModule.infoTypes"
    )
    ipd_time_frame = models.TextField("IPD sharing time frame", blank=True)
    ipd_access_criteria = models.TextField("IPD access criteria", blank=True)
    ipd_url = models.CharField("IPD sharing URL", max_length=1000, blank=True)

    # documentSection.largeDocumentModule
    no_sap = models.BooleanField("no statistical analysis plan", null=True, blank=True)

    # resultsSection: each module's own elements; its tables are the Result* models.
    flow_recruitment_details = models.TextField(blank=True, help_text="participantFlowModule.recruitmentDetails")
    flow_pre_assignment_details = models.TextField(blank=True, help_text="participantFlowModule.preAssignmentDetails")
    flow_type_units_analyzed = models.CharField(max_length=100, blank=True)
    baseline_population_description = models.TextField(
        blank=True, help_text="baselineCharacteristicsModule.populationDescription"
    )
    baseline_type_units_analyzed = models.CharField(max_length=100, blank=True)
    events_frequency_threshold = models.CharField(
        max_length=20, blank=True, help_text="adverseEventsModule.frequencyThreshold (percent)"
    )
    events_time_frame = models.TextField(blank=True, help_text="adverseEventsModule.timeFrame")
    events_description = models.TextField(blank=True, help_text="adverseEventsModule.description")
    events_all_cause_mortality_comment = models.TextField(blank=True)
    limitations_and_caveats = models.TextField(blank=True, help_text="moreInfoModule.limitationsAndCaveats")
    agreement_pi_sponsor_employee = models.BooleanField("PIs are sponsor employees", null=True, blank=True)
    agreement_restrictive = models.BooleanField("restrictive agreement", null=True, blank=True)
    agreement_restriction_type = models.CharField(
        max_length=5, choices=choices.AgreementRestrictionType.choices, blank=True
    )
    agreement_other_details = models.TextField(blank=True)
    results_contact_title = models.CharField(max_length=300, blank=True, help_text="moreInfoModule.pointOfContact")
    results_contact_organization = models.CharField(max_length=500, blank=True)
    results_contact_email = models.CharField(max_length=300, blank=True)
    results_contact_phone = models.CharField(max_length=100, blank=True)
    results_contact_phone_ext = models.CharField(max_length=50, blank=True)

    has_results = models.BooleanField(default=False)

    # A digest of the record last imported; an equal one means nothing changed.
    # Staff edits clear it, so the next import compares field by field.
    source_digest = models.CharField(max_length=64, blank=True, editable=False)

    # Weighted full-text vector, PostgreSQL only (search.py keeps it current).
    search_vector = SearchVectorField(null=True, editable=False)
    # What the filters match, PostgreSQL only (see ``TokenListField``).
    facet_tokens = TokenListField(null=True, editable=False)

    # Not auto_now_add: an import that rewrites a trial keeps its creation time.
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TrialQuerySet.as_manager()

    class Meta:
        ordering = [models.F("last_update_posted_date").desc(nulls_last=True), "nct_id"]
        indexes = [
            models.Index(fields=["overall_status"]),
            models.Index(fields=["study_type"]),
            models.Index(fields=["last_update_posted_date"]),
            models.Index(fields=["start_date"]),
            # PostgreSQL also has one index per sort order of the list (migration
            # 0004): SQLite cannot declare NULLS LAST in an index.
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(minimum_age_years__isnull=True)
                | Q(maximum_age_years__isnull=True)
                | Q(minimum_age_years__lte=models.F("maximum_age_years")),
                name="trial_minimum_age_not_above_maximum",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nct_id}: {self.brief_title}"

    def get_absolute_url(self) -> str:
        return reverse("trials:detail", args=[self.nct_id])

    def clean(self) -> None:
        from .values import parse_age

        errors: dict[str, str] = {}
        for field in ("minimum_age", "maximum_age"):
            try:
                text, years = parse_age(getattr(self, field))
            except ValueError as error:
                errors[field] = str(error)
            else:
                setattr(self, field, text)
                setattr(self, f"{field}_years", years)
        if (
            "minimum_age" not in errors
            and "maximum_age" not in errors
            and self.minimum_age_years is not None
            and self.maximum_age_years is not None
            and self.minimum_age_years > self.maximum_age_years
        ):
            errors["maximum_age"] = (
                f"The maximum age ({self.maximum_age}) is below the minimum age ({self.minimum_age})."
            )
        start, completion = self.start, self.completion
        if start and completion and start.date > completion.last_day():
            errors["completion_date"] = (
                f"The completion date ({completion.isoformat()}) is before the start date ({start.isoformat()})."
            )
        primary = self.primary_completion
        if start and primary and start.date > primary.last_day():
            errors["primary_completion_date"] = (
                f"The primary completion date ({primary.isoformat()}) is before the start date ({start.isoformat()})."
            )
        if self.enrollment_count is not None and self.enrollment_count < 0:
            errors["enrollment_count"] = "Enrollment cannot be negative."
        if self.nct_id:
            self.nct_id = self.nct_id.strip().upper()
        if errors:
            raise ValidationError(errors)

    def _partial_date(self, name: str) -> PartialDate | None:
        value = getattr(self, f"{name}_date")
        if value is None:
            return None
        return PartialDate(value, getattr(self, f"{name}_date_precision"))

    @property
    def start(self) -> PartialDate | None:
        return self._partial_date("start")

    @property
    def primary_completion(self) -> PartialDate | None:
        return self._partial_date("primary_completion")

    @property
    def completion(self) -> PartialDate | None:
        return self._partial_date("completion")

    @property
    def phase_labels(self) -> list[str]:
        return [choices.Phase(code).label for code in self.phases if code in choices.Phase.values]

    @property
    def phase_display(self) -> str:
        return " / ".join(self.phase_labels)

    @property
    def who_masked_labels(self) -> list[str]:
        return [choices.WhoMasked(code).label for code in self.who_masked if code in choices.WhoMasked.values]

    @property
    def age_range(self) -> str:
        """The ages taken as written ("18 Years to 65 Years", "up to 65 Years"); "" without limits."""
        if self.minimum_age and self.maximum_age:
            return f"{self.minimum_age} to {self.maximum_age}"
        if self.minimum_age:
            return f"{self.minimum_age} and older"
        if self.maximum_age:
            return f"up to {self.maximum_age}"
        return ""

    @property
    def is_interventional(self) -> bool:
        return self.study_type != choices.StudyType.OBSERVATIONAL

    @property
    def criteria(self) -> Criteria:
        if not hasattr(self, "_criteria"):
            self._criteria = split_criteria(self.eligibility_criteria)
        return self._criteria

    @property
    def condition_names(self) -> list[str]:
        return [link.condition.name for link in self.trial_conditions.all()]

    @property
    def lead_sponsor(self) -> Sponsor | None:
        return next((sponsor for sponsor in self.sponsors.all() if sponsor.is_lead), None)

    @property
    def collaborators(self) -> list[Sponsor]:
        return [sponsor for sponsor in self.sponsors.all() if not sponsor.is_lead]

    @property
    def listed_related_trials(self) -> list[RelatedTrial]:
        return [item for item in self.related_trials.all() if item.kind == choices.RelatedTrialKind.LISTED]

    @property
    def similar_related_trials(self) -> list[RelatedTrial]:
        return [item for item in self.related_trials.all() if item.kind == choices.RelatedTrialKind.SIMILAR]

    @property
    def ipd_info_type_labels(self) -> list[str]:
        return [choices.IpdInfoType(code).label for code in self.ipd_info_types if code in choices.IpdInfoType.values]

    @property
    def central_contacts(self) -> list[Contact]:
        return [contact for contact in self.contacts.all() if contact.site_id is None]

    @property
    def site_contacts(self) -> dict[int, list[Contact]]:
        """Each site's contacts by site id, from the one ``contacts`` query."""
        by_site: dict[int, list[Contact]] = {}
        for contact in self.contacts.all():
            if contact.site_id is not None:
                by_site.setdefault(contact.site_id, []).append(contact)
        return by_site

    @property
    def is_stopped(self) -> bool:
        return self.overall_status in (
            choices.OverallStatus.TERMINATED,
            choices.OverallStatus.SUSPENDED,
            choices.OverallStatus.WITHDRAWN,
        )

    @property
    def countries(self) -> list[str]:
        return sorted({site.country for site in self.sites.all() if site.country})


class TrialChild(models.Model):
    """A part of one trial's record, kept in the registry's order."""

    position = models.PositiveIntegerField(default=0, help_text="Order within the record.")

    class Meta:
        abstract = True
        ordering = ["position", "id"]


class TrialCondition(TrialChild):
    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="trial_conditions")
    # Indexed with the trial (below): the trials of some conditions are counted from the index alone.
    condition = models.ForeignKey(Condition, on_delete=models.PROTECT, related_name="trial_links", db_index=False)

    class Meta(TrialChild.Meta):
        constraints = [models.UniqueConstraint(fields=["trial", "condition"], name="unique_trial_condition")]
        indexes = [models.Index(fields=["condition", "trial"], name="trial_condition_by_condition")]

    def __str__(self) -> str:
        return self.condition.name


class Intervention(TrialChild):
    """armsInterventionsModule.interventions[]"""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="interventions")
    type = models.CharField(max_length=24, choices=choices.InterventionType.choices, blank=True)
    name = models.CharField(max_length=500)
    description = models.TextField(blank=True)
    other_names = models.JSONField(
        default=list, blank=True, validators=[validate_string_list], help_text="interventions[].otherNames"
    )

    def __str__(self) -> str:
        return f"{self.get_type_display()}: {self.name}" if self.type else self.name


class ArmGroup(TrialChild):
    """armsInterventionsModule.armGroups[]"""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="arm_groups")
    label = models.CharField(max_length=500)
    type = models.CharField(max_length=24, choices=choices.ArmGroupType.choices, blank=True)
    description = models.TextField(blank=True)
    interventions = models.ManyToManyField(
        Intervention, through="ArmGroupIntervention", related_name="arm_groups", blank=True
    )

    class Meta(TrialChild.Meta):
        verbose_name = "arm"

    def __str__(self) -> str:
        return self.label


class ArmGroupIntervention(models.Model):
    """An intervention given in an arm.

    The registry lists the link twice, in its own order each time: under the
    arm (``armGroups[].interventionNames``, kept by ``position``) and under
    the intervention (``interventions[].armGroupLabels``, by ``label_position``).
    """

    arm_group = models.ForeignKey(ArmGroup, on_delete=models.CASCADE, related_name="intervention_links")
    intervention = models.ForeignKey(Intervention, on_delete=models.CASCADE, related_name="arm_group_links")
    position = models.PositiveIntegerField(default=0, help_text="Order among the arm's interventions.")
    label_position = models.PositiveIntegerField(default=0, help_text="Order among the intervention's arms.")

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "intervention given"
        constraints = [
            models.UniqueConstraint(fields=["arm_group", "intervention"], name="unique_arm_group_intervention")
        ]

    def __str__(self) -> str:
        return f"{self.arm_group} ← {self.intervention}"

    def clean(self) -> None:
        if self.arm_group_id and self.intervention_id and self.arm_group.trial_id != self.intervention.trial_id:
            raise ValidationError({"intervention": "The intervention belongs to another trial."})


class Site(TrialChild):
    """contactsLocationsModule.locations[]"""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="sites")
    facility = models.CharField(max_length=500, blank=True)
    city = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=200, blank=True)
    zip = models.CharField("ZIP / postal code", max_length=50, blank=True)
    country = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=32, choices=choices.RecruitmentStatus.choices, blank=True)
    latitude = models.FloatField(null=True, blank=True, help_text="locations[].geoPoint.lat")
    longitude = models.FloatField(null=True, blank=True, help_text="locations[].geoPoint.lon")

    # No index on (country, city): the filters compare case-insensitively,
    # through the index on UPPER(country), UPPER(city) (migration 0006).

    def __str__(self) -> str:
        return self.facility or self.place

    @property
    def place(self) -> str:
        return ", ".join(part for part in (self.city, self.state, self.zip, self.country) if part)


class Reference(TrialChild):
    """referencesModule.references[]"""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="references")
    citation = models.TextField()
    pmid = models.CharField("PMID", max_length=20, blank=True)
    doi = models.CharField("DOI", max_length=200, blank=True)
    type = models.CharField(max_length=10, choices=choices.ReferenceType.choices, blank=True)

    def __str__(self) -> str:
        return self.citation[:80]


class Sponsor(TrialChild):
    """The lead sponsor and the collaborators (sponsorCollaboratorsModule)."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="sponsors")
    name = models.CharField(max_length=500)
    agency_class = models.CharField("class", max_length=10, choices=choices.AgencyClass.choices, blank=True)
    is_lead = models.BooleanField("lead sponsor", default=False)

    class Meta(TrialChild.Meta):
        constraints = [
            models.UniqueConstraint(fields=["trial"], condition=Q(is_lead=True), name="one_lead_sponsor_per_trial")
        ]
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name


class Official(TrialChild):
    """contactsLocationsModule.overallOfficials[]: the investigators."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="officials")
    name = models.CharField(max_length=300)
    role = models.CharField(max_length=24, choices=choices.OfficialRole.choices, blank=True)
    affiliation = models.CharField(max_length=500, blank=True)

    class Meta(TrialChild.Meta):
        verbose_name = "investigator"

    def __str__(self) -> str:
        return self.name


class Identifier(TrialChild):
    """identificationModule.orgStudyIdInfo and secondaryIdInfos[]"""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="identifiers")
    identifier = models.CharField(max_length=200)
    type = models.CharField(max_length=16, choices=choices.SecondaryIdType.choices, blank=True)
    source = models.CharField(
        max_length=12, choices=choices.IdentifierSource.choices, default=choices.IdentifierSource.SECONDARY_ID
    )
    domain = models.CharField(max_length=500, blank=True, help_text="Who issued it, when the registry says.")
    link = models.URLField(max_length=500, blank=True)

    def __str__(self) -> str:
        return self.identifier


class MeshTerm(TrialChild):
    """A MeSH term the registry assigned to the trial's conditions or interventions.

    ``derivedSection.conditionBrowseModule`` and ``interventionBrowseModule``:
    the terms themselves (``meshes``) and their ancestors in the MeSH tree.
    """

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="mesh_terms")
    domain = models.CharField(max_length=12, choices=choices.MeshDomain.choices)
    is_ancestor = models.BooleanField("ancestor", default=False, help_text="An ancestor of the assigned terms.")
    mesh_id = models.CharField("MeSH ID", max_length=16)
    term = models.CharField(max_length=300)

    class Meta(TrialChild.Meta):
        verbose_name = "MeSH term"

    def __str__(self) -> str:
        return self.term


class RelatedTrial(TrialChild):
    """Another trial named by this record: by NCT ID and the title it was listed with.

    The other trial may not be on file; no row is made for it, and its link
    goes to ClinicalTrials.gov until it is.
    """

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="related_trials")
    nct_id = models.CharField("NCT ID", max_length=11, validators=[validate_nct_id])
    title = models.CharField(max_length=1000, blank=True)
    kind = models.CharField(
        max_length=8, choices=choices.RelatedTrialKind.choices, default=choices.RelatedTrialKind.LISTED
    )

    class Meta(TrialChild.Meta):
        constraints = [
            models.UniqueConstraint(fields=["trial", "nct_id", "kind"], name="unique_related_trial"),
        ]

    def __str__(self) -> str:
        return self.nct_id

    @property
    def registry_url(self) -> str:
        return f"https://clinicaltrials.gov/study/{self.nct_id}"


class SimilarityTerm(models.Model):
    """A feature the similarity engine compares trials on, with its document frequency.

    ``key`` starts with its signal (see ``similarity.SIGNALS``): ``c:`` a
    condition name, ``m:``/``a:`` a condition MeSH term or ancestor, ``i:``
    an intervention name, ``t:``/``e:`` a word of the description or the
    eligibility criteria, ``d:`` a design fact.
    """

    key = models.CharField(max_length=600, unique=True)
    label = models.CharField(max_length=600, help_text="How a reason names it.")
    document_count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.key


class SimilarityProfile(models.Model):
    """A trial's weighted feature vector: sorted term ids and their weights, packed."""

    trial = models.OneToOneField(Trial, on_delete=models.CASCADE, primary_key=True, related_name="similarity_profile")
    term_ids = models.BinaryField()
    weights = models.BinaryField()

    def __str__(self) -> str:
        return f"profile of trial {self.trial_id}"


class SimilarityKey(models.Model):
    """A trial's most telling features: the index candidates are found by."""

    # No index of its own: the look-up index below starts with the term.
    term = models.ForeignKey(
        SimilarityTerm, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="+"
    )
    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="+")
    weight = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["term", "trial", "weight"], name="similarity_key_lookup")]

    def __str__(self) -> str:
        return f"{self.term_id} → {self.trial_id}"


class SimilarTrial(models.Model):
    """A trial found similar to another, with its score and the reasons it scored."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="similar_trials")
    other = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    reasons = models.JSONField(default=list)

    class Meta:
        ordering = ["-score", "other_id"]
        constraints = [models.UniqueConstraint(fields=["trial", "other"], name="unique_similar_trial")]

    def __str__(self) -> str:
        return f"{self.trial_id} ~ {self.other_id} ({self.score:.2f})"


class OutcomeMeasure(TrialChild):
    """outcomesModule: primaryOutcomes[], secondaryOutcomes[] and otherOutcomes[]."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="outcome_measures")
    kind = models.CharField(max_length=9, choices=choices.OutcomeKind.choices)
    measure = models.TextField()
    description = models.TextField(blank=True)
    time_frame = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.measure[:80]


class Contact(TrialChild):
    """contactsLocationsModule: a central contact, or a site's (``locations[].contacts[]``)."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="contacts")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, null=True, blank=True, related_name="contacts")
    name = models.CharField(max_length=300, blank=True)
    role = models.CharField(max_length=24, choices=choices.ContactRole.choices, blank=True)
    phone = models.CharField(max_length=100, blank=True)
    phone_ext = models.CharField("extension", max_length=50, blank=True)
    email = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return self.name or self.email or self.phone

    def clean(self) -> None:
        if self.site_id and self.trial_id and self.site.trial_id != self.trial_id:
            raise ValidationError({"site": "The site belongs to another trial."})


class Document(TrialChild):
    """documentSection.largeDocumentModule.largeDocs[]: protocol, SAP, consent form."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="documents")
    type_abbrev = models.CharField("type", max_length=20, blank=True, help_text="typeAbbrev, e.g. Prot_SAP")
    has_protocol = models.BooleanField(null=True, blank=True)
    has_sap = models.BooleanField("has SAP", null=True, blank=True)
    has_icf = models.BooleanField("has ICF", null=True, blank=True)
    label = models.CharField(max_length=300, blank=True)
    date = models.CharField(max_length=10, blank=True, help_text="The document's date, as given.")
    upload_date = models.CharField(max_length=16, blank=True, help_text="As given, e.g. 2019-05-08T12:58.")
    filename = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField(null=True, blank=True, help_text="Bytes.")

    def __str__(self) -> str:
        return self.label or self.filename

    @property
    def url(self) -> str:
        nct_id = self.trial.nct_id
        return f"https://cdn.clinicaltrials.gov/large-docs/{nct_id[-2:]}/{nct_id}/{self.filename}"


# Posted results (resultsSection), normalized. Every row carries its trial, so a
# page reads each table once, filtered by trial; rows keep the registry's group
# ids ("FG000", "BG000", "OG000", "EG000") so a module's tables line up. Values
# stay text where the registry sends text ("NA", "<0.001").


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


class DeferredStatement(models.Model):
    """A statement a bulk import owes the database: an index or a check it dropped to load faster.

    Written before the drop, in the same transaction, and deleted once run
    again; an import that was killed halfway leaves its rows here, and the
    next import runs them first (``importers.restore_deferred``).
    """

    statement = models.TextField()

    def __str__(self) -> str:
        return self.statement
