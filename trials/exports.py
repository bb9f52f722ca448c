"""Trials out of the database: API v2 JSON and the registry's CSV columns.

The JSON shape comes from the mapping in ``ctgov/``; the CSV columns are
those of ClinicalTrials.gov's CSV download, so spreadsheets made from the
registry and from us line up. ``export_trials``, the API and the list
page's downloads all write through here.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Collection, Iterable

from . import choices, models, status
from .ctgov.elements import ObjectWriter, set_path
from .ctgov.mapping import CHILD_LISTS, PARTIAL_DATES, RECORD_LISTS, TRIAL_ELEMENTS
from .ctgov.results import PARENT_KEYS, RESULT_COLUMNS, RESULT_MODELS, results_json
from .db import PackedRows
from .models import RESULT_RELATIONS, Trial
from .values import PartialDate

REGISTRY_URL = "https://clinicaltrials.gov/study/"


def _joined(values: Iterable[str]) -> str:
    return "|".join(value for value in values if value)


def _age(trial: Trial) -> str:
    ages = ", ".join(trial.std_ages)
    span = trial.age_range
    return f"{span} ({ages})" if ages and span else span or ages


def _design(trial: Trial) -> str:
    parts = [
        ("Allocation", trial.get_allocation_display() if trial.allocation else ""),
        ("Intervention Model", trial.intervention_model),
        ("Masking", trial.masking),
        ("Primary Purpose", trial.primary_purpose),
        ("Observational Model", trial.observational_model),
        ("Time Perspective", trial.time_perspective),
    ]
    return _joined(f"{label}: {value}" for label, value in parts if value)


def _intervention(item) -> str:
    return f"{item.type}: {item.name}" if item.type else item.name


def _site(site) -> str:
    return ", ".join(part for part in (site.facility, site.city, site.state, site.zip, site.country) if part)


# (column, value) in the order of the registry's CSV download.
CSV_COLUMNS = (
    ("NCT Number", lambda t: t.nct_id),
    ("Study Title", lambda t: t.brief_title),
    ("Study URL", lambda t: f"{REGISTRY_URL}{t.nct_id}"),
    ("Acronym", lambda t: t.acronym),
    ("Study Status", lambda t: t.overall_status),
    ("Brief Summary", lambda t: t.brief_summary),
    ("Study Results", lambda t: "YES" if t.has_results else "NO"),
    ("Conditions", lambda t: _joined(t.condition_names)),
    ("Interventions", lambda t: _joined(_intervention(item) for item in t.interventions.all())),
    ("Sponsor", lambda t: t.lead_sponsor.name if t.lead_sponsor else ""),
    ("Collaborators", lambda t: _joined(sponsor.name for sponsor in t.collaborators)),
    ("Sex", lambda t: t.sex),
    ("Age", _age),
    ("Phases", lambda t: _joined(t.phases)),
    ("Enrollment", lambda t: "" if t.enrollment_count is None else str(t.enrollment_count)),
    ("Funder Type", lambda t: t.lead_sponsor.agency_class if t.lead_sponsor else ""),
    ("Study Type", lambda t: t.study_type),
    ("Study Design", _design),
    ("Other IDs", lambda t: _joined(identifier.identifier for identifier in t.identifiers.all())),
    ("Start Date", lambda t: t.start.isoformat() if t.start else ""),
    ("Primary Completion Date", lambda t: t.primary_completion.isoformat() if t.primary_completion else ""),
    ("Completion Date", lambda t: t.completion.isoformat() if t.completion else ""),
    ("First Posted", lambda t: t.first_posted_date.isoformat() if t.first_posted_date else ""),
    ("Last Update Posted", lambda t: t.last_update_posted_date.isoformat() if t.last_update_posted_date else ""),
    ("Locations", lambda t: _joined(_site(site) for site in t.sites.all())),
)


# Cells a spreadsheet reads as a formula (OWASP "CSV Injection"): text starting so gets a leading quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Columns of numbers and ISO dates, written as they are so a spreadsheet keeps them numbers and dates.
PLAIN_COLUMNS = frozenset(
    {"Enrollment", "Start Date", "Primary Completion Date", "Completion Date", "First Posted", "Last Update Posted"}
)


def safe_cell(value: str) -> str:
    """A text cell a spreadsheet shows as text: ``'=HYPERLINK(...)`` rather than a live formula."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def _safe(value):
    return lambda trial: safe_cell(value(trial))


