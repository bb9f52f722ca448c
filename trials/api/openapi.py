"""The OpenAPI 3.0.3 description of TrialPortal's ``/api/v2``: what this server supports.

Names, syntax and shapes are ClinicalTrials.gov's (API 2.0.5); parameters
the registry has and we do not are left out, and get a 400 when sent. What
each parameter accepts comes from ``params``, as the endpoints read it.
"""

from __future__ import annotations

from .. import choices
from ..exports import CSV_COLUMNS
from ..history.diff import KINDS as CHANGE_KINDS
from ..models import VersionSource
from ..search.areas import SEARCH_AREAS
from .aggregations import AGG_FILTERS
from .params import (
    API_VERSION,
    DEFAULT_PAGE_SIZE,
    FIELD_PATTERN,
    GEO_DECAY_DEFAULT,
    GEO_DECAY_PATTERN,
    GEO_DEFAULT_UNIT,
    GEO_PARAMETERS,
    GEO_PATTERN,
    LIST_FORMATS,
    MARKUP_FORMAT,
    MARKUP_FORMATS,
    MAX_PAGE_SIZE,
    MAX_SORT_OPTIONS,
    METADATA_PARAMETERS,
    NCT_ID_PATTERN,
    SORT_FIELDS,
    SORT_PATTERN,
    STATS_TYPES,
    STUDY_FORMATS,
)

_TEXT_ERROR = {"description": "Bad Request", "content": {"text/plain": {"schema": {"type": "string"}}}}


def _query(name: str, description: str, schema: dict | None = None, **extra) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
        **extra,
    }


def _pipe_list(items: dict) -> dict:
    return {"style": "pipeDelimited", "explode": False, "schema": {"type": "array", "items": items}}


