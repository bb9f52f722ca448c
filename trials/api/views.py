"""The ``/api/v2/`` endpoints: studies, a study, its related trials, the version, the OpenAPI document.

Paths, response shapes and enumeration values follow the registry's OpenAPI
description (version 2.0.5), so existing clients work when pointed at
TrialPortal; the parameters are read by ``params``. Errors are ``text/plain``
with a message naming the parameter, as the specification declares.
"""

from __future__ import annotations

import datetime
import io
import json
import logging
import zipfile
from collections.abc import Callable, Iterator

import orjson
from django.conf import settings
from django.db import router
from django.db.models import Max, Q, QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from trialportal.db_router import reading_from

from .. import choices, facets, history, places, search
from ..caching import RECORD, public_list, public_page, versioned
from ..db import TooLong, time_limit
from ..exports import csv_text, export_studies
from ..models import Trial
from ..related import related_trials
from ..search.areas import SEARCH_AREAS, search_documents_list
from ..sync import last_run, last_success
from .advanced import AdvancedError, advanced_q, is_expression
from .aggregations import FilterError, agg_filters_q, synonyms_q
from .documents import MAX_KEPT_PAGE, STREAM_CHUNK, Listed, documents, parsed
from .errors import error as _error
from .errors import missing_study as _missing_study
from .fhir import CONTENT_TYPE as FHIR_CONTENT_TYPE
from .fhir import fhir_json
from .fields import field_selection, project, row_columns
from .markup import to_legacy
from .metadata import enum_list, field_tree
from .openapi import description
from .params import (
    API_VERSION,
    GEO_PARAMETERS,
    LIST_FORMATS,
    LIST_PARAMETERS,
    MAX_QUERY_LENGTH,
    METADATA_PARAMETERS,
    QUERY_AREAS,
    STATS_VALUES_PARAMETERS,
    STUDY_FORMATS,
    STUDY_PARAMETERS,
    BadRequest,
    boolean,
    check_parameters,
    geo_circle,
    geo_decay,
    list_values,
    markup_format,
    ordering,
    output_format,
    page_size,
    page_token,
    token_offset,
)
from .ris import CONTENT_TYPE as RIS_CONTENT_TYPE
from .ris import ris_record
from .sizes import size_stats
from .stats import list_sizes, selected_leaves, selected_lists, value_stats

logger = logging.getLogger(__name__)

# query.* parameter key → its search area's name, as ``AREA[...]`` takes it.
AREA_NAMES = {area.key: area.name for area in SEARCH_AREAS}


