"""The list page's downloads: the current results as CSV or API v2 JSON, a bounded page at a time.

An export used to hold up to 1,000 trials built at once: megabytes and many
seconds a request, for anyone, so a handful of requests tied up every worker.
Each download now holds ``EXPORT_PAGE`` trials, built ``EXPORT_CHUNK`` at a
time; ``page`` asks for the next ones, and the response says where they are
(``Link: rel="next"``, ``X-Total-Count``, the file's name). The API
(``/api/v2/studies``) pages through every trial.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import orjson
from django.http import HttpRequest, HttpResponse

from .caching import public_list
from .exports import csv_text, export_studies
from .filters import TrialFilter
from .models import Trial

# Trials in one download, and trials built at a time while writing it.
EXPORT_PAGE = 250
EXPORT_CHUNK = 50
# Pages beyond this are the API's to serve: it pages by token, without an ever deeper OFFSET.
LAST_PAGE = 40


def _refused(message: str) -> HttpResponse:
    return HttpResponse(message + "\n", status=400, content_type="text/plain; charset=utf-8")


def _page_number(value: str) -> int | None:
    value = value.strip()
    if not value:
        return 1
    # Length first: Python refuses to read an integer of more than 4,300 digits.
    if (
        not value.isascii()
        or not value.isdigit()
        or len(value) > len(str(LAST_PAGE))
        or not 1 <= int(value) <= LAST_PAGE
    ):
        return None
    return int(value)


def export_ids(filterset: TrialFilter, page: int) -> list[int]:
    """The ids of the page's trials, in the list's order (a valid ``filterset``)."""
    return filterset.first_ids(page * EXPORT_PAGE)[(page - 1) * EXPORT_PAGE :]


def export_files(count: int, query_string: str) -> list[dict]:
    """The downloads a list of ``count`` matches takes: each file's first and last trial and its query.

    The list page offers them all, so that no match is out of reach without
    the API (up to ``LAST_PAGE`` files; the API pages through the rest).
    """
    files = []
    for page in range(1, min(LAST_PAGE, -(-count // EXPORT_PAGE)) + 1):
        query = "&".join(part for part in (query_string, f"page={page}" if page > 1 else "") if part)
        first = (page - 1) * EXPORT_PAGE + 1
        files.append({"first": first, "last": min(count, page * EXPORT_PAGE), "query": query})
    return files


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), EXPORT_CHUNK):
        yield ids[start : start + EXPORT_CHUNK]


def _csv(ids: list[int]) -> bytes:
    parts = []
    for number, chunk in enumerate(_chunks(ids) if ids else [[]]):
        by_id = {trial.pk: trial for trial in Trial.objects.filter(pk__in=chunk).for_detail()} if chunk else {}
        trials = [by_id[pk] for pk in chunk if pk in by_id]
        parts.append(csv_text(trials, header=number == 0, shown_status=True).encode())
    return b"".join(parts)


def _json(ids: list[int], total: int) -> bytes:
    """``{"totalCount": …, "studies": […]}`` as ``api.views.json_response`` writes it, a chunk at a time."""
    studies = [orjson.dumps(study) for chunk in _chunks(ids) for study in export_studies(chunk)]
    return b'{"totalCount":' + orjson.dumps(total) + b',"studies":[' + b",".join(studies) + b"]}"


@public_list
def trial_export(request: HttpRequest, output: str) -> HttpResponse:
    """The current result list as CSV or API v2 JSON, ``EXPORT_PAGE`` trials a download."""
    page = _page_number(request.GET.get("page", ""))
    if page is None:
        return _refused(
            f"page: a page from 1 to {LAST_PAGE} of {EXPORT_PAGE:,} trials; "
            "for more, use the API (/api/v2/studies), which pages through every trial."
        )
    data = request.GET.copy()
    data.pop("page", None)
    filterset = TrialFilter(data, queryset=Trial.objects.all(), resolved={})
    if not filterset.is_valid():
        fields = filterset.form.fields
        message = "; ".join(
            f"{fields[name].label if name in fields else 'Filters'}: {error}"
            for name, errors in filterset.form.errors.items()
            for error in errors
        )
        return _refused(message)
    ids = export_ids(filterset, page)
    total = filterset.matches.count()
    body = _csv(ids) if output == "csv" else _json(ids, total)
    content_type = "text/csv; charset=utf-8" if output == "csv" else "application/json"
    response = HttpResponse(body, content_type=content_type)
    first, last = (page - 1) * EXPORT_PAGE + 1, (page - 1) * EXPORT_PAGE + len(ids)
    partial = page > 1 or last < total
    name = f"trials-{first}-{last}-of-{total}.{output}" if partial and ids else f"trials.{output}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Total-Count"] = str(total)
    if last < total and page < LAST_PAGE:
        response["Link"] = f'<{request.path}?{urlencode([*data.lists(), ("page", page + 1)], doseq=True)}>; rel="next"'
        response["X-Export-Note"] = (
            f"Trials {first:,} to {last:,} of {total:,}: add page={page + 1} for the next {EXPORT_PAGE:,}, "
            "or use the API (/api/v2/studies), which pages through every trial."
        )
    return response
