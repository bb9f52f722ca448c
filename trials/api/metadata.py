"""``/studies/metadata`` and ``/studies/enums``: the data structure we hold and its enumerations.

Both are generated from the one mapping (``ctgov.mapping``, ``ctgov.results``)
and the models' choices (``trials.choices``), so what they describe is what
the export writes; nothing is listed here a second time.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models as django_models

from .. import choices, models
from ..ctgov.mapping import CHILD_LISTS, PARTIAL_DATES, RECORD_LISTS, TRIAL_ELEMENTS, ChildList
from ..ctgov.results import RESULT_ELEMENTS
from .fields import DERIVED_PATHS, piece_name
from .markup import MARKUP_PATHS

# Our choices whose registry type name differs from the class name (the registry's ``/studies/enums``).
_REGISTRY_ENUM_NAMES = {
    "OverallStatus": "Status",
    "Allocation": "DesignAllocation",
    "InterventionModel": "InterventionalAssignment",
    "Masking": "DesignMasking",
    "TimePerspective": "DesignTimePerspective",
    "IpdInfoType": "IpdSharingInfoType",
}
# Element kinds → the registry's (type, sourceType).
_KINDS = {
    "text": ("text", "TEXT"),
    "int": ("integer", "NUMERIC"),
    "float": ("number", "NUMERIC"),
    "bool": ("boolean", "BOOLEAN"),
    "date": ("date", "DATE"),
    "list": ("text[]", "TEXT"),
    "partial date": ("PartialDate", "DATE"),
}


@dataclass(frozen=True)
class Leaf:
    """One element we hold: its JSON path (``[]`` after lists), its kind and its enumeration, if any."""

    path: str
    kind: str
    enum: type[django_models.TextChoices] | None = None
    # The trial's own column, for elements stored on the trial row.
    column: str = ""


def _enum_classes() -> dict[frozenset[str], list[type[django_models.TextChoices]]]:
    found: dict[frozenset[str], list[type[django_models.TextChoices]]] = {}
    for _, cls in inspect.getmembers(choices, inspect.isclass):
        if issubclass(cls, django_models.TextChoices) and cls is not django_models.TextChoices:
            found.setdefault(frozenset(cls.values), []).append(cls)
    return found


_ENUMS = _enum_classes()


def _enum(model: type[django_models.Model], field: str, path: str) -> type[django_models.TextChoices] | None:
    """The choices of the column behind ``path``; of two with the same values, the one the piece is named after."""
    try:
        model_field = model._meta.get_field(field)
    except FieldDoesNotExist:  # a record attribute the export writes, not a column
        return None
    if hasattr(model_field, "base_field"):  # an array of enumerated values
        model_field = model_field.base_field
    candidates = _ENUMS.get(frozenset(value for value, _ in model_field.choices or []), [])
    piece = piece_name(path.replace("[]", "").split("."))
    named = [cls for cls in candidates if piece.endswith(cls.__name__)]
    return (named or candidates or [None])[0]


def _child_path(child: ChildList) -> str:
    if not child.within:
        return child.path
    outer = next(other for other in CHILD_LISTS if other.attribute == child.within)
    return f"{outer.path}[].{child.path}"


def _leaves() -> list[Leaf]:
    leaves = [
        Leaf(element.path, element.kind, _enum(models.Trial, element.field, element.path), element.field)
        for element in TRIAL_ELEMENTS
    ]
    for date in PARTIAL_DATES:
        leaves += [Leaf(f"{date.path}.date", "partial date"), Leaf(f"{date.path}.type", "text", choices.DateType)]
    leaves += [Leaf(element.path, element.kind) for element in RECORD_LISTS]
    for child in CHILD_LISTS:
        model = getattr(models, child.record.__name__.removesuffix("Record"))
        prefix = _child_path(child) + ("." if child.single else "[].")
        leaves += [
            Leaf(prefix + element.path, element.kind, _enum(model, element.field, prefix + element.path))
            for element in child.elements
        ]
    for path, model_name, element in RESULT_ELEMENTS:
        leaves.append(Leaf(path, element.kind, _enum(getattr(models, model_name), element.field, path)))
    leaves += [Leaf(path, "date") for path in DERIVED_PATHS]
    return leaves


LEAVES: tuple[Leaf, ...] = tuple({leaf.path: leaf for leaf in _leaves()}.values())
_MARKUP = frozenset(MARKUP_PATHS)


def enum_name(cls: type[django_models.TextChoices]) -> str:
    return _REGISTRY_ENUM_NAMES.get(cls.__name__, cls.__name__)


def _leaf_node(name: str, parts: list[str], leaf: Leaf) -> dict[str, Any]:
    kind, source = _KINDS[leaf.kind]
    if leaf.path in _MARKUP:
        kind, source = "markup", "MARKUP"
    node: dict[str, Any] = {"name": name, "piece": piece_name(parts), "sourceType": source, "type": kind}
    if leaf.enum is not None:
        node.update(sourceType="ENUM", type=enum_name(leaf.enum) + ("[]" if leaf.kind == "list" else ""), isEnum=True)
    return node


def field_tree() -> list[dict[str, Any]]:
    """The data structure as the registry's ``FieldNode`` list: sections, modules, structs and leaves."""
    root: dict[str, Any] = {}
    for leaf in LEAVES:
        node = root
        keys = leaf.path.split(".")
        for key in keys[:-1]:
            node = node.setdefault(key.removesuffix("[]"), {"_list": key.endswith("[]")})
        node[keys[-1]] = leaf
    return _nodes(root, [])


def _nodes(tree: dict[str, Any], parents: list[str]) -> list[dict[str, Any]]:
    nodes = []
    for name, value in tree.items():
        if name == "_list":
            continue
        parts = [*parents, name]
        if isinstance(value, Leaf):
            nodes.append(_leaf_node(name, parts, value))
            continue
        piece = piece_name(parts)
        node = {"name": name, "piece": piece, "sourceType": "STRUCT", "type": piece + ("[]" if value["_list"] else "")}
        if value["_list"]:
            node["nested"] = True
        node["children"] = _nodes(value, parts)
        nodes.append(node)
    return nodes


def enum_list() -> list[dict[str, Any]]:
    """The registry's ``EnumInfo`` list: each enumeration we hold, the pieces of that type, its values.

    ``legacyValue`` is the label the classic API used (our choices' labels are the registry's).
    """
    pieces: dict[type[django_models.TextChoices], list[str]] = {}
    for leaf in LEAVES:
        if leaf.enum is not None:
            pieces.setdefault(leaf.enum, []).append(piece_name(leaf.path.replace("[]", "").split(".")))
    return [
        {
            "type": enum_name(cls),
            "pieces": list(dict.fromkeys(names)),
            "values": [{"value": value, "legacyValue": str(label)} for value, label in cls.choices],
        }
        for cls, names in pieces.items()
    ]
