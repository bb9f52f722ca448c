"""The parameters of the OpenAPI document: each one the endpoints read, as ``params`` declares what it accepts."""

from __future__ import annotations

from ... import choices
from ...exports import CSV_COLUMNS
from ...search.areas import SEARCH_AREAS
from ..aggregations import AGG_FILTERS
from ..params import (
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
from ..ris import TAG_NAMES

NCT_ID = {"type": "string", "pattern": NCT_ID_PATTERN}
_STATUS = {"type": "string", "enum": list(choices.OverallStatus.values)}


def query(name: str, description: str, schema: dict | None = None, **extra) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
        **extra,
    }


def pipe_list(items: dict) -> dict:
    return {"style": "pipeDelimited", "explode": False, "schema": {"type": "array", "items": items}}


def nct_id_path(aliases: bool = False) -> dict:
    parameter = {"name": "nctId", "in": "path", "required": True, "schema": NCT_ID}
    if aliases:
        parameter["description"] = (
            "NCT Number of a study. One the registry merged into another study (nctIdAliases) "
            "answers 301 with the study's URL."
        )
    return parameter


def _fields() -> dict:
    fields = query(
        "fields",
        "Comma- or pipe-separated names of what to return. For json: piece names (NCTId, BriefTitle, "
        "IdentificationModule, LocationCity, StartDate...; any case; a list is named by one item: Condition, "
        "Phase) or dotted paths (protocolSection.identificationModule.nctId); a branch brings all its "
        "descendants. For csv: the pieces a column is made of, or the download's column names ("
        + ", ".join(name for name, _ in CSV_COLUMNS)
        + "). For ris: tags "
        "(" + ", ".join(TAG_NAMES) + "). Not with fhir.json, which is always whole. "
        "Unknown names get a 400 naming them.",
        **pipe_list({"type": "string", "pattern": FIELD_PATTERN}),
    )
    fields["schema"]["minItems"] = 1
    return fields


def _markup() -> dict:
    return query(
        "markupFormat",
        "Format of markup fields (descriptions, eligibility criteria, comments), json only: markdown as "
        "the registry writes it, or legacy, the classic PRS text (the same lines without markdown's "
        "backslash escapes).",
        {"type": "string", "enum": list(MARKUP_FORMATS), "default": MARKUP_FORMAT},
    )


