"""The ``fields`` parameter: which parts of a study to return, by the registry's names.

The names come from the one mapping (``ctgov.mapping.COVERED_PATHS``), so a
field we hold can be asked for and one we do not is refused: a dotted path
(``protocolSection.identificationModule.nctId``) or a piece name, the
registry's spelling of a node (``NCTId``, ``BriefTitle``,
``IdentificationModule``, ``LocationFacility``, ``StartDate``). A branch
includes its descendants. For CSV, the names are the download's column names,
or the piece names each column is made of.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ..ctgov.mapping import CHILD_LISTS, COVERED_PATHS, PARTIAL_DATES, RECORD_LISTS, TRIAL_ELEMENTS, list_path
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


def _singular(key: str) -> str:
    """A list's key as one of its items: conditions → condition, meshes → mesh, nctIdAliases → nctIdAlias."""
    for plural, single in (
        ("ies", "y"),
        ("eaves", "eaf"),
        ("shes", "sh"),
        ("ches", "ch"),
        ("sses", "ss"),
        ("yses", "ysis"),
        ("iases", "ias"),
    ):
        if key.endswith(plural):
            return key[: -len(plural)] + single
    return key[:-1] if key.endswith("s") and not key.endswith("ss") else key


def _stem(key: str) -> str:
    """A parent's name as a prefix of its children's: suffixes dropped, lists singular."""
    for suffix in _PARENT_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return _capitalised(key[: -len(suffix)])
    return _capitalised(_singular(key))


# The nodes that are lists, which the registry names by one item: lists of objects (``[]`` in a
# path) and lists of values (``conditions``, ``phases``, ``armGroups[].interventionNames``).
LIST_NODES = frozenset(
    [
        ".".join(part.removesuffix("[]") for part in parts[: end + 1])
        for parts in (path.split(".") for path in (*COVERED_PATHS, *DERIVED_PATHS))
        for end, part in enumerate(parts)
        if part.endswith("[]")
    ]
    + [element.path for element in (*TRIAL_ELEMENTS, *RECORD_LISTS) if element.kind == "list"]
    + [
        f"{list_path(child)}.{element.path}"
        for child in CHILD_LISTS
        for element in child.elements
        if element.kind == "list"
    ]
)


def piece_name(parts: list[str], plural: bool = False) -> str:
    """The registry's piece name for the node at ``parts``.

    Sections, modules and a module's own elements are their key capitalised,
    a list by one of its items (``conditions`` → ``Condition``, ``phases`` →
    ``Phase``); an element inside an object or a list is prefixed with its
    parent's stem (``locations[].facility`` → ``LocationFacility``), the
    stem's last word not repeated (``startDateStruct.date`` → ``StartDate``),
    an info inside an info by the outer one's stem (``DesignWhoMasked``).
    ``plural`` keeps a list's own key (``Conditions``), a spelling we also take.
    """
    key = parts[-1] if plural or ".".join(parts) not in LIST_NODES else _singular(parts[-1])
    key = _capitalised(key)
    if len(parts) <= 3:
        return key
    parent = parts[-2]
    if parent.endswith("Info") and parts[-3].endswith("Info"):
        # An info inside an info is named from the outer one: designInfo.maskingInfo.whoMasked → DesignWhoMasked.
        parent = parts[-3]
    stem = _stem(parent)
    return stem if stem.endswith(key) else stem + key


def _node_paths() -> list[str]:
    nodes: dict[str, None] = {}
    for path in (*COVERED_PATHS, *DERIVED_PATHS):
        parts = path.replace("[]", "").split(".")
        for end in range(1, len(parts) + 1):
            nodes[".".join(parts[:end])] = None
    return list(nodes)


def _names() -> dict[str, str]:
    """Lower-cased name → dotted path; a piece name that would mean two places is left out.

    A list also answers to its plural (``Conditions``) where that names nothing else.
    """
    paths = _node_paths()
    pieces: dict[str, set[str]] = {}
    for path in paths:
        pieces.setdefault(piece_name(path.split(".")).lower(), set()).add(path)
    names = {name: next(iter(found)) for name, found in pieces.items() if len(found) == 1}
    for path in LIST_NODES:
        names.setdefault(piece_name(path.split("."), plural=True).lower(), path)
    names.update({path.lower(): path for path in paths})
    return names


