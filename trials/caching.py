"""What a proxy, a browser and the shared cache may keep, and for how long.

A trial's pages are keyed by its version: when it was last written (an
import rewrites the row, an admin save or any ``Trial.save()`` moves
``updated_at``), the day they are read on (a status lapses into "Unknown
status" by the calendar, and pages say how long ago it was verified), and,
for the Related tab, a fingerprint of its computed lists and of the trials
they show. Reading the version is one small query made before the page is
built: a conditional GET that matches it is a 304 at that price, and a
rendered page is kept in the shared cache (``CACHES``: local memory, or
Redis with ``CACHE_URL``) under that version, so no node ever serves a page
older than the record. The release (``TRIALPORTAL_RELEASE``, by default a
digest of the code, templates and static files) is part of every version,
so a deploy never serves the previous one's pages either.

Public responses get ``Cache-Control: public`` with a lifetime per kind of
page (``public_page``, ``public_list``); ``CacheHeadersMiddleware`` turns
that into ``private, no-store`` for the admin, a signed-in user and any
response that sets a cookie or depends on a stored session.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, OuterRef, Subquery, Sum, Value
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date, quote_etag

from . import status
from .models import RelatedTrial, SimilarTrial, Trial
from .search import nct_id_from_token

logger = logging.getLogger(__name__)

# What a version covers.
TAB = "tab"  # a trial page: the record, as read today
RELATED = "related"  # the Related tab: also its computed lists and the trials they show
RECORD = "record"  # JSON and API records: the record alone

# Only 200s, redirects and 304s are public: an error is the request's, or passing.
PUBLIC_STATUSES = (200, 301, 304)
BASE_DIR = Path(__file__).resolve().parent.parent
RELEASE_SOURCES = ("trials", "trialportal", "templates", "static")


@functools.cache
def release() -> str:
    """The code's version, the same on every node that runs the same files."""
    if settings.TRIALPORTAL_RELEASE:
        return settings.TRIALPORTAL_RELEASE
    digest = hashlib.sha256()
    for top in RELEASE_SOURCES:
        for path in sorted((BASE_DIR / top).rglob("*")):
            if path.is_file() and path.suffix in {".py", ".html", ".css", ".js", ".txt"} and "tests" not in path.parts:
                digest.update(str(path.relative_to(BASE_DIR)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Version:
    etag: str
    last_modified: datetime.datetime


def trial_version(nct_id: str, kind: str) -> Version | None:
    """The version of a trial's page of ``kind``, in one query; None for a trial not on file."""
    queryset = Trial.objects.filter(nct_id=nct_id)
    fields = ["updated_at"]
    if kind == RELATED:
        # Related lists are replaced row by row (new ids) or shrink (a smaller
        # count); the score sum tells a rebuild that reused the ids apart.
        similar = SimilarTrial.objects.filter(trial=OuterRef("pk")).order_by().values("trial")
        listed = RelatedTrial.objects.filter(trial=OuterRef(OuterRef("pk"))).values("nct_id")
        queryset = queryset.annotate(
            similar_count=Subquery(similar.annotate(value=Count("id")).values("value")),
            similar_last=Subquery(similar.annotate(value=Max("id")).values("value")),
            similar_scores=Subquery(similar.annotate(value=Sum("score")).values("value")),
            similar_updated=Subquery(similar.annotate(value=Max("other__updated_at")).values("value")),
            listed_updated=Subquery(
                Trial.objects.filter(nct_id__in=listed)
                .order_by()
                .annotate(one=Value(1))
                .values("one")
                .annotate(value=Max("updated_at"))
                .values("value")
            ),
        )
        fields += ["similar_count", "similar_last", "similar_scores", "similar_updated", "listed_updated"]
    row = queryset.values_list(*fields).first()
    if row is None:
        return None
    stamps = [value for value in row if isinstance(value, datetime.datetime)]
    parts = [release(), kind, nct_id, *(str(value) for value in row)]
    if kind != RECORD:
        today = status.today()
        parts.append(today.isoformat())
        # The page changes at midnight too: "verified 3 months ago", a lapsing status.
        stamps.append(timezone.make_aware(datetime.datetime.combine(today, datetime.time())))
    return Version(
        etag=quote_etag(hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]),
        last_modified=max(stamps),
    )


def versioned(
    kind: str,
    cached_parameters: frozenset[str] = frozenset(),
    canonical_only: bool = True,
    refuse: Callable[[HttpRequest], HttpResponse | None] | None = None,
):
    """A trial view answered by its version: a 304 when the client holds it, else a cached or fresh page.

    The view takes ``(request, nct_id)``. A request whose query string holds
    only ``cached_parameters`` is kept in the shared cache; any other is
    rendered each time, so nobody can fill the cache with variants. With
    ``canonical_only`` an NCT ID not written canonically goes to the view
    (which redirects); otherwise it is read as the API reads it. ``refuse``
    checks the request's parameters first and answers a bad one (a 400)
    before any version is read: a conditional request never turns a bad
    request into a 304.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def answer(request: HttpRequest, nct_id: str, *args, **kwargs) -> HttpResponse:
            if refuse is not None and (refused := refuse(request)) is not None:
                return refused
            canonical = nct_id_from_token(nct_id)
            if request.method not in ("GET", "HEAD") or not canonical or (canonical_only and canonical != nct_id):
                return view(request, nct_id, *args, **kwargs)
            version = trial_version(canonical, kind)
            if version is None:
                return view(request, nct_id, *args, **kwargs)
            last_modified = int(version.last_modified.timestamp())
            # A recomputed related list has no time of its own: only the ETag tells it changed.
            since = None if kind == RELATED else last_modified
            etag = _representation_etag(request, version)
            response = get_conditional_response(request, etag=etag, last_modified=since)
            if response is None:
                key = _cache_key(request, version, cached_parameters)
                stored = _cache_call(cache.get, key) if key else None
                if stored is not None:
                    content_type, content, disposition = stored
                    response = HttpResponse(content, content_type=content_type)
                    if disposition:
                        response["Content-Disposition"] = disposition
                else:
                    response = view(request, nct_id, *args, **kwargs)
                    if key and response.status_code == 200 and not response.streaming and not response.cookies:
                        kept = (response["Content-Type"], response.content, response.get("Content-Disposition"))
                        _cache_call(cache.set, key, kept, settings.SHARED_CACHE_SECONDS)
            if response.status_code in (200, 304):
                response["ETag"] = etag
                response["Last-Modified"] = http_date(last_modified)
            return response

        return answer

    return decorator


def _representation_etag(request: HttpRequest, version: Version) -> str:
    """The version's ETag, told apart per query string: ``?format=ris`` is another representation than the JSON."""
    if not request.GET:
        return version.etag
    query = sorted((name, value) for name in request.GET for value in request.GET.getlist(name))
    return quote_etag(hashlib.sha256(f"{version.etag}|{query}".encode()).hexdigest()[:32])


def _cache_key(request: HttpRequest, version: Version, parameters: frozenset[str]) -> str | None:
    """Where the page is kept; None when the query string holds more than the page reads.

    A request with the session cookie (an editor's) is rendered, never kept:
    nothing rendered for a signed-in user reaches a visitor.
    """
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        return None
    if not set(request.GET) <= parameters or any(len(request.GET.getlist(name)) > 1 for name in request.GET):
        return None
    query = "&".join(f"{name}={request.GET[name]}" for name in sorted(request.GET))
    # The page's own URLs (canonical, JSON-LD) are built from the host it was asked on.
    where = f"{request.scheme}://{request.get_host()}{request.path}?{query}"
    return "page:" + hashlib.sha256(f"{version.etag}|{where}".encode()).hexdigest()


def _cache_call(method, *args):
    """A cache that does not answer costs a rendering, never the page."""
    try:
        return method(*args)
    except Exception as error:  # redis raises its own ConnectionError and TimeoutError
        logger.warning("Shared cache unavailable: %s", error)
        return None


def _public(seconds: Callable[[], int]):
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def answer(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            response = view(request, *args, **kwargs)
            if request.method in ("GET", "HEAD") and response.status_code in PUBLIC_STATUSES:
                patch_cache_control(
                    response,
                    public=True,
                    max_age=seconds(),
                    stale_while_revalidate=settings.HTTP_CACHE_STALE_SECONDS,
                )
            return response

        return answer

    return decorator


# A trial's pages, its records and the portal's fixed pages.
public_page = _public(lambda: settings.HTTP_CACHE_PAGE_SECONDS)
# Lists, searches, feeds and API lists: they change with every import.
public_list = _public(lambda: settings.HTTP_CACHE_LIST_SECONDS)


class CacheHeadersMiddleware:
    """Nothing personal is kept by a shared cache.

    The admin, a signed-in user's requests, a response that sets a cookie and
    one that read a stored session are ``private, no-store``. Every response
    a proxy may keep varies on ``Cookie``: visitors send none and share one
    copy, while an editor's requests (with the session cookie) never get it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self._personal(request, response):
            if "public" in response.get("Cache-Control", ""):
                del response["Cache-Control"]
            patch_cache_control(response, private=True, no_store=True)
            patch_vary_headers(response, ("Cookie",))
        elif "public" in response.get("Cache-Control", ""):
            patch_vary_headers(response, ("Cookie",))
        return response

    @staticmethod
    def _personal(request: HttpRequest, response: HttpResponse) -> bool:
        if request.path.startswith(f"/{settings.ADMIN_URL}") or response.cookies:
            return True
        session = getattr(request, "session", None)
        if session is not None and session.accessed and not session.is_empty():
            return True
        # Only a request carrying the session cookie can be signed in; others cost no session query.
        user = getattr(request, "user", None)
        return settings.SESSION_COOKIE_NAME in request.COOKIES and user is not None and user.is_authenticated
