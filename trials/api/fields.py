"""The ``fields`` parameter: which parts of a study to return, by the registry's names.

The names come from the one mapping (``ctgov.mapping.COVERED_PATHS``), so a
field we hold can be asked for and one we do not is refused: a dotted path
(``protocolSection.identificationModule.nctId``) or a piece name, the
registry's spelling of a node (``NCTId``, ``BriefTitle``,
``IdentificationModule``, ``LocationFacility``, ``StartDate``). A branch
includes its descendants. For CSV, the names are the download's column names.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ..ctgov.mapping import COVERED_PATHS
from ..exports import CSV_COLUMNS
from .params import BadRequest, list_values
from .ris import UnknownTags, tag_selection

# Not among the mapping's rows: written by the export itself (see ``exports._derive``).
DERIVED_PATHS = ("derivedSection.miscInfoModule.versionHolder",)
# Parents whose suffix the registry drops when naming their children (designInfo.allocation → DesignAllocation).
_PARENT_SUFFIXES = ("Struct", "Infos", "Info")


def _capitalised(key: str) -> str:
    # The registry spells the NCT number's pieces NCTId, NCTIdAlias...
    return "NCTId" + key[5:] if key.startswith("nctId") else key[0].upper() + key[1:]


def _stem(key: str) -> str:
    """A parent's name as a prefix of its children's: suffixes dropped, lists singular."""
    for suffix in _PARENT_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return _capitalised(key[: -len(suffix)])
    return _capitalised(key[:-1] if key.endswith("s") else key)


def piece_name(parts: list[str]) -> str:
    """The registry's piece name for the node at ``parts``.

    Sections, modules and a module's own elements are their key capitalised;
    an element inside an object or a list is prefixed with its parent's stem
    (``locations[].facility`` → ``LocationFacility``), the stem's last word not
    repeated (``startDateStruct.date`` → ``StartDate``).
    """
    key = _capitalised(parts[-1])
    if len(parts) <= 3:
        return key
    stem = _stem(parts[-2])
    return stem if stem.endswith(key) else stem + key


def _node_paths() -> list[str]:
    nodes: dict[str, None] = {}
    for path in (*COVERED_PATHS, *DERIVED_PATHS):
        parts = path.replace("[]", "").split(".")
        for end in range(1, len(parts) + 1):
            nodes[".".join(parts[:end])] = None
    return list(nodes)


def _names() -> dict[str, str]:
    """Lower-cased name → dotted path; a piece name that would mean two places is left out."""
    paths = _node_paths()
    pieces: dict[str, set[str]] = {}
    for path in paths:
        pieces.setdefault(piece_name(path.split(".")).lower(), set()).add(path)
    names = {name: next(iter(found)) for name, found in pieces.items() if len(found) == 1}
    names.update({path.lower(): path for path in paths})
    return names


# Every name ``fields`` takes for JSON, lower-cased (matching ignores case) → the path it selects.
FIELD_PATHS: dict[str, str] = _names()
CSV_FIELDS: dict[str, str] = {name.lower(): name for name, _ in CSV_COLUMNS}


class UnknownFields(ValueError):
    def __init__(self, names: list[str]):
        super().__init__(f"unknown field {', '.join(names)}")


def json_selection(names: list[str]) -> dict[str, Any]:
    """The paths these names select as a tree: a leaf ``True`` keeps the whole branch."""
    unknown = [name for name in names if name.strip().lower() not in FIELD_PATHS]
    if unknown:
        raise UnknownFields(unknown)
    tree: dict[str, Any] = {}
    for name in names:
        node = tree
        *parents, last = FIELD_PATHS[name.strip().lower()].split(".")
        for key in parents:
            child = node.setdefault(key, {})
            if child is True:
                break
            node = child
        else:
            node[last] = True
    return tree


def csv_selection(names: list[str]) -> list[str]:
    """The CSV columns these names select, in the download's order."""
    unknown = [name for name in names if name.strip().lower() not in CSV_FIELDS]
    if unknown:
        raise UnknownFields(unknown)
    wanted = {CSV_FIELDS[name.strip().lower()] for name in names}
    return [name for name, _ in CSV_COLUMNS if name in wanted]


def project(value: Any, selection: dict[str, Any] | bool) -> Any:
    """``value`` with only the selected branches; objects and lists left empty are dropped (``None``)."""
    if selection is True:
        return value
    if isinstance(value, list):
        items = [kept for item in value if (kept := project(item, selection)) is not None]
        return items or None
    if not isinstance(value, dict):
        return None
    kept = {
        key: part
        for key, branch in selection.items()
        if key in value
        if (part := project(value[key], branch)) is not None
    }
    return kept or None


def field_selection(request: HttpRequest, output: str) -> dict | list[str] | None:
    """``fields``: a tree of paths for JSON, column names for CSV, tags for RIS; ``None`` for everything.

    FHIR resources are whole, as the registry says: ``fields`` must be left out.
    """
    if "fields" not in request.GET:
        return None
    if output == "fhir.json":
        raise BadRequest("fields", "fhir.json returns every field and takes no fields; leave the parameter out")
    names = list_values(request, "fields")
    if not names:
        raise BadRequest("fields", "must name at least one field")
    try:
        if output == "ris":
            return tag_selection(names)
        return csv_selection(names) if output == "csv" else json_selection(names)
    except (UnknownFields, UnknownTags) as error:
        raise BadRequest("fields", str(error)) from None
