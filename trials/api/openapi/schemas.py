"""The response shapes of the OpenAPI document (``components.schemas``), by the registry's names where it has them."""

from __future__ import annotations

from ...history.diff import KINDS as CHANGE_KINDS
from ...models import VersionSource
from ..params import STATS_TYPES


def schemas() -> dict:
    return {
        "StudyHistory": {
            "type": "object",
            "properties": {
                "nctId": {"type": "string"},
                "versions": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "version": {"type": "integer"},
                            "recordedAt": {"type": "string", "format": "date-time"},
                            "source": {"type": "string", "enum": list(VersionSource.values)},
                            "current": {"type": "boolean"},
                            "changes": {"type": "array", "items": {"type": "string"}},
                            "changeKinds": {
                                "type": "array",
                                "items": {"type": "string", "enum": list(CHANGE_KINDS)},
                            },
                        },
                    },
                },
            },
        },
        "SearchDocumentList": {"type": "array", "items": {"$ref": "#/components/schemas/SearchDocument"}},
        "SearchDocument": {
            "type": "object",
            "additionalProperties": False,
            "required": ["areas", "name"],
            "properties": {
                "name": {"type": "string"},
                "areas": {"type": "array", "items": {"$ref": "#/components/schemas/SearchArea"}},
            },
        },
        "SearchArea": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "parts"],
            "properties": {
                "name": {"type": "string"},
                "param": {"type": "string"},
                "parts": {"type": "array", "items": {"$ref": "#/components/schemas/SearchPart"}},
                "uiLabel": {"type": "string"},
            },
        },
        "SearchPart": {
            "type": "object",
            "additionalProperties": False,
            "required": ["isEnum", "isSynonyms", "pieces", "type", "weight"],
            "properties": {
                "isEnum": {"type": "boolean"},
                "isSynonyms": {"type": "boolean"},
                "pieces": {"type": "array", "items": {"type": "string"}},
                "type": {"type": "string"},
                "weight": {"type": "number", "format": "float"},
            },
        },
        "Study": {
            "type": "object",
            "required": ["derivedSection"],
            "description": (
                "A ClinicalTrials.gov API v2 study: protocolSection, resultsSection, "
                "documentSection, derivedSection and hasResults, for the elements TrialPortal holds. "
                "derivedSection is always present: miscInfoModule.versionHolder (the date the record "
                "was last written here) and the two MeSH browse modules, empty objects when no term is on file."
            ),
            "properties": {
                "protocolSection": {"type": "object"},
                "resultsSection": {"type": "object"},
                "documentSection": {"type": "object"},
                "derivedSection": {
                    "type": "object",
                    "properties": {
                        "miscInfoModule": {"type": "object"},
                        "conditionBrowseModule": {"type": "object"},
                        "interventionBrowseModule": {"type": "object"},
                    },
                },
                "hasResults": {"type": "boolean"},
            },
        },
        "PagedStudies": {
            "type": "object",
            "required": ["studies"],
            "additionalProperties": False,
            "properties": {
                "nextPageToken": {"type": "string"},
                "studies": {"type": "array", "items": {"$ref": "#/components/schemas/Study"}},
                "totalCount": {"type": "integer", "format": "int32"},
            },
        },
        "FieldNode": {
            "type": "object",
            "required": ["name", "piece", "sourceType", "type"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string"},
                "piece": {"type": "string"},
                "sourceType": {"type": "string"},
                "type": {"type": "string"},
                "isEnum": {"type": "boolean"},
                "nested": {"type": "boolean"},
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/FieldNode"}},
            },
        },
        "FieldNodeList": {"type": "array", "items": {"$ref": "#/components/schemas/FieldNode"}},
        "EnumInfo": {
            "type": "object",
            "required": ["pieces", "type", "values"],
            "additionalProperties": False,
            "properties": {
                "type": {"type": "string"},
                "pieces": {"type": "array", "items": {"type": "string"}},
                "values": {"type": "array", "items": {"$ref": "#/components/schemas/EnumItem"}},
            },
        },
        "EnumItem": {
            "type": "object",
            "required": ["legacyValue", "value"],
            "additionalProperties": False,
            "properties": {"value": {"type": "string"}, "legacyValue": {"type": "string"}},
        },
        "EnumInfoList": {"type": "array", "items": {"$ref": "#/components/schemas/EnumInfo"}},
        "FieldValuesStats": {
            "type": "object",
            "required": ["field", "missingStudiesCount", "piece", "type"],
            "additionalProperties": False,
            "properties": {
                "type": {"type": "string", "enum": list(STATS_TYPES)},
                "piece": {"type": "string"},
                "field": {"type": "string"},
                "missingStudiesCount": {"type": "integer", "format": "int32"},
                "uniqueValuesCount": {"type": "integer", "format": "int64"},
                "topValues": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["studiesCount", "value"],
                        "properties": {"value": {"type": "string"}, "studiesCount": {"type": "integer"}},
                    },
                },
                "trueCount": {"type": "integer", "format": "int32"},
                "falseCount": {"type": "integer", "format": "int32"},
                # INTEGER and NUMBER fields: numbers; DATE fields: dates as written, with their formats.
                "min": {"oneOf": [{"type": "number"}, {"type": "string"}]},
                "max": {"oneOf": [{"type": "number"}, {"type": "string"}]},
                "avg": {"type": "number", "format": "double"},
                "formats": {"type": "array", "items": {"type": "string"}},
            },
        },
        "GzipStats": {
            "type": "object",
            "required": ["averageSizeBytes", "largestStudies", "percentiles", "ranges", "totalStudies"],
            "additionalProperties": False,
            "properties": {
                "averageSizeBytes": {"type": "integer", "format": "int32"},
                "largestStudies": {"type": "array", "items": {"$ref": "#/components/schemas/StudySize"}},
                "percentiles": {"type": "object"},
                "ranges": {"type": "array", "items": {"$ref": "#/components/schemas/DistItem"}},
                "totalStudies": {"type": "integer", "format": "int32"},
            },
        },
        "StudySize": {
            "type": "object",
            "required": ["id", "sizeBytes"],
            "additionalProperties": False,
            "properties": {"id": {"type": "string"}, "sizeBytes": {"type": "integer", "format": "int32"}},
        },
        "DistItem": {
            "type": "object",
            "required": ["sizeRange", "studiesCount"],
            "additionalProperties": False,
            "properties": {
                "sizeRange": {"type": "string"},
                "studiesCount": {"type": "integer", "format": "int32"},
            },
        },
        "ListSizes": {
            "type": "object",
            "required": ["field", "piece", "uniqueSizesCount"],
            "additionalProperties": False,
            "properties": {
                "field": {"type": "string"},
                "piece": {"type": "string"},
                "minSize": {"type": "integer"},
                "maxSize": {"type": "integer"},
                "uniqueSizesCount": {"type": "integer", "format": "int64"},
                "topSizes": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["size", "studiesCount"],
                        "properties": {"size": {"type": "integer"}, "studiesCount": {"type": "integer"}},
                    },
                },
            },
        },
        "Version": {
            "type": "object",
            "required": ["apiVersion"],
            "additionalProperties": False,
            "properties": {
                "apiVersion": {"type": "string"},
                "dataTimestamp": {"type": "string", "description": "UTC, yyyy-MM-dd'T'HH:mm:ss"},
            },
        },
    }
