"""Trial records, shaped after ClinicalTrials.gov's data elements (API v2).

Field names follow the registry's element names, so a reader who knows the
registry knows the schema; ``help_text`` names the element where it helps.
Validation lives in ``clean()`` so the admin and the importers share it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from .. import choices, status
from ..criteria import Criteria, split_criteria
from ..fields import CodeListField, TokenListField
from ..values import PartialDate, parse_age
from .queries import TrialQuerySet

if TYPE_CHECKING:
    from .children import RelatedTrial, Sponsor

NCT_ID_PATTERN = r"^NCT\d{8}$"
validate_nct_id = RegexValidator(NCT_ID_PATTERN, "An NCT ID is 'NCT' followed by 8 digits, e.g. NCT04133233.")


def validate_string_list(value) -> None:
    """Keywords and other names are lists of strings, as in the registry's JSON."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError('Enter a list of texts, e.g. ["first", "second"].')


def validate_nct_id_list(value) -> None:
    """``nctIdAliases``: the NCT IDs a record was known by before the registry merged it into this one."""
    validate_string_list(value)
    for item in value:
        validate_nct_id(item)


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
    nct_id_aliases = models.JSONField(
        "NCT ID aliases",
        default=list,
        blank=True,
        validators=[validate_nct_id_list],
        help_text="identificationModule.nctIdAliases: NCT IDs of registrations merged into this one",
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
    results_first_posted_date = models.DateField(
        null=True, blank=True, help_text="statusModule.resultsFirstPostDateStruct"
    )
    results_first_posted_date_type = models.CharField(max_length=9, choices=choices.DateType.choices, blank=True)

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

    # armsInterventionsModule
    other_intervention_names = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_string_list],
        help_text="Other intervention names a trial page lists without saying which intervention they name.",
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

    # Weighted full-text vector, PostgreSQL only (search/index.py keeps it current).
    search_vector = SearchVectorField(null=True, editable=False)
    # What the filters match, PostgreSQL only (see ``TokenListField``).
    facet_tokens = TokenListField(null=True, editable=False)

    # The study's API v2 JSON size in bytes, for /stats/size, and the ``updated_at``
    # it was measured at: a trial changed since is measured again (api/sizes.py).
    json_size = models.PositiveIntegerField(null=True, blank=True, editable=False)
    json_size_of = models.DateTimeField(null=True, blank=True, editable=False)

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
            models.Index(fields=["json_size"]),
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
    def shown_status(self) -> str:
        """The status code shown: UNKNOWN where an open status lapsed (``trials.status``)."""
        return status.shown_status(self)

    @property
    def status_label(self) -> str:
        return status.status_label(self)

    @property
    def status_lapsed(self) -> bool:
        return status.is_lapsed(self)

    @property
    def is_enrolling(self) -> bool:
        """Open to new participants as the status is shown: recruiting, soon, by invitation, or expanded access."""
        return self.shown_status in (*choices.OPEN_STATUSES, choices.OverallStatus.AVAILABLE)

    @property
    def status_verified_ago(self) -> str:
        return status.verified_ago(self.status_verified_date)

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
    def is_stopped(self) -> bool:
        return self.overall_status in (
            choices.OverallStatus.TERMINATED,
            choices.OverallStatus.SUSPENDED,
            choices.OverallStatus.WITHDRAWN,
        )

    @property
    def countries(self) -> list[str]:
        return sorted({site.country for site in self.sites.all() if site.country})
