"""Values at paths in ClinicalTrials.gov's JSON, read and written by kind.

Shared by the mapping modules (``ctgov`` for the protocol, ``results`` for
posted results), so an element is checked and converted the same way in both.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Element:
    """One element: model field ← JSON path, of a kind that says how to convert it.

    Kinds: ``text``, ``int``, ``float``, ``bool``, ``list`` (of strings),
    ``date`` (a full ISO date stored in a DateField).
    """

    field: str
    path: str
    kind: str = "text"


class StudyError(ValueError):
    """A study JSON object that is not shaped like a ClinicalTrials.gov study."""


_PATH_PARTS: dict[str, tuple[str, ...]] = {}


def get_path(data: Any, path: str) -> Any:
    parts = _PATH_PARTS.get(path)
    if parts is None:
        parts = _PATH_PARTS[path] = tuple(path.split("."))
    for part in parts:
        if data.__class__ is not dict:
            return None
        data = data.get(part)
    return data


def set_path(data: dict, path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    data[last] = value


def read_value(value: Any, kind: str, path: str) -> Any:
    if value is None:
        return None
    if kind == "list":
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise StudyError(f"{path}: expected a list of strings")
        return list(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise StudyError(f"{path}: expected true or false, got {value!r}")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise StudyError(f"{path}: expected a whole number, got {value!r}")
        return value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise StudyError(f"{path}: expected a number, got {value!r}")
        return float(value)
    if kind == "date":
        try:
            return datetime.date.fromisoformat(value)
        except (TypeError, ValueError):
            raise StudyError(f"{path}: expected a date (YYYY-MM-DD), got {value!r}") from None
    if not isinstance(value, str):
        raise StudyError(f"{path}: expected text, got {type(value).__name__}")
    return value


def write_value(value: Any, kind: str) -> Any:
    if kind == "date" and value is not None:
        return value.isoformat()
    if kind == "list":
        return list(value)
    return value


EMPTY_BY_KIND = {"list": [], "bool": None, "int": None, "float": None, "date": None}


EMPTY = (None, "", [])


def empty(kind: str) -> Any:
    """What a model stores for an element the registry left out."""
    return EMPTY_BY_KIND.get(kind, "")