def filtered_trials(request: HttpRequest, areas: dict[str, Q] | None = None) -> QuerySet[Trial]:
    """The trials a ``/studies`` request selects, in the order it asks for.

    ``areas``, when given, receives what each plain ``query.*`` text asked of a trial (for ``_total``).
    """
    trials = Trial.objects.all()
    # Checked even where it is ignored (no filter.geo): a malformed value is a 400 all the same.
    offset_km, flat_beyond_km = geo_decay(request)
    queries = {area: request.GET.get(f"query.{area}", "").strip() for area in QUERY_AREAS}
    for area, text in queries.items():
        if len(text) > MAX_QUERY_LENGTH:
            raise BadRequest(f"query.{area}", f"longer than {MAX_QUERY_LENGTH} characters")
    id_queries = [search.only_nct_ids(text) for text in queries.values() if text]
    nct_ids_only = [ids for ids in id_queries if ids]
    if nct_ids_only:
        # As the registry does: a query of NCT IDs alone ignores the filters.
        return trials.filter(nct_id__in=[nct_id for ids in nct_ids_only for nct_id in ids]).order_by(*ordering(request))
    tokens = search.backend().has_facet_tokens
    for area, text in queries.items():
        if text and is_expression(text):
            # Essie, as the spec has every query.* take: its bare terms search the parameter's area.
            expression = text if area == "term" else f"AREA[{AREA_NAMES[area]}]({text})"
            try:
                trials = trials.filter(advanced_q(expression, tokens))
            except AdvancedError as error:
                raise BadRequest(f"query.{area}", str(error)) from None
        elif text:
            try:
                search.parse_query(text)  # the syntax check, on every backend
                search.check_size(text)
                matched = search.matched_area_q(trials, text, area)
                trials = trials.filter(matched)
                if areas is not None:
                    areas[area] = matched
            except search.QuerySyntaxError as error:
                raise BadRequest(f"query.{area}", str(error)) from None
    for name in ("filter.overallStatus", "postFilter.overallStatus"):
        statuses = [value.strip().upper() for value in list_values(request, name)]
        unknown = [value for value in statuses if value not in choices.OverallStatus.values]
        if unknown:
            raise BadRequest(name, f"unknown status {', '.join(unknown)}")
        # On facet tokens with a text, to be matched in the same GIN scan (see filters.TrialFilter).
        if statuses and queries["term"] and search.backend().has_facet_tokens:
            trials = trials.filter(facet_tokens__any=facets.tokens(facets.STATUS, statuses))
        elif statuses:
            trials = trials.filter(overall_status__in=statuses)
    for name in ("filter.ids", "postFilter.ids"):
        values = list_values(request, name)
        ids = [search.nct_id_from_token(value) for value in values]
        if not all(ids):
            bad = [value for value, nct_id in zip(values, ids, strict=True) if not nct_id]
            raise BadRequest(name, f"not an NCT ID: {', '.join(bad)}")
        if ids:
            trials = trials.filter(nct_id__in=ids)
    # We send no aggregation counts, so post filters select the same as filters (as the spec says).
    readers = (
        ("filter.advanced", advanced_q),
        ("postFilter.advanced", advanced_q),
        ("filter.synonyms", synonyms_q),
        ("postFilter.synonyms", synonyms_q),
        ("aggFilters", agg_filters_q),
    )
    for name, reader in readers:
        for value in request.GET.getlist(name):
            if value.strip():
                try:
                    trials = trials.filter(reader(value, tokens))
                except (AdvancedError, FilterError) as error:
                    raise BadRequest(name, str(error)) from None
    circles = [geo_circle(request, name) for name in GEO_PARAMETERS]
    order = ordering(request)
    origin = circles[0]
    # Ranked by relevance, which ``geoDecay`` (or its default) makes fall with the distance
    # from filter.geo's point to a study's closest site; that ordering is filter.geo's filter too.
    by_distance = origin is not None and len(order) == 1
    for circle in circles[1:] if by_distance else circles:
        if circle:
            trials = places.near_trials(trials, circle)
    if by_distance:
        return places.order_by_distance(trials, origin, False, offset_km, flat_beyond_km)
    return trials.order_by(*order)