# Every name ``fields`` takes for JSON, lower-cased (matching ignores case) → the path it selects.
FIELD_PATHS: dict[str, str] = _names()
# The pieces each column of the registry's CSV download is made of: ``fields`` for CSV takes
# either (``NCTId`` selects ``NCT Number`` and ``Study URL``), as the registry does.
CSV_COLUMN_PIECES = {
    "NCT Number": ("NCTId",),
    "Study Title": ("BriefTitle",),
    "Study URL": ("NCTId",),
    "Acronym": ("Acronym",),
    "Study Status": ("OverallStatus",),
    "Brief Summary": ("BriefSummary",),
    "Study Results": ("HasResults",),
    "Conditions": ("Condition",),
    "Interventions": ("InterventionType", "InterventionName"),
    "Sponsor": ("LeadSponsorName",),
    "Collaborators": ("CollaboratorName",),
    "Sex": ("Sex",),
    "Age": ("MinimumAge", "MaximumAge", "StdAge"),
    "Phases": ("Phase",),
    "Enrollment": ("EnrollmentCount",),
    "Funder Type": ("LeadSponsorClass",),
    "Study Type": ("StudyType",),
    "Study Design": (
        "DesignAllocation",
        "DesignInterventionModel",
        "DesignMasking",
        "DesignWhoMasked",
        "DesignPrimaryPurpose",
    ),
    "Other IDs": ("OrgStudyId", "SecondaryId"),
    "Start Date": ("StartDate",),
    "Primary Completion Date": ("PrimaryCompletionDate",),
    "Completion Date": ("CompletionDate",),
    "First Posted": ("StudyFirstPostDate",),
    "Last Update Posted": ("LastUpdatePostDate",),
    "Locations": ("LocationFacility", "LocationCity", "LocationState", "LocationZip", "LocationCountry"),
}
# Lower-cased column or piece name → the columns it selects.
CSV_FIELDS: dict[str, set[str]] = {name.lower(): {name} for name, _ in CSV_COLUMNS}
for _column, _pieces in CSV_COLUMN_PIECES.items():
    for _piece in _pieces:
        CSV_FIELDS.setdefault(_piece.lower(), set()).add(_column)


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
    wanted = {column for name in names for column in CSV_FIELDS[name.strip().lower()]}
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


# Every element we write, and those the trial row holds (its columns, its partial dates, what is derived from it).
_LEAF_PATHS = tuple(path.replace("[]", "") for path in (*COVERED_PATHS, *DERIVED_PATHS))
_ROW_PATHS = frozenset(
    [element.path for element in TRIAL_ELEMENTS]
    + [f"{date.path}.{part}" for date in PARTIAL_DATES for part in ("date", "type")]
    + list(DERIVED_PATHS)
)


def _selected_paths(selection: dict[str, Any], parents: tuple[str, ...] = ()) -> list[str]:
    paths = []
    for key, branch in selection.items():
        path = (*parents, key)
        paths += [".".join(path)] if branch is True else _selected_paths(branch, path)
    return paths


def row_columns(selection: dict[str, Any] | None) -> frozenset[str] | None:
    """The trial-row columns a JSON selection needs, or ``None`` when it needs the whole study.

    ``None``: no selection, or one that reaches past the trial row into a
    list or table of the trial's own. Otherwise only the columns of the
    selected elements are read (a page of ``NCTId|BriefTitle`` reads two
    short columns, not every description), with the NCT ID always: a page's
    studies are matched to it by their NCT ID.
    """
    if selection is None:
        return None
    paths = _selected_paths(selection)

    def chosen(path: str) -> bool:
        return any(path == selected or path.startswith(selected + ".") for selected in paths)

    if any(leaf not in _ROW_PATHS for leaf in _LEAF_PATHS if chosen(leaf)):
        return None
    columns = {"nct_id", *(element.field for element in TRIAL_ELEMENTS if chosen(element.path))}
    for date in PARTIAL_DATES:
        if chosen(f"{date.path}.date") or chosen(f"{date.path}.type"):
            columns.update(f"{date.name}_date{part}" for part in ("", "_precision", "_type"))
    if any(chosen(path) for path in DERIVED_PATHS):
        columns.add("updated_at")
    return frozenset(columns)


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