def description(server_url: str) -> dict:
    status = {"type": "string", "enum": list(choices.OverallStatus.values)}
    nct = {"type": "string", "pattern": NCT_ID_PATTERN}
    fields = _query(
        "fields",
        "Comma- or pipe-separated names of what to return. For json: piece names (NCTId, BriefTitle, "
        "IdentificationModule, LocationCity, StartDate...; any case) or dotted paths "
        "(protocolSection.identificationModule.nctId); a branch brings all its descendants. For csv: "
        "the download's column names (" + ", ".join(name for name, _ in CSV_COLUMNS) + "). "
        "Unknown names get a 400 naming them.",
        **_pipe_list({"type": "string", "pattern": FIELD_PATTERN}),
    )
    fields["schema"]["minItems"] = 1
    markup = _query(
        "markupFormat",
        "Format of markup fields (descriptions, eligibility criteria, comments), json only: markdown as "
        "the registry writes it, or legacy, the classic PRS text (the same lines without markdown's "
        "backslash escapes).",
        {"type": "string", "enum": list(MARKUP_FORMATS), "default": MARKUP_FORMAT},
    )
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "TrialPortal API (ClinicalTrials.gov API v2 compatible)",
            "version": API_VERSION,
            "description": (
                "The studies on file at this TrialPortal, in ClinicalTrials.gov's API v2 shape. Query text is "
                'terms and "quoted phrases" (all must match), OR between alternatives, -term or NOT term '
                "to exclude; matching is case-insensitive substring matching. Unknown parameters get a 400."
            ),
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/studies": {
                "get": {
                    "operationId": "listStudies",
                    "summary": "Studies",
                    "parameters": [
                        _query(
                            "format",
                            "json or csv (the registry's CSV download columns).",
                            {"type": "string", "enum": sorted(LIST_FORMATS), "default": "json"},
                        ),
                        markup,
                        fields,
                        *(
                            _query(
                                area.param,
                                f"{area.ui_label} ({area.name}): "
                                + ", ".join(piece for part in area.parts for piece in part.pieces)
                                + ". See /studies/search-areas.",
                            )
                            for area in SEARCH_AREAS
                        ),
                        _query("filter.overallStatus", "Comma- or pipe-separated statuses.", **_pipe_list(status)),
                        _query("postFilter.overallStatus", "Same as filter.overallStatus.", **_pipe_list(status)),
                        _query("filter.ids", "Comma- or pipe-separated NCT IDs.", **_pipe_list(nct)),
                        _query("postFilter.ids", "Same as filter.ids.", **_pipe_list(nct)),
                        *(
                            _query(
                                name,
                                "Studies with a site within the distance of the point: distance(latitude,longitude,"
                                f"distance), the distance in km or mi ({GEO_DEFAULT_UNIT} when no unit is given).",
                                {"type": "string", "pattern": GEO_PATTERN},
                                example="distance(39.0035707,-77.1013313,50mi)",
                            )
                            for name in GEO_PARAMETERS
                        ),
                        _query(
                            "geoDecay",
                            "How relevance falls with the distance from filter.geo's point to a study's closest "
                            "site: without a sort, studies come nearest first (ties within the offset, and past "
                            "where a linear decay reaches 0, by NCT ID). Ignored without filter.geo.",
                            {"type": "string", "pattern": GEO_DECAY_PATTERN, "default": GEO_DECAY_DEFAULT},
                        ),
                        _query(
                            "filter.advanced",
                            "An Essie expression: AREA[Piece]term, AREA[Piece]RANGE[from,to] (MIN, MAX, dates, "
                            "numbers, ages), AREA[Piece]MISSING, AND/OR/NOT, parentheses, quoted phrases, "
                            "EXPANSION[...], COVERAGE[...], SEARCH[Location](...). See /api/.",
                            examples={"sync": {"value": "AREA[LastUpdatePostDate]RANGE[2025-06-01,MAX]"}},
                        ),
                        _query("postFilter.advanced", "Same as filter.advanced."),
                        _query(
                            "filter.synonyms",
                            "Area:MeSH descriptor UI pairs (ConditionSearch:D007172): the trials the area finds "
                            "by the descriptor's name or filed under it. The registry's numeric ids are refused.",
                            **_pipe_list({"type": "string"}),
                        ),
                        _query("postFilter.synonyms", "Same as filter.synonyms.", **_pipe_list({"type": "string"})),
                        _query(
                            "aggFilters",
                            "filter_id:space-separated option keys, comma- or pipe-separated: "
                            + "; ".join(f"{name}: {' '.join(options)}" for name, options in AGG_FILTERS.items())
                            + ".",
                            examples={"example": {"value": "results:with,status:com rec,phase:2 3"}},
                        ),
                        _query(
                            "sort",
                            f"Up to {MAX_SORT_OPTIONS} of "
                            + ", ".join(SORT_FIELDS)
                            + " or @relevance, each with :asc or :desc.",
                            **_pipe_list({"type": "string", "pattern": SORT_PATTERN}),
                        ),
                        _query(
                            "countTotal",
                            "Return totalCount with the first page.",
                            {"type": "boolean", "default": False},
                        ),
                        _query(
                            "pageSize",
                            f"Studies per page, default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE}.",
                            {"type": "integer", "format": "int32", "minimum": 0},
                        ),
                        _query(
                            "pageToken", "nextPageToken of the previous page (for CSV: the x-next-page-token header)."
                        ),
                    ],
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/PagedStudies"}},
                                "text/csv": {
                                    "schema": {
                                        "type": "string",
                                        "description": "Columns: " + ", ".join(name for name, _ in CSV_COLUMNS),
                                    }
                                },
                            },
                        },
                        "400": _TEXT_ERROR,
                    },
                }
            },
            "/studies/{nctId}": {
                "get": {
                    "operationId": "fetchStudy",
                    "summary": "Single Study",
                    "parameters": [
                        {"name": "nctId", "in": "path", "required": True, "schema": nct},
                        _query(
                            "format",
                            "json, csv or json.zip.",
                            {"type": "string", "enum": sorted(STUDY_FORMATS), "default": "json"},
                        ),
                        markup,
                        fields,
                    ],
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Study"}},
                                "text/csv": {"schema": {"type": "string"}},
                                "application/zip": {"schema": {"type": "string", "format": "binary"}},
                            },
                        },
                        "400": _TEXT_ERROR,
                        "404": {"description": "Not Found", "content": {"text/plain": {"schema": {"type": "string"}}}},
                    },
                }
            },
            "/studies/{nctId}/history": {
                "get": {
                    "operationId": "studyHistory",
                    "summary": "Study History",
                    "description": "TrialPortal's extension: every version of the study kept here, newest first "
                    "(the registry's API returns the latest only), each with when it was recorded, its source "
                    "(import, sync or admin, a staff edit) and what it changed in plain words. With version=N, "
                    "the study as that version said it, in the shape of /studies/{nctId}.",
                    "parameters": [
                        {"name": "nctId", "in": "path", "required": True, "schema": nct},
                        _query(
                            "version",
                            "A version number, from 1 (the first recorded).",
                            {"type": "integer", "minimum": 1},
                        ),
                    ],
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "oneOf": [
                                            {"$ref": "#/components/schemas/StudyHistory"},
                                            {"$ref": "#/components/schemas/Study"},
                                        ]
                                    }
                                }
                            },
                        },
                        "400": _TEXT_ERROR,
                        "404": {"description": "Not Found", "content": {"text/plain": {"schema": {"type": "string"}}}},
                    },
                }
            },
            "/studies/metadata": {
                "get": {
                    "operationId": "studiesMetadata",
                    "summary": "Data Model Fields",
                    "description": "The data structure this server holds, generated from its mapping: sections, "
                    "modules, structs and leaves with their piece names, types and enumerations. No field is "
                    "indexed-only or historic-only here, so both flags give the same tree.",
                    "parameters": [
                        _query(
                            name,
                            "Accepted as the registry's; changes nothing here.",
                            {"type": "boolean", "default": False},
                        )
                        for name in sorted(METADATA_PARAMETERS)
                    ],
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FieldNodeList"}}},
                        },
                        "400": _TEXT_ERROR,
                    },
                }
            },
            "/studies/enums": {
                "get": {
                    "operationId": "enums",
                    "summary": "Enums",
                    "description": "Each enumeration held, the pieces of that type and its values; legacyValue is "
                    "the label the classic API used.",
                    "parameters": [],
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EnumInfoList"}}},
                        },
                        "400": _TEXT_ERROR,
                    },
                }
            },
            "/studies/search-areas": {
                "get": {
                    "operationId": "searchAreas",
                    "summary": "Search Areas",
                    "description": "Each query.* parameter: the registry's area name, the pieces it searches and "
                    "their weight. Only query.term is ranked (on PostgreSQL, by its full-text weights); the other "
                    "areas match case-insensitive substrings, so their parts weigh the same.",
                    "parameters": [],
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/SearchDocumentList"}}
                            },
                        },
                        "400": _TEXT_ERROR,
                    },
                }
            },
            "/stats/field/values": {
                "get": {
                    "operationId": "fieldValuesStats",
                    "summary": "Field Values",
                    "description": "The studies on file counted by value, for the enumerations and yes/no elements "
                    "of the trial record; other types get a 400 saying they are not summarised here.",
                    "parameters": [
                        _query(
                            "types",
                            "ENUM or BOOLEAN, comma- or pipe-separated.",
                            **_pipe_list({"type": "string", "enum": list(STATS_TYPES)}),
                        ),
                        _query(
                            "fields",
                            "Piece names or paths of the elements to summarise.",
                            **_pipe_list({"type": "string", "pattern": FIELD_PATTERN}),
                        ),
                    ],
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/FieldValuesStats"},
                                    }
                                }
                            },
                        },
                        "400": _TEXT_ERROR,
                    },
                }
            },
            "/stats/field/sizes": {
                "get": {
                    "operationId": "listFieldSizesStats",
                    "summary": "List Field Sizes",
                    "description": "The studies on file counted by the length of each list held (conditions, "
                    "locations, arms, interventions, outcomes, references, MeSH terms...); studies without "
                    "the list are not counted.",
                    "parameters": [
                        _query(
                            "fields",
                            "Piece names or paths of the lists; all of them when left out.",
                            **_pipe_list({"type": "string", "pattern": FIELD_PATTERN}),
                        ),
                    ],
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {
                                "application/json": {
                                    "schema": {"type": "array", "items": {"$ref": "#/components/schemas/ListSizes"}}
                                }
                            },
                        },
                        "400": _TEXT_ERROR,
                    },
                }
            },
            "/stats/size": {
                "get": {
                    "operationId": "sizeStats",
                    "summary": "Study Sizes",
                    "description": "Statistics of the studies' JSON sizes in bytes (as /studies/{nctId} sends them).",
                    "parameters": [],
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/GzipStats"}}},
                        },
                        "400": _TEXT_ERROR,
                    },
                }
            },
            "/version": {
                "get": {
                    "operationId": "version",
                    "summary": "Version",
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Version"}}},
                        },
                    },
                }
            },
        },
        "components": {
            "schemas": {
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
        },
    }
