"""Values at paths in ClinicalTrials.gov's JSON, read and written by kind.

Shared by the mapping modules (``mapping`` for the protocol, ``results`` for
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


_PARENT_PARTS: dict[str, tuple[tuple[str, ...], str]] = {}


def set_path(data: dict, path: str, value: Any) -> None:
    split = _PARENT_PARTS.get(path)
    if split is None:
        *parents, last = path.split(".")
        split = _PARENT_PARTS[path] = (tuple(parents), last)
    for part in split[0]:
        data = data.setdefault(part, {})
    data[split[1]] = value


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise StudyError(f"expected text, got {type(value).__name__}")


def _list(value: Any) -> list[str]:
    if value.__class__ is not list:
        raise StudyError("expected a list of strings")
    for item in value:
        if item.__class__ is not str:
            raise StudyError("expected a list of strings")
    return list(value)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise StudyError(f"expected true or false, got {value!r}")
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise StudyError(f"expected a whole number, got {value!r}")
    return value


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise StudyError(f"expected a number, got {value!r}")
    return float(value)


def _date(value: Any) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise StudyError(f"expected a date (YYYY-MM-DD), got {value!r}") from None


# Kind → converter: the value, checked, or StudyError saying what is wrong (the caller names the path).
CONVERTERS = {"text": _text, "list": _list, "bool": _bool, "int": _int, "float": _float, "date": _date}


def read_value(value: Any, kind: str, path: str) -> Any:
    if value is None:
        return None
    try:
        return CONVERTERS[kind](value)
    except StudyError as error:
        raise StudyError(f"{path}: {error}") from None


class ObjectReader:
    """Reads a fixed set of elements out of JSON objects, fast.

    A registry import reads hundreds of elements per study, so the work done
    per element is settled once here: each path is split, elements under the
    same parent object share one walk to it, and each kind has its converter.
    A missing element gets its kind's empty value (``empty``); a wrong one
    raises ``StudyError`` naming its path (built only then).
    """

    def __init__(self, elements: tuple[Element, ...]):
        groups: dict[tuple[str, ...], list[tuple[str, str, Any, Any, str]]] = {}
        for element in elements:
            *parent, leaf = element.path.split(".")
            groups.setdefault(tuple(parent), []).append(
                (element.field, leaf, CONVERTERS[element.kind], empty(element.kind), element.path)
            )
        self.groups = tuple((parent, tuple(leaves)) for parent, leaves in groups.items())

    def read(self, data: dict, where: str = "") -> dict[str, Any]:
        """Field → value for every element; ``where`` prefixes paths in errors (``a.b[].``)."""
        values: dict[str, Any] = {}
        for parent, leaves in self.groups:
            found = data
            for part in parent:
                found = found.get(part) if found.__class__ is dict else None
            if found.__class__ is not dict:
                found = _NOTHING
            for field_name, leaf, convert, blank, path in leaves:
                value = found.get(leaf)
                if value is None:
                    # A fresh list each time: records are changed after reading.
                    values[field_name] = [] if blank.__class__ is list else blank
                    continue
                if convert is _text and value.__class__ is str:
                    values[field_name] = value  # most elements: no call needed
                    continue
                try:
                    values[field_name] = convert(value)
                except StudyError as error:
                    raise StudyError(f"{where}{path}: {error}") from None
        return values


_NOTHING: dict = {}


class ObjectWriter:
    """Writes a fixed set of elements into JSON objects, the way ``ObjectReader`` reads them.

    Paths are split once, and elements under the same parent share one walk
    to it; empty values are left out (and so are parents left empty), as the
    registry leaves them out.
    """

    def __init__(self, elements: tuple[Element, ...]):
        groups: dict[tuple[str, ...], list[tuple[str, str, str]]] = {}
        for element in elements:
            *parent, leaf = element.path.split(".")
            groups.setdefault(tuple(parent), []).append((element.field, leaf, element.kind))
        self.groups = tuple((parent, tuple(leaves)) for parent, leaves in groups.items())

    def write(self, values: dict[str, Any], target: dict) -> dict:
        for parent, leaves in self.groups:
            node = None
            for field_name, leaf, kind in leaves:
                value = values[field_name]
                if value is None or value == "" or value == []:
                    continue
                if kind == "date":
                    value = value.isoformat()
                elif kind == "list":
                    value = list(value)
                if node is None:
                    node = target
                    for part in parent:
                        node = node.setdefault(part, {})
                node[leaf] = value
        return target


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