@require_safe
@public_list
def studies(request: HttpRequest) -> HttpResponse:
    try:
        check_parameters(request, LIST_PARAMETERS)
        output = output_format(request, LIST_FORMATS)
        selection = field_selection(request, output)
        legacy = markup_format(request) == "legacy"
        size = page_size(request)
        token = request.GET.get("pageToken", "")
        offset = token_offset(token) if token else 0
        count_total = boolean(request, "countTotal")
        areas: dict[str, Q] = {}
        selected = filtered_trials(request, areas)
        # Each study's version comes with the page: what its kept document is found by.
        listed = places.page(selected.values_list("pk", "nct_id", "updated_at"), offset, offset + size + 1)
        page = [Listed(*row) for row in listed]
    except BadRequest as error:
        return _error(str(error))
    next_token = page_token(offset + size) if len(page) > size else None
    page = page[:size]
    total = _total(request, selected, areas) if count_total and not token else None
    if output == "csv":
        by_id = {trial.pk: trial for trial in Trial.objects.filter(pk__in=[study.pk for study in page]).for_detail()}
        trials = [by_id[study.pk] for study in page if study.pk in by_id]
        text = csv_text(trials, header=not token, columns=selection)
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
        if next_token:
            response["x-next-page-token"] = next_token
        if total is not None:
            response["x-total-count"] = str(total)
        return response
    head = b'{"totalCount":%d,"studies":[' % total if total is not None else b'{"studies":['
    tail = (b'],"nextPageToken":' + orjson.dumps(next_token) if next_token else b"]") + b"}"
    chunks = [page[start : start + STREAM_CHUNK] for start in range(0, len(page), STREAM_CHUNK)]
    # Where the page's ids were read: a streamed page's chunks are read after the view has returned.
    alias = router.db_for_read(Trial)

    def build(chunk: list[Listed]) -> list[bytes]:
        return _chunk_json(chunk, selection, legacy, keep=len(page) <= MAX_KEPT_PAGE, alias=alias)

    # The first studies are written before the answer starts: a failure there is an error status, never a 200.
    first = build(chunks[0]) if chunks else []
    if len(chunks) > 1:
        # A bulk page is sent as it is written, a chunk of studies at a time: never all its megabytes at once.
        return StreamingHttpResponse(_streamed(head, first, chunks[1:], tail, build), content_type="application/json")
    return HttpResponse(head + b",".join(first) + tail, content_type="application/json")


# Sent when a streamed page fails after its 200 went out: text, so no JSON parser takes the page
# for a whole one, then the connection is dropped before the end of the chunked body.
UNFINISHED = b"\n\nThe rest of this page of studies could not be written; ask for it again.\n"


def _streamed(
    head: bytes, first: list[bytes], rest: list[list[Listed]], tail: bytes, build: Callable[[list[Listed]], list[bytes]]
) -> Iterator[bytes]:
    """A bulk page's JSON, a chunk of studies at a time, that a client can never read as whole if it fails.

    The status and headers are sent before the later chunks are read, so a
    failure there cannot be a 503 any more: ``UNFINISHED`` ends the body as
    no JSON, and the error is raised again, so the server closes the
    connection without the chunked body's last chunk (an HTTP client reports
    an incomplete answer).
    """
    yield head + b",".join(first)
    sent = len(first)
    for chunk in rest:
        try:
            kept = build(chunk)
        except Exception:
            logger.exception("A streamed page of studies failed after %d studies", sent)
            yield UNFINISHED
            raise
        if kept:
            yield b"," + b",".join(kept) if sent else b",".join(kept)
            sent += len(kept)
    yield tail


def _chunk_json(
    chunk: list[Listed], selection: dict | None, legacy: bool, keep: bool, alias: str | None
) -> list[bytes]:
    """Studies' JSON: the kept documents as they are, or parsed for ``fields`` and legacy markup."""
    with reading_from(alias):
        if selection is None and not legacy:
            return documents(chunk, keep=keep)
        exported = parsed(chunk, columns=row_columns(selection), keep=keep)
    exported = [to_legacy(study) for study in exported] if legacy else exported
    return [orjson.dumps(study) for study in _selected(exported, selection)]


def _selected(studies: list[dict], selection: dict | None) -> list[dict]:
    """The studies with only the ``fields`` asked for; a study holding none of them is an empty object."""
    if selection is None:
        return studies
    return [project(study, selection) or {} for study in studies]


def _total(request: HttpRequest, selected: QuerySet[Trial], areas: dict[str, Q]) -> int:
    """``totalCount``: exact, as the registry gives it.

    A condition query alone is counted on the links of its conditions and
    descriptors (``search.count_linked``, from what ``filtered_trials`` put in
    ``areas``): several times cheaper than counting the trials it selects.
    """
    selecting = [name for name in request.GET if name.startswith(("query.", "filter.", "postFilter.", "aggFilters"))]
    if selecting == ["query.cond"] and "cond" in areas:
        total = search.count_linked(areas["cond"])
        if total is None:
            total = search.count_condition_area(request.GET["query.cond"].strip())
        if total is not None:
            return total
    if any(name.startswith("query.") for name in selecting):
        # A widened area (a descriptor and the terms under it) is dozens of facet tokens: read
        # through the GIN index, its matches are counted in a fraction of a table scan's time.
        with search.index_scans():
            return selected.count()
    return selected.count()