def csv_text(
    trials: Iterable[Trial], header: bool = True, columns: list[str] | None = None, shown_status: bool = False
) -> str:
    """Trials (from ``for_detail()``) as CSV, one row each; ``columns`` names some of ``CSV_COLUMNS``.

    The API gives the registry's status as reported; the list page's own download
    (``shown_status``) gives the status the list shows, a lapsed one as ``UNKNOWN``.
    Text cells that a spreadsheet would run as a formula are quoted (``safe_cell``).
    """
    chosen = [
        (name, status.shown_status if shown_status and name == "Study Status" else value)
        for name, value in CSV_COLUMNS
        if columns is None or name in columns
    ]
    chosen = [(name, value if name in PLAIN_COLUMNS else _safe(value)) for name, value in chosen]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header:
        writer.writerow(name for name, _ in chosen)
    for trial in trials:
        writer.writerow(value(trial) for _, value in chosen)
    return buffer.getvalue()


# --- API v2 JSON ----------------------------------------------------------------


def trial_to_study(trial) -> dict:
    """The trial in API v2 shape, for every element we hold (see ``export_studies``)."""
    return export_studies([trial.pk])[0]


# Each child list's columns, as the export reads them (record field names).
_CHILD_COLUMNS: dict[str, tuple[str, ...]] = {
    "identifiers": ("identifier", "type", "domain", "link", "source"),
    "sponsors": ("name", "agency_class", "is_lead"),
    "arm_groups": ("id", "label", "type", "description"),
    "interventions": ("id", "type", "name", "description", "other_names"),
    "officials": ("name", "affiliation", "role"),
    "sites": ("id", "facility", "status", "city", "state", "zip", "country", "latitude", "longitude"),
    "references": ("pmid", "type", "citation"),
    "mesh_terms": ("mesh_id", "term", "domain", "is_ancestor"),
    "outcome_measures": ("kind", "measure", "description", "time_frame"),
    "contacts": ("name", "role", "phone", "phone_ext", "email", "site_id"),
    "documents": (
        "type_abbrev",
        "has_protocol",
        "has_sap",
        "has_icf",
        "label",
        "date",
        "upload_date",
        "filename",
        "size",
    ),
}
_TRIAL_COLUMNS: tuple[str, ...] = tuple(
    dict.fromkeys(
        [
            *(element.field for element in TRIAL_ELEMENTS),
            *(f"{date.name}_date{part}" for date in PARTIAL_DATES for part in ("", "_precision", "_type")),
            # The date of the version held: the registry's ``derivedSection.miscInfoModule.versionHolder``.
            "updated_at",
        ]
    )
)


_CHILD_MODELS: dict[str, type] = {
    "identifiers": models.Identifier,
    "sponsors": models.Sponsor,
    "arm_groups": models.ArmGroup,
    "interventions": models.Intervention,
    "officials": models.Official,
    "sites": models.Site,
    "references": models.Reference,
    "mesh_terms": models.MeshTerm,
    "outcome_measures": models.OutcomeMeasure,
    "contacts": models.Contact,
    "documents": models.Document,
}
# Every table a study is built from, read in the trials' own query (``db.PackedRows``).
_PACKED: dict[str, PackedRows] = {
    **{name: PackedRows(model, "trial", _CHILD_COLUMNS[name]) for name, model in _CHILD_MODELS.items()},
    "conditions": PackedRows(models.TrialCondition, "trial", ("condition__name",)),
    "links": PackedRows(
        models.ArmGroupIntervention, "arm_group__trial", ("arm_group_id", "intervention_id", "label_position")
    ),
    **{
        model: PackedRows(
            getattr(models, model),
            "trial",
            ("id", *RESULT_COLUMNS[model], *(f"{key}_id" for key in PARENT_KEYS.get(model, {}))),
        )
        for model in RESULT_MODELS
    },
}


