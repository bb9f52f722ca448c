"""The plain record every importer produces and the writer saves.

``parse → record → save``: a parser turns its input (a trial page, a
ClinicalTrials.gov JSON study) into a ``TrialRecord``; ``writer.save_record``
is the only code that turns a record into rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..characters import drop_forbidden, has_forbidden
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


# The characters ``trials.characters`` forbids as orjson writes them: C0 controls
# escaped (``\\u0001``, ``\\b``, ``\\f``; tab and line breaks are ``\\t``,
# ``\\n``, ``\\r``), U+FFFE and U+FFFF in UTF-8. A text holding a backslash
# before "b", "f" or "u00" matches too, and only costs a look at each text. The
# leading class lets the search skip to a backslash or 0xEF: three times faster
# than the plain alternation.
_FORBIDDEN_IN_JSON = re.compile(rb"[\\\xef](?:(?<=\\)(?:u00[01]|[bf])|(?<=\xef)\xbf[\xbe\xbf])")


def clean_json(record: TrialRecord) -> bytes:
    """``record`` as JSON (what its digest is of), once the characters XML 1.0 forbids are dropped from it.

    They are dropped from the record itself, in place. The record is
    serialized for its digest anyway, so a clean one, as the registry's all
    are, costs one search of that JSON rather than a look at every text.
    """
    try:
        serialized = orjson.dumps(record)
        if _FORBIDDEN_IN_JSON.search(serialized) is None:
            return serialized
    except orjson.JSONEncodeError:
        pass  # a lone surrogate, which orjson refuses
    drop_forbidden_characters(record)
    return orjson.dumps(record)


def drop_forbidden_characters(record: TrialRecord) -> None:
    """Drop the characters XML 1.0 forbids from every text of ``record``, in place.

    The registry's data holds none, but a hand-made or damaged file may; a
    control character in a title would reach the feed (see ``trials.characters``).
    Only those characters go: the rest of the record is kept.
    """
    _clean_object(record)


def _clean_object(item: Any) -> None:
    attributes = vars(item)
    for name, value in attributes.items():
        attributes[name] = _clean(value)


def _clean(value: Any) -> Any:
    if value.__class__ is str:
        return drop_forbidden(value) if has_forbidden(value) else value
    if value.__class__ is list:
        return [_clean(item) for item in value]
    if value.__class__ is dict:
        return {_clean(key): _clean(item) for key, item in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        _clean_object(value)
    return value
