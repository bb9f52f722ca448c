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

from django.db.models import Count, F, IntegerField, OrderBy, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest

from .. import places
from ..models import ArmGroup
from ..search.areas import SEARCH_AREAS

API_VERSION = "2.0.5"
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 1000
# ``pageSize`` is an int32 in the spec: larger values are malformed, not coerced to 1,000.
MAX_INT32 = 2**31 - 1
MAX_OFFSET = 10_000_000
# The text areas of ``query.*``, and the most a query of one may hold.
QUERY_AREAS = tuple(area.key for area in SEARCH_AREAS)
MAX_QUERY_LENGTH = 1000
LIST_FORMATS = ("json", "csv")
STUDY_FORMATS = ("json", "csv", "json.zip", "fhir.json", "ris")
MARKUP_FORMAT = "markdown"
MARKUP_FORMATS = (MARKUP_FORMAT, "legacy")
# The registry's spelling of an NCT ID in a path or ``filter.ids``.
NCT_ID_PATTERN = "^[Nn][Cc][Tt]0*[1-9]\\d{0,7}$"


def _arm_group_count() -> Coalesce:
    """A study's number of arms, which the registry sorts by as ``NumArmGroups``."""
    per_trial = ArmGroup.objects.filter(trial=OuterRef("pk")).order_by().values("trial").annotate(n=Count("pk"))
    return Coalesce(Subquery(per_trial.values("n"), output_field=IntegerField()), 0)


# Registry sort names → our fields (or an expression). Dates sort newest first, numbers smallest first.
SORT_FIELDS = {
    "LastUpdatePostDate": ("last_update_posted_date", "desc"),
    "StudyFirstPostDate": ("first_posted_date", "desc"),
    "StartDate": ("start_date", "desc"),
    "PrimaryCompletionDate": ("primary_completion_date", "desc"),
    "CompletionDate": ("completion_date", "desc"),
    "EnrollmentCount": ("enrollment_count", "asc"),
    "NumArmGroups": (_arm_group_count(), "asc"),
}
# The spec's spelling of one ``fields`` name (``@query`` is not taken here).
FIELD_PATTERN = r"^[a-zA-Z][a-zA-Z0-9\-. ]*$"
SORT_PATTERN = r"^(([a-zA-Z][a-zA-Z0-9\-. ]*)|(@relevance))(:(asc|desc))?$"
MAX_SORT_OPTIONS = 2
# How often one parameter may repeat: each repeated filter is one more search.
MAX_REPEATS = 10
# ``filter.geo`` / ``postFilter.geo``: ``distance(lat,lon,dist)``, as the spec spells it; miles when no unit is given.
GEO_PARAMETERS = ("filter.geo", "postFilter.geo")
GEO_PATTERN = r"^distance\(-?\d+(\.\d+)?,-?\d+(\.\d+)?,\d+(\.\d+)?(km|mi)?\)$"
GEO_DEFAULT_UNIT = "mi"
# ``geoDecay``: how relevance falls with the distance from ``filter.geo``'s point.
GEO_DECAY_PATTERN = (
    r"^func:(gauss|exp|linear),scale:(\d+(\.\d+)?(km|mi)),offset:(\d+(\.\d+)?(km|mi)),decay:(\d+(\.\d+)?)$"
)
GEO_DECAY_DEFAULT = "func:exp,scale:300mi,offset:0mi,decay:0.5"
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
    *GEO_PARAMETERS,
    "geoDecay",
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
_GEO = re.compile(r"distance\(([^,()]*),([^,()]*),([^,()]*)\)")
_GEO_DECAY = re.compile(GEO_DECAY_PATTERN)
_ISSUED_TOKEN = re.compile(r"offset:([1-9][0-9]{0,7})")


class BadRequest(Exception):
    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")


def check_parameters(request: HttpRequest, allowed: set[str]) -> None:
    for name, values in request.GET.lists():
        if name not in allowed:
            raise BadRequest(name, "unknown or unsupported parameter")
        if len(values) > MAX_REPEATS:
            raise BadRequest(name, f"given {len(values)} times; at most {MAX_REPEATS}")
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
    if size > MAX_INT32:
        raise BadRequest(
            "pageSize", f"at most {MAX_INT32} (a 32-bit integer); more than {MAX_PAGE_SIZE} gives {MAX_PAGE_SIZE}"
        )
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
        value = F(field) if isinstance(field, str) else field
        expressions.append(
            value.desc(nulls_last=True) if (direction or default) == "desc" else value.asc(nulls_last=True)
        )
    return [*expressions, "nct_id"]


def geo_circle(request: HttpRequest, name: str) -> places.Circle | None:
    """``filter.geo`` or ``postFilter.geo``, ``distance(lat,lon,dist)``, as a circle; None when absent."""
    if name not in request.GET:
        return None
    raw = request.GET[name]  # present but empty is malformed: the spec's pattern takes no empty value
    match = _GEO.fullmatch(raw.strip())
    if not match:
        raise BadRequest(
            name,
            f"expected distance(latitude,longitude,distance), as in distance(39.0036,-77.1013,50mi), not {raw[:80]!r}",
        )
    try:
        lat, lon = float(match.group(1)), float(match.group(2))
        value, unit = places.parse_distance(match.group(3), default_unit=GEO_DEFAULT_UNIT)
    except (ValueError, places.DistanceError):
        raise BadRequest(
            name, f"latitude and longitude are decimal degrees, and the distance a number with km or mi: {raw[:80]!r}"
        ) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise BadRequest(name, "latitude runs from -90 to 90, longitude from -180 to 180")
    # Past half the Earth's circumference every point is within: no larger circle is needed.
    return places.Circle(lat, lon, min(places.in_km(value, unit), places.HALF_CIRCUMFERENCE_KM))


def geo_decay(request: HttpRequest) -> tuple[float, float | None]:
    """``geoDecay`` as what orders studies as its score would: (offset km, km past it where the score is 0, or None).

    Every function falls as the distance past ``offset`` grows, so they order
    alike; only ``linear`` reaches 0, at ``offset + scale / (1 - decay)``
    (Elasticsearch's decay functions, which the registry's follow), past
    which studies tie.
    """
    raw = request.GET.get("geoDecay", GEO_DECAY_DEFAULT)
    match = _GEO_DECAY.fullmatch(raw.strip())
    if not match:
        raise BadRequest(
            "geoDecay",
            "expected func:(gauss|exp|linear),scale:<distance>,offset:<distance>,decay:<number>, "
            f"as in {GEO_DECAY_DEFAULT}, not {raw[:80]!r}",
        )
    function, scale, offset, decay = match.group(1), match.group(2), match.group(5), float(match.group(8))
    if not 0 < decay < 1:
        raise BadRequest("geoDecay", "decay must lie between 0 and 1 (exclusive)")
    scale_km, offset_km = (places.in_km(*places.parse_distance(text)) for text in (scale, offset))
    if scale_km <= 0:
        raise BadRequest("geoDecay", "scale must be more than 0")
    return offset_km, scale_km / (1 - decay) if function == "linear" else None