def export_studies(trial_ids: list[int], columns: Collection[str] | None = None) -> list[dict]:
    """These trials in API v2 shape, in the order given; empty elements left out, as the registry does.

    Built from plain rows in one query whatever the number of trials: each
    table's rows come packed with their trial, and an API page of 1,000
    studies reads no model instances. ``columns``: only these columns of the
    trial row, and none of its lists or tables, for a caller that keeps only
    their elements (``fields``); the study holds just what they write.
    """
    if not trial_ids:
        return []
    # In the order given, not the model's: no sort.
    trials = models.Trial.objects.filter(id__any_of=trial_ids).order_by()
    if columns is not None:
        read = [column for column in _TRIAL_COLUMNS if column in columns]
        empty = dict.fromkeys(_TRIAL_COLUMNS)
        nothing = {name: [] for name in _CHILD_COLUMNS}
        rows = {
            pk: _study({**empty, **dict(zip(read, values, strict=True))}, [], nothing, {})
            for pk, *values in trials.values_list("id", *read)
        }
        return [rows[pk] for pk in trial_ids if pk in rows]
    query = trials.annotate(
        **{f"packed_{index}": packed.expression() for index, packed in enumerate(_PACKED.values())}
    ).values_list("id", *_TRIAL_COLUMNS, *(f"packed_{index}" for index in range(len(_PACKED))))
    width = len(_TRIAL_COLUMNS)
    studies = {}
    for pk, *values in query:
        trial = dict(zip(_TRIAL_COLUMNS, values[:width], strict=True))
        packed = dict(zip(_PACKED, values[width:], strict=True))
        tables = {
            name: [dict(zip(_CHILD_COLUMNS[name], row, strict=True)) for row in _PACKED[name].rows(packed[name])]
            for name in _CHILD_COLUMNS
        }
        conditions = [name for (name,) in _PACKED["conditions"].rows(packed["conditions"])]
        results = _result_rows({model: _PACKED[model].rows(packed[model]) for model in RESULT_MODELS})
        studies[pk] = _study(trial, conditions, _linked(tables, _PACKED["links"].rows(packed["links"])), results)
    return [studies[pk] for pk in trial_ids if pk in studies]


def _result_rows(tables: dict[str, list[tuple]]) -> dict[str, list[dict]]:
    """Results rows keyed for ``results_json``: the tables with rows, each row its columns, parents and key."""
    rows = {}
    for model, table in tables.items():
        if not table:
            continue
        columns, keys = RESULT_COLUMNS[model], tuple(PARENT_KEYS.get(model, {}))
        rows[model] = []
        for pk, *values in table:
            row = dict(zip(columns, values[: len(columns)], strict=True))
            row.update(zip(keys, values[len(columns) :], strict=True))
            row["_key"] = pk
            rows[model].append(row)
    return rows


def _linked(children: dict[str, list[dict]], links: list[tuple]) -> dict[str, list[dict]]:
    """Arms name their interventions, interventions their arms, contacts their site by index."""
    type_labels = dict(choices.InterventionType.choices)
    interventions = {item["id"]: item for item in children["interventions"]}
    arms = {arm["id"]: arm for arm in children["arm_groups"]}
    for arm in children["arm_groups"]:
        arm["intervention_names"] = []
    for item in children["interventions"]:
        item["arm_group_labels"] = []
    arm_order = {arm["id"]: index for index, arm in enumerate(children["arm_groups"])}
    labelled: dict[int, list[tuple[int, int, str]]] = {}
    for arm_id, intervention_id, label_position in links:
        item = interventions[intervention_id]
        name = f"{type_labels.get(item['type'], item['type'])}: {item['name']}" if item["type"] else item["name"]
        # Two interventions of the same name are named once, as the registry does.
        if name not in arms[arm_id]["intervention_names"]:
            arms[arm_id]["intervention_names"].append(name)
        labelled.setdefault(intervention_id, []).append((label_position, arm_order[arm_id], arms[arm_id]["label"]))
    for intervention_id, labels in labelled.items():
        interventions[intervention_id]["arm_group_labels"] = [label for _, _, label in sorted(labels)]
    site_index = {site["id"]: index for index, site in enumerate(children["sites"])}
    for contact in children["contacts"]:
        contact["site"] = site_index[contact["site_id"]] if contact["site_id"] else None
    return children


