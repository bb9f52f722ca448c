"""The plain record every importer produces and the writer saves.

``parse → record → save``: a parser turns its input (a trial page, a
ClinicalTrials.gov JSON study) into a ``TrialRecord``; ``writer.save_record``
is the only code that turns a record into rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..values import PartialDate


class RecordError(Exception):
    """A record that cannot be saved, with every reason."""

    def __init__(self, nct_id: str, reasons: list[str]):
        self.nct_id = nct_id
        self.reasons = reasons
        super().__init__(f"{nct_id or 'record'}: " + "; ".join(reasons))


@dataclass
class InterventionRecord:
    name: str
    type: str = ""
    description: str = ""
    other_names: list[str] = field(default_factory=list)
    # The arms that give it, by label (interventions[].armGroupLabels).
    arm_group_labels: list[str] = field(default_factory=list)


@dataclass
class ArmGroupRecord:
    label: str
    type: str = ""
    description: str = ""
    # Names as the registry lists them: "ILT101" or "Drug: ILT101".
    intervention_names: list[str] = field(default_factory=list)


@dataclass
class SiteRecord:
    facility: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    country: str = ""
    status: str = ""
    latitude: float | None = None
    longitude: float | None = None


@dataclass
class ReferenceRecord:
    citation: str
    pmid: str = ""
    doi: str = ""
    type: str = ""


@dataclass
class SponsorRecord:
    name: str
    agency_class: str = ""
    is_lead: bool = False


@dataclass
class OfficialRecord:
    name: str
    role: str = ""
    affiliation: str = ""


@dataclass
class IdentifierRecord:
    identifier: str
    type: str = ""
    source: str = "secondary_id"
    domain: str = ""
    link: str = ""


@dataclass
class MeshTermRecord:
    mesh_id: str
    term: str
    domain: str = "CONDITION"
    is_ancestor: bool = False


@dataclass
class OutcomeMeasureRecord:
    measure: str
    kind: str = "PRIMARY"
    description: str = ""
    time_frame: str = ""


@dataclass
class ContactRecord:
    name: str = ""
    role: str = ""
    phone: str = ""
    phone_ext: str = ""
    email: str = ""
    # The site it is a contact for, by index in ``TrialRecord.sites``; None for a central contact.
    site: int | None = None


@dataclass
class DocumentRecord:
    filename: str
    type_abbrev: str = ""
    has_protocol: bool | None = None
    has_sap: bool | None = None
    has_icf: bool | None = None
    label: str = ""
    date: str = ""
    upload_date: str = ""
    size: int | None = None


@dataclass
class RelatedTrialRecord:
    nct_id: str
    title: str = ""
    kind: str = "LISTED"


@dataclass
class TrialRecord:
    """One trial, as a parser read it.

    ``fields`` holds the trial's own columns by model field name; the lists
    hold its children in the registry's order.
    """

    nct_id: str
    fields: dict[str, Any] = field(default_factory=dict)
    conditions: list[str] = field(default_factory=list)
    interventions: list[InterventionRecord] = field(default_factory=list)
    arm_groups: list[ArmGroupRecord] = field(default_factory=list)
    sites: list[SiteRecord] = field(default_factory=list)
    references: list[ReferenceRecord] = field(default_factory=list)
    sponsors: list[SponsorRecord] = field(default_factory=list)
    officials: list[OfficialRecord] = field(default_factory=list)
    identifiers: list[IdentifierRecord] = field(default_factory=list)
    related_trials: list[RelatedTrialRecord] = field(default_factory=list)
    mesh_terms: list[MeshTermRecord] = field(default_factory=list)
    outcome_measures: list[OutcomeMeasureRecord] = field(default_factory=list)
    contacts: list[ContactRecord] = field(default_factory=list)
    documents: list[DocumentRecord] = field(default_factory=list)
    # Posted results: rows per results model (see ``trials.ctgov.results``), parents by index.
    results: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def set_date(self, name: str, date: PartialDate | None, date_type: str = "") -> None:
        """Set ``start``, ``primary_completion`` or ``completion`` with its precision and type."""
        self.fields[f"{name}_date"] = date.date if date else None
        if date:
            self.fields[f"{name}_date_precision"] = date.precision
        self.fields[f"{name}_date_type"] = date_type