def json_response(body: dict) -> HttpResponse:
    """JSON as the registry writes it (UTF-8, not escaped), by orjson: a page of 1,000 studies is megabytes."""
    return HttpResponse(orjson.dumps(body), content_type="application/json")


def _study_options(request: HttpRequest) -> tuple[str, dict | list[str] | None, bool]:
    """``/studies/{nctId}``'s parameters: the format, what ``fields`` selects, and whether markup is legacy."""
    check_parameters(request, STUDY_PARAMETERS)
    output = output_format(request, STUDY_FORMATS)
    return output, field_selection(request, output), markup_format(request) == "legacy"


def _refused_study(request: HttpRequest) -> HttpResponse | None:
    try:
        _study_options(request)
    except BadRequest as error:
        return _error(str(error))
    return None


@require_safe
@public_page
# One entry per format at most (``refuse`` turns others away): a big study's FHIR resource
# or zip is built once per version, then served from the shared cache.
@versioned(RECORD, frozenset({"format"}), canonical_only=False, refuse=_refused_study)
def study(request: HttpRequest, nct_id: str) -> HttpResponse:
    try:
        output, selection, legacy = _study_options(request)
    except BadRequest as error:
        return _error(str(error))
    canonical = search.nct_id_from_token(nct_id)
    trial = Trial.objects.only("id", "nct_id").filter(nct_id=canonical).first() if canonical else None
    if trial is None:
        merged_into = Trial.objects.merged_into(canonical) if canonical else None
        if merged_into:
            # The spec's answer to an NCT ID the registry merged into another study.
            query = request.META.get("QUERY_STRING", "")
            location = reverse("api:study", args=[merged_into]) + (f"?{query}" if query else "")
            return HttpResponsePermanentRedirect(location)
        return _missing_study(nct_id)
    return study_response(trial, output, selection, legacy)


@require_safe
@public_list
def related(request: HttpRequest, nct_id: str) -> HttpResponse:
    """The Related tab as JSON: the record's listed trials, then the computed ones with scores and reasons."""
    try:
        check_parameters(request, set())
    except BadRequest as error:
        return _error(str(error))
    canonical = search.nct_id_from_token(nct_id)
    trial = Trial.objects.filter(nct_id=canonical).prefetch_related("related_trials").first() if canonical else None
    if trial is None:
        return _missing_study(nct_id)
    lists = related_trials(trial)

    def similar(item) -> dict:
        other = item.other
        return {
            "nctId": other.nct_id,
            "briefTitle": other.brief_title,
            "overallStatus": other.overall_status,
            "phases": list(other.phases),
            "score": round(item.score, 4),
            "reasons": item.reasons,
        }

    body = {
        "nctId": trial.nct_id,
        "listed": [
            {
                "nctId": item.nct_id,
                "briefTitle": item.title or (item.on_file.brief_title if item.on_file else ""),
                "overallStatus": item.on_file.overall_status if item.on_file else None,
                "phases": list(item.on_file.phases) if item.on_file else None,
                "onFile": item.on_file is not None,
            }
            for item in lists.listed
        ],
        "moreRelated": [similar(item) for item in lists.more],
        "recruitingNow": [similar(item) for item in lists.recruiting],
    }
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


