"""Trials out: API v2 JSON and the registry's CSV columns.

The JSON shape comes from the mapping in ``ctgov.py``; the CSV columns are
those of ClinicalTrials.gov's CSV download, so spreadsheets made from the
registry and from us line up. ``export_trials``, the API and the list
page's downloads all write through here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from .models import Trial

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


def csv_text(trials: Iterable[Trial], header: bool = True) -> str:
    """Trials (from ``for_detail()``) as CSV, one row each."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header:
        writer.writerow(name for name, _ in CSV_COLUMNS)
    for trial in trials:
        writer.writerow(value(trial) for _, value in CSV_COLUMNS)
    return buffer.getvalue()