_TRIAL_WRITER = ObjectWriter(TRIAL_ELEMENTS)
_CHILD_WRITERS = {id(child): ObjectWriter(child.elements) for child in CHILD_LISTS}


def _study(trial: dict, conditions: list[str], children: dict[str, list[dict]], results_rows: dict) -> dict:
    study = _TRIAL_WRITER.write(trial, {})
    for date in PARTIAL_DATES:
        day = trial[f"{date.name}_date"]
        if day is not None:
            struct = {"date": PartialDate(day, trial[f"{date.name}_date_precision"]).isoformat()}
            if trial[f"{date.name}_date_type"]:
                struct["type"] = trial[f"{date.name}_date_type"]
            set_path(study, date.path, struct)
    if conditions:
        set_path(study, RECORD_LISTS[0].path, conditions)
    entries_by_attribute: dict[str, list[dict]] = {}
    for child in CHILD_LISTS:
        items = []
        writer, fixed = _CHILD_WRITERS[id(child)], child.fixed.items()
        for item in children[child.attribute]:
            if any(item[name] != value for name, value in fixed):
                continue
            if child.within and item["site"] is None:
                continue
            entry = writer.write(item, {})
            if child.within:
                entries_by_attribute[child.within][item["site"]].setdefault(child.path, []).append(entry)
            else:
                items.append(entry)
        entries_by_attribute.setdefault(child.attribute, []).extend(items)
        if items:
            set_path(study, child.path, items[0] if child.single else items)
    # The modules' own elements are already in place (TRIAL_ELEMENTS); add their tables.
    for module, tables in results_json(results_rows).items():
        study.setdefault("resultsSection", {}).setdefault(module, {}).update(tables)
    _derive(study, trial)
    return study


def _derive(study: dict, trial: dict) -> None:
    """``derivedSection`` on every study, as the registry always sends it (clients index into it).

    The browse modules hold the MeSH terms on file and are empty objects
    otherwise; ``versionHolder`` is the date of the version we hold, when
    the record was last written here, as the registry dates its own copy.
    """
    derived = study.setdefault("derivedSection", {})
    misc = derived.setdefault("miscInfoModule", {})
    if trial["updated_at"] is not None:
        misc["versionHolder"] = trial["updated_at"].astimezone(datetime.UTC).date().isoformat()
    derived.setdefault("conditionBrowseModule", {})
    derived.setdefault("interventionBrowseModule", {})
    # The registry's order: misc first, then conditions, then interventions.
    study["derivedSection"] = {
        key: derived[key] for key in ("miscInfoModule", "conditionBrowseModule", "interventionBrowseModule")
    }


def stored_rows(trial) -> dict[str, list[dict]]:
    """A stored trial's rows keyed for ``results_json`` (from ``with_results()``: one query per table)."""
    rows = {}
    for model, relation in RESULT_RELATIONS.items():
        columns, keys = RESULT_COLUMNS[model], PARENT_KEYS.get(model, {})
        rows[model] = [
            {
                **{name: getattr(item, name) for name in columns},
                **{key: getattr(item, f"{key}_id") for key in keys},
                "_key": item.pk,
            }
            for item in getattr(trial, relation).all()
        ]
    return rows