@require_safe
@public_page
def study_history(request: HttpRequest, nct_id: str) -> HttpResponse:
    """Our extension: a study's versions with their date, source and changes, or (``version=N``) one of them."""
    try:
        check_parameters(request, {"version"})
    except BadRequest as error:
        return _error(str(error))
    canonical = search.nct_id_from_token(nct_id)
    trial = Trial.objects.only("id", "nct_id", "updated_at").filter(nct_id=canonical).first() if canonical else None
    if trial is None:
        return _missing_study(nct_id)
    if "version" in request.GET:
        number = request.GET["version"].strip()
        if not history.VERSION_NUMBER.fullmatch(number):
            return _error(f"version: {number!r} is not a version number (1, 2, ...).")
        study = history.study_at(trial, int(number))
        if study is None:
            return _error(f"Study {trial.nct_id} has no version {int(number)}.", status=404)
        return json_response(study)
    return json_response(
        {
            "nctId": trial.nct_id,
            "versions": [
                {
                    "version": version.number,
                    "recordedAt": version.recorded_at.isoformat(),
                    "source": version.source,
                    "current": version.current,
                    "changes": [change["text"] for change in version.changes],
                    "changeKinds": sorted({change["kind"] for change in version.changes}),
                }
                for version in history.versions(trial)
            ],
        }
    )


