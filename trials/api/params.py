"""The ``/api/v2`` parameters: their names, what each accepts, how each is read, and the API version.

Declared once for the endpoints, which read requests with them, and for the
OpenAPI document, which describes them. Names, syntax and limits follow the
registry's OpenAPI description (version 2.0.5). A value the server cannot
take raises ``BadRequest`` naming its parameter; the endpoints answer it
with a 400.
"""

from __future__ import annotations

import base64
import binascii
import re

from django.db.models import F, OrderBy
from django.http import HttpRequest

from ..search.areas import SEARCH_AREAS

API_VERSION = "2.0.5"
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 1000
MAX_OFFSET = 10_000_000
# The text areas of ``query.*``, and the most a query of one may hold.
QUERY_AREAS = tuple(area.key for area in SEARCH_AREAS)
MAX_QUERY_LENGTH = 1000
LIST_FORMATS = ("json", "csv")
STUDY_FORMATS = ("json", "csv", "json.zip")
MARKUP_FORMAT = "markdown"
MARKUP_FORMATS = (MARKUP_FORMAT, "legacy")
# The registry's spelling of an NCT ID in a path or ``filter.ids``.
NCT_ID_PATTERN = "^[Nn][Cc][Tt]0*[1-9]\\d{0,7}$"
# Registry sort names → our fields. Dates sort newest first, numbers smallest first.
SORT_FIELDS = {
    "LastUpdatePostDate": ("last_update_posted_date", "desc"),
    "StudyFirstPostDate": ("first_posted_date", "desc"),
    "StartDate": ("start_date", "desc"),
    "PrimaryCompletionDate": ("primary_completion_date", "desc"),
    "CompletionDate": ("completion_date", "desc"),
    "EnrollmentCount": ("enrollment_count", "asc"),
}
# The spec's spelling of one ``fields`` name (``@query`` is not taken here).
FIELD_PATTERN = r"^[a-zA-Z][a-zA-Z0-9\-. ]*$"
SORT_PATTERN = r"^(([a-zA-Z][a-zA-Z0-9\-. ]*)|(@relevance))(:(asc|desc))?$"
MAX_SORT_OPTIONS = 2
LIST_PARAMETERS = {
    "format",
    "fields",
    "markupFormat",
    *(area.param for area in SEARCH_AREAS),
    "filter.overallStatus",
    "postFilter.overallStatus",
    "filter.ids",
    "postFilter.ids",
    "filter.advanced",
    "postFilter.advanced",
    "filter.synonyms",
    "postFilter.synonyms",
    "aggFilters",
    "sort",
    "countTotal",
    "pageSize",
    "pageToken",
}
STUDY_PARAMETERS = {"format", "markupFormat", "fields"}
METADATA_PARAMETERS = {"includeIndexedOnly", "includeHistoricOnly"}
STATS_VALUES_PARAMETERS = {"types", "fields"}
# The registry's field statistics types (``FieldStatsType``).
STATS_TYPES = ("ENUM", "STRING", "DATE", "INTEGER", "NUMBER", "BOOLEAN")

_SORT = re.compile(SORT_PATTERN)
_ISSUED_TOKEN = re.compile(r"offset:([1-9][0-9]{0,7})")


class BadRequest(Exception):
    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")


def check_parameters(request: HttpRequest, allowed: set[str]) -> None:
    for name in request.GET:
        if name not in allowed:
            raise BadRequest(name, "unknown or unsupported parameter")
    markup_format(request)


def markup_format(request: HttpRequest) -> str:
    """``markupFormat``: markdown (the default, as stored) or legacy (the classic PRS text)."""
    markup = request.GET.get("markupFormat", MARKUP_FORMAT)
    if markup not in MARKUP_FORMATS:
        raise BadRequest("markupFormat", f"{markup!r} is not supported; use one of {', '.join(MARKUP_FORMATS)}")
    return markup


def list_values(request: HttpRequest, name: str) -> list[str]:
    """A comma- or pipe-separated list; the parameter may also repeat."""
    return [value for raw in request.GET.getlist(name) for value in re.split(r"[|,]", raw) if value.strip()]


def output_format(request: HttpRequest, allowed: tuple[str, ...]) -> str:
    value = request.GET.get("format", "json")
    if value not in allowed:
        raise BadRequest("format", f"{value!r} is not supported; use one of {', '.join(allowed)}")
    return value


def page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def token_offset(token: str) -> int:
    """The offset of a token ``page_token`` issued; any other spelling is refused.

    ``int()`` alone would take what no token holds (``offset: 10 ``,
    ``offset:1_0``, Arabic-Indic digits), so the decoded text must match the
    one form, and the token must be exactly what encoding it gives back.
    """
    try:
        decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest("pageToken", "not a token this server gave") from None
    match = _ISSUED_TOKEN.fullmatch(decoded)
    if not match or int(match.group(1)) > MAX_OFFSET or page_token(int(match.group(1))) != token:
        raise BadRequest("pageToken", "not a token this server gave")
    return int(match.group(1))


def boolean(request: HttpRequest, name: str) -> bool:
    value = request.GET.get(name, "false").lower()
    if value not in {"true", "false"}:
        raise BadRequest(name, f"expected true or false, not {value!r}")
    return value == "true"


def page_size(request: HttpRequest) -> int:
    raw = request.GET.get("pageSize", "")
    if not raw:
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        raise BadRequest("pageSize", f"expected a whole number, not {raw!r}") from None
    if size < 0:
        raise BadRequest("pageSize", "must not be negative")
    return min(size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def ordering(request: HttpRequest) -> list[OrderBy | str]:
    """``sort`` as an ``order_by``, NCT ID last so that pages never overlap."""
    options = list_values(request, "sort")
    if len(options) > MAX_SORT_OPTIONS:
        raise BadRequest("sort", f"at most {MAX_SORT_OPTIONS} sort options")
    expressions: list[OrderBy | str] = []
    for option in options:
        match = _SORT.match(option.strip())
        if not match:
            raise BadRequest("sort", f"malformed option {option!r}")
        name, direction = match.group(1), match.group(5)
        if name == "@relevance":
            continue  # matching is not ranked here; the stable order below applies
        if name not in SORT_FIELDS:
            raise BadRequest("sort", f"cannot sort by {name!r}; sortable: {', '.join(SORT_FIELDS)}")
        field, default = SORT_FIELDS[name]
        expressions.append(
            F(field).desc(nulls_last=True) if (direction or default) == "desc" else F(field).asc(nulls_last=True)
        )
    return [*expressions, "nct_id"]
