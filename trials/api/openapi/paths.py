"""The paths of the OpenAPI document: each endpoint, its parameters and its responses."""

from __future__ import annotations

from ...exports import CSV_COLUMNS
from ..fhir import CONTENT_TYPE as FHIR_CONTENT_TYPE
from ..ris import CONTENT_TYPE as RIS_CONTENT_TYPE
from ..ris import TAG_NAMES
from .parameters import (
    field_sizes_parameters,
    field_values_parameters,
    history_parameters,
    list_parameters,
    metadata_parameters,
    study_parameters,
)

TEXT_ERROR = {"description": "Bad Request", "content": {"text/plain": {"schema": {"type": "string"}}}}


def paths() -> dict:
    return {
        "/studies": {
            "get": {
                "operationId": "listStudies",
                "summary": "Studies",
                "parameters": list_parameters(),
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
                    "400": TEXT_ERROR,
                },
            }
        },
        "/studies/{nctId}": {
            "get": {
                "operationId": "fetchStudy",
                "summary": "Single Study",
                "parameters": study_parameters(),
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Study"}},
                            "text/csv": {"schema": {"type": "string"}},
                            "application/zip": {
                                "schema": {
                                    "type": "string",
                                    "format": "binary",
                                    "description": "One file, <nctId>.json: the study as json sends it, in markdown.",
                                }
                            },
                            FHIR_CONTENT_TYPE: {
                                "schema": {
                                    "type": "object",
                                    "description": "An HL7 FHIR R4 ResearchStudy, with its enrollment group, "
                                    "sponsors, investigator and sites contained.",
                                }
                            },
                            RIS_CONTENT_TYPE: {
                                "schema": {"type": "string", "description": "Tags: " + ", ".join(TAG_NAMES)}
                            },
                        },
                    },
                    "301": {"description": "Moved Permanently: the NCT ID is an alias of the study at Location."},
                    "400": TEXT_ERROR,
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
                "parameters": history_parameters(),
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
                    "400": TEXT_ERROR,
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
                "parameters": metadata_parameters(),
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FieldNodeList"}}},
                    },
                    "400": TEXT_ERROR,
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
                    "400": TEXT_ERROR,
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
                    "400": TEXT_ERROR,
                },
            }
        },
        "/stats/field/values": {
            "get": {
                "operationId": "fieldValuesStats",
                "summary": "Field Values",
                "description": "The studies on file counted by value, for the enumerations and yes/no elements "
                "of the trial record and the elements of its lists (Phase, Condition, InterventionName, an arm's "
                "interventionNames: a study once per value, names listing the 100 held by most studies); the least, "
                "greatest and mean of numbers, the earliest and latest of dates. Free text gets a 400 saying it is "
                "not summarised here.",
                "parameters": field_values_parameters(),
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
                    "400": TEXT_ERROR,
                },
            }
        },
        "/stats/field/sizes": {
            "get": {
                "operationId": "listFieldSizesStats",
                "summary": "List Field Sizes",
                "description": "The studies on file counted by the length of each list held (phases, conditions, "
                "locations, arms, an arm's intervention names, interventions, outcomes, references, MeSH terms...); "
                "studies without the list are not counted.",
                "parameters": field_sizes_parameters(),
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {
                            "application/json": {
                                "schema": {"type": "array", "items": {"$ref": "#/components/schemas/ListSizes"}}
                            }
                        },
                    },
                    "400": TEXT_ERROR,
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
                    "400": TEXT_ERROR,
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
    }
