"""Reading a ClinicalTrials.gov API v2 study into a plain record, through the mapping's rows."""

from __future__ import annotations

import re
from typing import Any

from ..values import PartialDate
from .elements import ObjectReader, StudyError, get_path
from .elements import read_value as _read
from .mapping import CHILD_LISTS, ID, PARTIAL_DATES, RECORD_LISTS, TRIAL_ELEMENTS, ChildList
from .records import TrialRecord
from .results import read_results, record_rows, results_json

_DOI = re.compile(r"\bdoi:\s*(10\.\S+?)\.?(?=\s|$)", re.IGNORECASE)


def project(study: Any, path: str) -> Any:
    """The value at a covered path; ``a[].b`` lists ``b`` of every item of ``a``, nested lists nest."""
    if "[]" not in path:
        return get_path(study, path)
    list_path, item_path = path.split("[].", 1)
    items = get_path(study, list_path)
    if items is None:
        return None
    return [project(item, item_path) for item in (items if isinstance(items, list) else [items])]


# Readers for the rows above, each built once (see ``ObjectReader``).
_TRIAL_READER = ObjectReader(TRIAL_ELEMENTS[1:])
_CHILD_READERS = {id(child): ObjectReader(child.elements) for child in CHILD_LISTS}
_OUTER_LISTS = {
    id(child): next(other for other in CHILD_LISTS if other.attribute == child.within)
    for child in CHILD_LISTS
    if child.within
}


def study_to_record(study: Any) -> TrialRecord:
    """Read one API v2 study object; ``StudyError`` says what is wrong with it."""
    if not isinstance(study, dict) or not isinstance(study.get("protocolSection"), dict):
        raise StudyError("not a study: no protocolSection object")
    nct_id = get_path(study, f"{ID}.nctId")
    if not isinstance(nct_id, str) or not nct_id:
        raise StudyError(f"{ID}.nctId is missing")
    record = TrialRecord(nct_id=nct_id)
    record.fields = _TRIAL_READER.read(study)
    for date in PARTIAL_DATES:
        struct = get_path(study, date.path)
        if struct is None:
            record.set_date(date.name, None)
            continue
        if not isinstance(struct, dict):
            raise StudyError(f"{date.path}: expected an object with a date")
        try:
            parsed = PartialDate.parse(_read(struct.get("date"), "text", f"{date.path}.date") or "")
        except ValueError as error:
            raise StudyError(f"{date.path}.date: {error}") from None
        record.set_date(date.name, parsed, _read(struct.get("type"), "text", f"{date.path}.type") or "")
    record.conditions = _read(get_path(study, RECORD_LISTS[0].path), "list", RECORD_LISTS[0].path) or []
    for child in CHILD_LISTS:
        if child.within:
            outer = _OUTER_LISTS[id(child)]
            # Already checked as a list of objects when the outer list was read.
            for index, outer_item in enumerate(get_path(study, outer.path) or []):
                _read_items(record, child, get_path(outer_item, child.path), f"{outer.path}[].{child.path}", index)
        else:
            _read_items(record, child, get_path(study, child.path), child.path)
    for reference in record.references:
        doi = _DOI.search(reference.citation)
        reference.doi = doi.group(1) if doi else ""
    record.results = read_results(study)
    return record


def _read_items(record: TrialRecord, child: ChildList, items: Any, path: str, within: int | None = None) -> None:
    if items is None:
        return
    if child.single:
        items = [items]
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise StudyError(f"{path}: expected {'an object' if child.single else 'a list of objects'}")
    reader, make, fixed = _CHILD_READERS[id(child)], child.record, child.fixed
    target = getattr(record, child.attribute)
    where = f"{path}[]."
    for item in items:
        values = reader.read(item, where)
        if child.within:
            values["site"] = within
        target.append(make(**values, **fixed))


def record_to_results(record: TrialRecord) -> dict:
    """A record's ``resultsSection`` tables, as the export would write them."""
    return results_json(record_rows(record.results))
