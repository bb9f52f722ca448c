"""The parts of a trial's record: conditions, interventions, arms, sites, contacts, outcomes...

Each is one of the registry's lists, a row per item in the registry's order.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper

from .. import choices
from .trial import Condition, Trial, validate_nct_id, validate_string_list


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


class InterventionAlias(models.Model):
    """One other name a record gives an intervention: "Cialis" for "tadalafil".

    Read from ``interventions[].name`` and ``otherNames`` by the importer's
    writer (``search.aliases.rows``), replaced with the trial's other rows, so
    the names the registry says are one intervention are what the records on
    file say now. Search looks a phrase up by its key (``search.vocabulary.key``)
    on either side and adds the names across the table from it.
    """

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="intervention_aliases")
    name = models.CharField(max_length=500, help_text="interventions[].name")
    name_key = models.CharField(max_length=500)
    alias = models.CharField(max_length=500, help_text="interventions[].otherNames[]")
    alias_key = models.CharField(max_length=500)

    class Meta:
        verbose_name = "intervention alias"
        verbose_name_plural = "intervention aliases"
        indexes = [
            models.Index(fields=["name_key", "alias_key"], name="trials_alias_by_name"),
            models.Index(fields=["alias_key", "name_key"], name="trials_alias_by_alias"),
        ]

    def __str__(self) -> str:
        return f"{self.alias} = {self.name}"


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

    class Meta(TrialChild.Meta):
        indexes = [
            # Distance searches: a bounding box is a range on latitude, checked on longitude in the index.
            models.Index(fields=["latitude", "longitude", "trial"], name="site_coordinates"),
            # The gazetteer's look-ups of a city or postal code in the registry's own sites.
            models.Index(Upper("city"), name="site_city_upper"),
            models.Index(Upper("zip"), name="site_zip_upper"),
        ]

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
        # Search matches a phrase that names a descriptor by its id (search/expand.py).
        indexes = [models.Index(fields=["mesh_id", "trial"], name="trials_mesh_id_trial")]

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