def list_parameters() -> list[dict]:
    """``/studies``."""
    return [
        query(
            "format",
            "json or csv (the registry's CSV download columns).",
            {"type": "string", "enum": sorted(LIST_FORMATS), "default": "json"},
        ),
        _markup(),
        _fields(),
        *(
            query(
                area.param,
                f"{area.ui_label} ({area.name}): "
                + ", ".join(piece for part in area.parts for piece in part.pieces)
                + ". Words, quoted phrases, or an Essie expression as filter.advanced takes."
                + " See /studies/search-areas.",
            )
            for area in SEARCH_AREAS
        ),
        query("filter.overallStatus", "Comma- or pipe-separated statuses.", **pipe_list(_STATUS)),
        query("postFilter.overallStatus", "Same as filter.overallStatus.", **pipe_list(_STATUS)),
        query("filter.ids", "Comma- or pipe-separated NCT IDs.", **pipe_list(NCT_ID)),
        query("postFilter.ids", "Same as filter.ids.", **pipe_list(NCT_ID)),
        *(
            query(
                name,
                "Studies with a site within the distance of the point: distance(latitude,longitude,"
                f"distance), the distance in km or mi ({GEO_DEFAULT_UNIT} when no unit is given).",
                {"type": "string", "pattern": GEO_PATTERN},
                example="distance(39.0035707,-77.1013313,50mi)",
            )
            for name in GEO_PARAMETERS
        ),
        query(
            "geoDecay",
            "How relevance falls with the distance from filter.geo's point to a study's closest "
            "site: without a sort, studies come nearest first (ties within the offset, and past "
            "where a linear decay reaches 0, by NCT ID). Ignored without filter.geo.",
            {"type": "string", "pattern": GEO_DECAY_PATTERN, "default": GEO_DECAY_DEFAULT},
        ),
        query(
            "filter.advanced",
            "An Essie expression: AREA[Piece]term, AREA[Piece]RANGE[from,to] (MIN, MAX, dates, "
            "numbers, ages), AREA[Piece]MISSING, AND/OR/NOT, parentheses, quoted phrases, "
            "EXPANSION[...], COVERAGE[...], SEARCH[Location](...). See /api/.",
            examples={"sync": {"value": "AREA[LastUpdatePostDate]RANGE[2025-06-01,MAX]"}},
        ),
        query("postFilter.advanced", "Same as filter.advanced."),
        query(
            "filter.synonyms",
            "Area:MeSH descriptor UI pairs (ConditionSearch:D007172): the trials the area finds "
            "by the descriptor's name or filed under it. The registry's numeric ids are refused.",
            **pipe_list({"type": "string"}),
        ),
        query("postFilter.synonyms", "Same as filter.synonyms.", **pipe_list({"type": "string"})),
        query(
            "aggFilters",
            "filter_id:space-separated option keys, comma- or pipe-separated: "
            + "; ".join(f"{name}: {' '.join(options)}" for name, options in AGG_FILTERS.items())
            + ".",
            examples={"example": {"value": "results:with,status:com rec,phase:2 3"}},
        ),
        query(
            "sort",
            f"Up to {MAX_SORT_OPTIONS} of " + ", ".join(SORT_FIELDS) + " or @relevance, each with :asc or :desc.",
            **pipe_list({"type": "string", "pattern": SORT_PATTERN}),
        ),
        query(
            "countTotal",
            "Return totalCount with the first page.",
            {"type": "boolean", "default": False},
        ),
        query(
            "pageSize",
            f"Studies per page, default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE}.",
            {"type": "integer", "format": "int32", "minimum": 0},
        ),
        query("pageToken", "nextPageToken of the previous page (for CSV: the x-next-page-token header)."),
    ]


def study_parameters() -> list[dict]:
    """``/studies/{nctId}``."""
    return [
        nct_id_path(aliases=True),
        query(
            "format",
            "json; csv; json.zip (the json in a .json file, zipped; markup in markdown); fhir.json (an HL7 "
            "FHIR R4 ResearchStudy; fields must be left out); ris (a RIS record for citation managers, "
            "with the registry's tags: " + ", ".join(TAG_NAMES) + ").",
            {"type": "string", "enum": sorted(STUDY_FORMATS), "default": "json"},
        ),
        _markup(),
        _fields(),
    ]


def history_parameters() -> list[dict]:
    """``/studies/{nctId}/history``."""
    return [
        nct_id_path(),
        query("version", "A version number, from 1 (the first recorded).", {"type": "integer", "minimum": 1}),
    ]


def metadata_parameters() -> list[dict]:
    """``/studies/metadata``."""
    return [
        query(name, "Accepted as the registry's; changes nothing here.", {"type": "boolean", "default": False})
        for name in sorted(METADATA_PARAMETERS)
    ]


def field_values_parameters() -> list[dict]:
    """``/stats/field/values``."""
    return [
        query(
            "types",
            "Field types to summarise (ENUM, STRING, DATE, INTEGER, NUMBER, BOOLEAN), comma- or pipe-separated.",
            **pipe_list({"type": "string", "enum": list(STATS_TYPES)}),
        ),
        query(
            "fields",
            "Piece names or paths of the elements to summarise.",
            **pipe_list({"type": "string", "pattern": FIELD_PATTERN}),
        ),
    ]


def field_sizes_parameters() -> list[dict]:
    """``/stats/field/sizes``."""
    return [
        query(
            "fields",
            "Piece names or paths of the lists; all of them when left out.",
            **pipe_list({"type": "string", "pattern": FIELD_PATTERN}),
        ),
    ]