def study_response(
    trial: Trial, output: str = "json", selection: dict | list[str] | None = None, legacy: bool = False
) -> HttpResponse:
    """One study as JSON, CSV, a zipped JSON file, a FHIR ResearchStudy or a RIS record.

    ``trial`` needs only its id and NCT ID. ``selection`` is what ``fields``
    asked for: CSV column names, RIS tags, or a tree of JSON paths.
    ``legacy`` (``markupFormat=legacy``) applies to JSON only, as the
    registry says: the zipped file keeps markdown.
    """
    if output == "csv":
        text = csv_text(Trial.objects.filter(pk=trial.pk).for_detail(), columns=selection)
        return HttpResponse(text, content_type="text/csv; charset=utf-8")
    exported = export_studies([trial.pk])
    if output == "fhir.json":
        return HttpResponse(fhir_json(exported[0]), content_type=FHIR_CONTENT_TYPE)
    if output == "ris":
        response = HttpResponse(ris_record(exported[0], selection), content_type=f"{RIS_CONTENT_TYPE}; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{trial.nct_id}.ris"'
        return response
    if legacy and output == "json":
        exported = [to_legacy(exported[0])]
    document = _selected(exported, selection)[0]
    if output == "json.zip":
        # One study: a few hundred kilobytes at most, zipped in memory. The file is dated by the
        # record's version, so a version always zips to the same bytes.
        holder = exported[0]["derivedSection"]["miscInfoModule"].get("versionHolder", "1980-01-01")
        stamp = datetime.date.fromisoformat(holder)
        member = zipfile.ZipInfo(f"{trial.nct_id}.json", date_time=(stamp.year, stamp.month, stamp.day, 0, 0, 0))
        member.compress_type = zipfile.ZIP_DEFLATED
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(member, json.dumps(document, ensure_ascii=False, indent=2))
        response = HttpResponse(buffer.getvalue(), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{trial.nct_id}.zip"'
        return response
    return json_response(document)


@require_safe
@public_page
def studies_metadata(request: HttpRequest) -> HttpResponse:
    """The data structure we hold. We keep no indexed-only or historic-only fields, so both flags give the same tree."""
    try:
        check_parameters(request, METADATA_PARAMETERS)
        for name in METADATA_PARAMETERS:
            boolean(request, name)
    except BadRequest as error:
        return _error(str(error))
    return JsonResponse(field_tree(), safe=False)


@require_safe
@public_page
def enums(request: HttpRequest) -> HttpResponse:
    try:
        check_parameters(request, set())
    except BadRequest as error:
        return _error(str(error))
    return JsonResponse(enum_list(), safe=False, json_dumps_params={"ensure_ascii": False})


@require_safe
@public_page
def search_areas(request: HttpRequest) -> HttpResponse:
    """``/studies/search-areas``: what each ``query.*`` searches, from the declaration that matches it.

    The areas ``query.*`` widens by synonyms (``search.AREA_WIDENINGS``) say so in ``isSynonyms``.
    """
    try:
        check_parameters(request, set())
    except BadRequest as error:
        return _error(str(error))
    return JsonResponse(search_documents_list(frozenset(search.AREA_WIDENINGS)), safe=False)


@require_safe
@public_list
def size(request: HttpRequest) -> HttpResponse:
    """``/stats/size``: the studies' JSON sizes, from the sizes stored on the trials."""
    try:
        check_parameters(request, set())
    except BadRequest as error:
        return _error(str(error))
    return JsonResponse(size_stats())


@require_safe
@public_list
def field_values(request: HttpRequest) -> HttpResponse:
    """``/stats/field/values``: the studies on file counted by each value of an enumeration or yes/no element."""
    try:
        check_parameters(request, STATS_VALUES_PARAMETERS)
        if "fields" in request.GET and not list_values(request, "fields"):
            raise BadRequest("fields", "must name at least one field")
        leaves = selected_leaves(
            list_values(request, "fields"), [name.strip() for name in list_values(request, "types")]
        )
    except BadRequest as error:
        return _error(str(error))
    try:
        with time_limit(settings.STATS_TIME_LIMIT_MS):
            answer = value_stats(leaves)
    except TooLong:
        return _too_long()
    return JsonResponse(answer, safe=False)


@require_safe
@public_list
def field_sizes(request: HttpRequest) -> HttpResponse:
    """``/stats/field/sizes``: the studies on file counted by the length of each of their lists."""
    try:
        check_parameters(request, {"fields"})
        if "fields" in request.GET and not list_values(request, "fields"):
            raise BadRequest("fields", "must name at least one field")
        paths = selected_lists(list_values(request, "fields"))
    except BadRequest as error:
        return _error(str(error))
    try:
        with time_limit(settings.STATS_TIME_LIMIT_MS):
            answer = list_sizes(paths)
    except TooLong:
        return _too_long()
    return JsonResponse(answer, safe=False)


# A statistic that ran out of time: the same request would again, until the load or the data shrink.
STATS_RETRY_AFTER_SECONDS = 60


def _too_long() -> HttpResponse:
    """A 503 for statistics past ``STATS_TIME_LIMIT_MS``: what to ask instead, as text like the API's other errors."""
    seconds = settings.STATS_TIME_LIMIT_MS / 1000
    response = _error(
        f"fields: these statistics take longer than the {seconds:g} s the portal gives them; "
        "ask for fewer fields (fields=OverallStatus|Phase) or try again later.",
        status=503,
    )
    response["Retry-After"] = str(STATS_RETRY_AFTER_SECONDS)
    return response


@require_safe
@public_list
def version(request: HttpRequest) -> HttpResponse:
    """The API version and when the data was last written: by an import, or by the last successful sync.

    ``lastSync`` (our extension) says how the latest sync went, failed or not.
    """
    latest = Trial.objects.aggregate(latest=Max("updated_at"))["latest"]
    succeeded = last_success()
    stamps = [stamp for stamp in (latest, succeeded and succeeded.finished_at) if stamp]
    stamp = max(stamps) if stamps else timezone.now()
    body: dict = {"apiVersion": API_VERSION, "dataTimestamp": _timestamp(stamp)}
    run = last_run()
    if run:
        body["lastSync"] = {
            "source": run.source_url,
            "mode": run.mode,
            "outcome": run.outcome,
            "startedAt": _timestamp(run.started_at),
            "finishedAt": _timestamp(run.finished_at) if run.finished_at else None,
            "new": run.created,
            "updated": run.updated,
            "unchanged": run.unchanged,
            "failed": run.failed,
        }
    return JsonResponse(body)


def _timestamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S")


@require_safe
@public_page
def openapi(request: HttpRequest) -> HttpResponse:
    return JsonResponse(description(request.build_absolute_uri("/api/v2")), json_dumps_params={"indent": 2})
