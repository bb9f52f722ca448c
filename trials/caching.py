"""What a proxy, a browser and the shared cache may keep, and for how long.

A trial's pages are keyed by its version: when it was last written (an
import rewrites the row, an admin save or any ``Trial.save()`` moves
``updated_at``), the day they are read on (a status lapses into "Unknown
status" by the calendar, and pages say how long ago it was verified), and,
for the Related tab, a fingerprint of its computed lists and of the trials
they show. Reading the version is one small query made before the page is
built: a conditional GET that matches it is a 304 at that price, and a
visitor's rendered page is kept in the shared cache (``CACHES``: local
memory, or Redis with ``CACHE_URL``) under that version, so no node ever
serves a page older than the record. ``SharedPageCacheMiddleware`` answers a
kept page before sessions, CSRF, authentication and URL dispatch get to it:
the version's query and a cache read are all it costs. On PostgreSQL that
query is prepared once per connection and asked through libpq directly
(``trials.prepared``): every request still reads the version from the
database, so an import, a sync or an admin edit on any node shows at once.
The release (``TRIALPORTAL_RELEASE``, by default a digest of the code, data,
templates and static files) is part of every version, so a deploy never
serves the previous one's pages either.

Public responses get ``Cache-Control: public`` with a lifetime per kind of
page (``public_page``, ``public_list``); ``CacheHeadersMiddleware`` turns
that into ``private, no-store`` for the admin, a signed-in user and any
response that sets a cookie or depends on a stored session; only what
stays public is compressed (``PublicGZipMiddleware``).
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, router
from django.db.models import Count, Max, OuterRef, Subquery, Sum, Value
from django.http import HttpRequest, HttpResponse
from django.middleware.gzip import GZipMiddleware, re_accepts_gzip
from django.urls import Resolver404, URLResolver, get_resolver, get_urlconf
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date, parse_http_date_safe, quote_etag

from trialportal.db_router import public_replica, reading_from

from . import status
from .models import RelatedTrial, SimilarTrial, Trial
from .prepared import UNANSWERED as _UNANSWERED
from .prepared import prepared_row as _prepared_row
from .search import nct_id_from_token

logger = logging.getLogger(__name__)
T = TypeVar("T")

# What a version covers.
TAB = "tab"  # a trial page: the record, as read today
RELATED = "related"  # the Related tab: also its computed lists and the trials they show
RECORD = "record"  # JSON and API records: the record alone

# Only 200s, redirects and 304s are public: an error is the request's, or passing.
PUBLIC_STATUSES = (200, 301, 304)
BASE_DIR = Path(__file__).resolve().parent.parent
RELEASE_SOURCES = ("trials", "trialportal", "templates", "static")
# Code, templates, assets, and the data pages are drawn from (the map's outlines, the vocabulary).
RELEASE_SUFFIXES = {".py", ".html", ".css", ".js", ".txt", ".tsv", ".json", ".gz", ".svg"}


@functools.cache
def release() -> str:
    """The code's version, the same on every node that runs the same files."""
    if settings.TRIALPORTAL_RELEASE:
        return settings.TRIALPORTAL_RELEASE
    digest = hashlib.sha256()
    for top in RELEASE_SOURCES:
        for path in sorted((BASE_DIR / top).rglob("*")):
            if path.is_file() and path.suffix in RELEASE_SUFFIXES and "tests" not in path.parts:
                digest.update(str(path.relative_to(BASE_DIR)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Version:
    etag: str
    last_modified: datetime.datetime


def trial_version(nct_id: str, kind: str) -> Version | None:
    """The version of a trial's page of ``kind``, in one query; None for a trial not on file."""
    alias = router.db_for_read(Trial) or DEFAULT_DB_ALIAS
    row = _version_row(alias, kind, nct_id)
    return None if row is None else _version(nct_id, kind, row)


def _version(nct_id: str, kind: str, row: tuple) -> Version:
    """The version of a trial's page of ``kind`` from its row: as ``_version_statement`` reads it."""
    row = [_as_datetime(value) for value in row]
    stamps = [value for value in row if isinstance(value, datetime.datetime)]
    parts = [release(), kind, nct_id, *(str(value) for value in row)]
    if kind != RECORD:
        today = status.today()
        parts.append(today.isoformat())
        # The page changes at midnight too: "verified 3 months ago", a lapsing status.
        stamps.append(datetime.datetime.combine(today, datetime.time(), tzinfo=timezone.get_current_timezone()))
    return Version(
        etag=quote_etag(hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]),
        last_modified=max(stamps),
    )


def _version_row(alias: str, kind: str, nct_id: str) -> tuple | None:
    """The version's row: through PostgreSQL's own prepared statement where it can, else Django's cursor."""
    wrapper = connections[alias]
    sql, params = _version_statement(kind, alias)
    if wrapper.vendor == "postgresql" and params == (_NCT_ID,):
        row = _prepared_row(wrapper, f"trialportal_version_{kind}", sql, nct_id)
        if row is not _UNANSWERED:
            return row
    with wrapper.cursor() as cursor:
        cursor.execute(sql, [nct_id if param == _NCT_ID else param for param in params])
        return cursor.fetchone()


# Stands for the NCT ID in the compiled statement.
_NCT_ID = "NCT_ID_OF_THE_PAGE"


@functools.cache
def _version_statement(kind: str, alias: str) -> tuple[str, tuple]:
    """The version's statement, compiled once: the ORM took longer to build it than the database to answer."""
    queryset = Trial.objects.filter(nct_id=_NCT_ID).order_by()
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
    return queryset.values_list(*fields)[:1].query.get_compiler(using=alias).as_sql()


def _as_datetime(value):
    """A time as the ORM reads it: PostgreSQL gives an aware datetime, SQLite a naive one or text (in UTC)."""
    if isinstance(value, str):
        value = parse_datetime(value) or value
    if isinstance(value, datetime.datetime) and timezone.is_naive(value):
        return timezone.make_aware(value, datetime.UTC)
    return value


def versioned(
    kind: str,
    cached_parameters: frozenset[str] = frozenset(),
    canonical_only: bool = True,
    refuse: Callable[[HttpRequest], HttpResponse | None] | None = None,
):
    """A trial view answered by its version: a 304 when the client holds it, else the page with its ETag.

    The view takes ``(request, nct_id)``. ``SharedPageCacheMiddleware`` keeps
    the anonymous answers in the shared cache by version, when the query
    string holds only ``cached_parameters``: any other is rendered each time,
    so nobody can fill the cache with variants. With ``canonical_only`` an NCT
    ID not written canonically goes to the view (which redirects); otherwise it
    is read as the API reads it. ``refuse`` checks the request's parameters
    first and answers a bad one (a 400) before any version is read: a
    conditional request never turns a bad request into a 304 (a bad request
    is never kept, so the middleware has no copy of it to answer).
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def answer(request: HttpRequest, nct_id: str, *args, **kwargs) -> HttpResponse:
            if refuse is not None and (refused := refuse(request)) is not None:
                return refused
            canonical = _canonical(nct_id, canonical_only)
            if request.method not in ("GET", "HEAD") or not canonical:
                return view(request, nct_id, *args, **kwargs)
            if _first_render(request, canonical, kind):
                # Nothing to compare with: the page is rendered, its version taken from the trial it read.
                response = view(request, nct_id, *args, **kwargs)
                version = _page_version(request, canonical, kind) if response.status_code == 200 else None
            else:
                version = _request_version(request, canonical, kind)
                if version is None:
                    return view(request, nct_id, *args, **kwargs)
                since = None if kind == RELATED else int(version.last_modified.timestamp())
                etag = _representation_etag(request, version)
                response = get_conditional_response(request, etag=etag, last_modified=since)
                if response is None:
                    response = view(request, nct_id, *args, **kwargs)
            if version is not None and response.status_code in (200, 304):
                response["ETag"] = _representation_etag(request, version)
                response["Last-Modified"] = http_date(int(version.last_modified.timestamp()))
            return response

        # Read by the middleware, which answers a kept page before the view is reached.
        answer.versioned = Versioned(kind, cached_parameters, canonical_only)
        return answer

    return decorator


# Which versions a page's own read of its trial gives (``page_read``): a record as read today, its ``updated_at``.
READ_WITH_THE_PAGE = frozenset({TAB})
CONDITIONS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE")


def page_read(request: HttpRequest, trial: Trial) -> None:
    """The trial as its page read it: a first render of a ``TAB`` page takes its version from it, no query."""
    request._trial_read = (trial.nct_id, trial.updated_at)


def _first_render(request: HttpRequest, nct_id: str, kind: str) -> bool:
    """Whether the version can wait for the page: nobody read it yet, no condition asks for it first."""
    known = getattr(request, "_trial_version", None)
    return (
        kind in READ_WITH_THE_PAGE
        and (known is None or known[:2] != (nct_id, kind))
        and not any(header in request.META for header in CONDITIONS)
    )


def _page_version(request: HttpRequest, nct_id: str, kind: str) -> Version | None:
    """The version of the page just rendered: from the trial it read (``page_read``), else asked for."""
    read = getattr(request, "_trial_read", None)
    if read is None or read[0] != nct_id:
        return _request_version(request, nct_id, kind)
    version = _version(nct_id, kind, (read[1],))
    request._trial_version = (nct_id, kind, version)
    return version


def _representation_etag(request: HttpRequest, version: Version) -> str:
    """The version's ETag, told apart per query string: ``?format=ris`` is another representation than the JSON."""
    if not request.GET:
        return version.etag
    query = sorted((name, value) for name in request.GET for value in request.GET.getlist(name))
    return quote_etag(hashlib.sha256(f"{version.etag}|{query}".encode()).hexdigest()[:32])


@dataclass(frozen=True)
class Versioned:
    kind: str
    cached_parameters: frozenset[str]
    canonical_only: bool


def _canonical(nct_id: str, canonical_only: bool) -> str | None:
    canonical = nct_id_from_token(nct_id)
    return None if canonical_only and canonical != nct_id else canonical


def _request_version(request: HttpRequest, nct_id: str, kind: str) -> Version | None:
    """The version, read once per request: the middleware may have read it already."""
    known = getattr(request, "_trial_version", None)
    if known is not None and known[:2] == (nct_id, kind):
        return known[2]
    version = trial_version(nct_id, kind)
    request._trial_version = (nct_id, kind, version)
    return version


class SharedPageCacheMiddleware:
    """A visitor's trial page, kept by version in the shared cache, answered before the rest of the stack.

    A kept page costs the version's query and a cache read: no session,
    CSRF, authentication or template work. What is kept is the response as
    the stack below made it (headers included, compressed when the client
    takes gzip), so it is served exactly as rendered. Only a visitor's
    ``GET`` or ``HEAD`` (no session cookie) of a ``versioned`` view whose
    query string holds only the parameters the page reads is answered or
    kept; a page rendered for them is kept only if it is public and sets no
    cookie. It sits below the security middleware (HTTPS redirect, headers)
    and whitenoise (static files), above compression.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD") or settings.SESSION_COOKIE_NAME in request.COOKIES:
            return self.get_response(request)
        route = _route(get_resolver(get_urlconf()), request.path_info)
        if route is KEPT_BRIEFLY:
            if settings.SHARED_CACHE_LIST_SECONDS > 0:
                return self._answer_briefly(request)
            return self.get_response(request)
        if route is None or not _only(request, route[0].cached_parameters):
            return self.get_response(request)
        versioned, canonical = route
        # One replica for the version and the page, so the page is never older than its version.
        with reading_from(public_replica()):
            return self._answer(request, canonical, versioned.kind)

    def _answer_briefly(self, request: HttpRequest) -> HttpResponse:
        """A list, search, feed or API list: kept as long as a proxy may keep it, whatever changes meanwhile."""
        query = request.META.get("QUERY_STRING", "")
        try:
            where = f"{request.scheme}://{request.get_host()}{request.path}?{query}"
        except DisallowedHost:
            return self.get_response(request)
        if len(query) > MAX_KEPT_QUERY:
            return self.get_response(request)
        encoding = "gzip" if _accepts_gzip(request) else "identity"
        key = "list:" + hashlib.sha256(f"{release()}|{where}|{encoding}".encode()).hexdigest()
        stored = cache_call(cache.get, key)
        if stored is not None:
            headers, content, kept_at = stored
            response = HttpResponse(content, headers=headers)
            # A proxy counts its max-age from when the list was rendered, not from now.
            response["Age"] = str(max(0, int(time.time() - kept_at)))
            # The feed answers If-Modified-Since and If-None-Match: so does its kept copy.
            modified = response.get("Last-Modified")
            since = parse_http_date_safe(modified) if modified else None
            return get_conditional_response(request, etag=response.get("ETag"), last_modified=since, response=response)
        response = self.get_response(request)
        if _keepable(response) and len(response.content) <= MAX_KEPT_LIST_BYTES:
            kept = (dict(response.items()), response.content, time.time())
            cache_call(cache.set, key, kept, settings.SHARED_CACHE_LIST_SECONDS)
        return response

    def _answer(self, request: HttpRequest, nct_id: str, kind: str) -> HttpResponse:
        try:
            key = _cache_key(request)
        except DisallowedHost:
            return self.get_response(request)  # a 400, from the stack below
        stored = cache_call(cache.get, key)
        # A copy is served only if it is of the version read now; with none, a first render reads no version first.
        if stored is not None or not _first_render(request, nct_id, kind):
            try:
                version = _request_version(request, nct_id, kind)
            except OperationalError:
                return self.get_response(request)  # a 503, from the stack below
            if version is not None and stored is not None and stored[0] == version.etag:
                _, headers, content = stored
                response = HttpResponse(content, headers=headers)
                since = None if kind == RELATED else int(version.last_modified.timestamp())
                etag = _representation_etag(request, version)
                return get_conditional_response(request, etag=etag, last_modified=since, response=response)
        response = self.get_response(request)
        # The version the page was rendered for: read above, or by the page from its trial.
        known = getattr(request, "_trial_version", None)
        version = known[2] if known is not None and known[:2] == (nct_id, kind) else None
        if version is not None and _keepable(response):
            kept = (version.etag, dict(response.items()), response.content)
            cache_call(cache.set, key, kept, settings.SHARED_CACHE_SECONDS)
        return response


# A path's route, kept for the paths asked most: resolving it took longer than reading the version.
ROUTES_KEPT = 4096
KEPT_BRIEFLY = "kept briefly"


@functools.lru_cache(maxsize=ROUTES_KEPT)
def _route(resolver: URLResolver, path: str) -> tuple[Versioned, str] | str | None:
    """What the middleware does with ``path``: ``KEPT_BRIEFLY``, (the view's ``Versioned``, the NCT ID), or None.

    Keyed by the resolver too: a test that changes the URLs gets a new one.
    """
    try:
        match = resolver.resolve(path)
    except Resolver404:
        return None
    if getattr(match.func, "kept_briefly", False):
        return KEPT_BRIEFLY
    versioned = getattr(match.func, "versioned", None)
    canonical = versioned and _canonical(match.kwargs.get("nct_id", ""), versioned.canonical_only)
    return (versioned, canonical) if canonical else None


# Lists kept briefly: a query string or a body past these is rendered each time (exports are megabytes).
MAX_KEPT_QUERY = 1000
MAX_KEPT_LIST_BYTES = 2 * 1024 * 1024


def _only(request: HttpRequest, parameters: frozenset[str]) -> bool:
    """Whether the query string holds only ``parameters``, each once."""
    return set(request.GET) <= parameters and all(len(values) == 1 for _, values in request.GET.lists())


def _keepable(response: HttpResponse) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and "public" in response.get("Cache-Control", "")
    )


def _cache_key(request: HttpRequest) -> str:
    """Where a page is kept, with the version it was rendered for: the URL it was asked on, and whether it is
    compressed. One copy per URL: a page of another version replaces it."""
    # Every value of every parameter, encoded: "a=1%26b%3D2" and "a=1&b=2" are different pages.
    query = urlencode(sorted((name, value) for name, values in request.GET.lists() for value in values))
    # The page's own URLs (canonical, JSON-LD) are built from the host it was asked on.
    where = f"{request.scheme}://{request.get_host()}{request.path}?{query}"
    encoding = "gzip" if _accepts_gzip(request) else "identity"
    return "page:" + hashlib.sha256(f"{release()}|{where}|{encoding}".encode()).hexdigest()


def _accepts_gzip(request: HttpRequest) -> bool:
    return bool(re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")))


class PublicGZipMiddleware(GZipMiddleware):
    """Compresses public responses only, so compression can never leak a secret (BREACH).

    BREACH guesses a secret from the compressed size of a page that reflects
    what the attacker sends beside it. A public response (``Cache-Control:
    public``, left so by ``CacheHeadersMiddleware``) holds no secret: no CSRF
    token, no session, nothing of a signed-in user. The admin, forms with a
    CSRF token and anything personal are sent uncompressed. Static files are
    compressed ahead of time by whitenoise.
    """

    # Django pads every compressed body with up to 100 random bytes to blur
    # its size; a public body has nothing to hide, so it is sent as small as it packs.
    max_random_bytes = 0

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if (
            "public" not in response.get("Cache-Control", "")
            or response.cookies
            or request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        ):
            return response
        return super().process_response(request, response)


def cache_call(method: Callable[..., T], *args) -> T | None:
    """``method(*args)`` on the shared cache, or None when it does not answer.

    A cache that does not answer costs a rendering or an export, never the
    page: every read and write of the shared cache goes through here.
    """
    try:
        return method(*args)
    except Exception as error:  # redis raises its own ConnectionError and TimeoutError
        logger.warning("Shared cache unavailable: %s", error)
        return None


def _public(seconds: Callable[[], int], kept_briefly: bool = False):
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

        # Read by the middleware: a visitor's answer may be kept for SHARED_CACHE_LIST_SECONDS.
        answer.kept_briefly = kept_briefly
        return answer

    return decorator


# A trial's pages, its records and the portal's fixed pages.
public_page = _public(lambda: settings.HTTP_CACHE_PAGE_SECONDS)
# Lists, searches, feeds and API lists: they change with every import.
public_list = _public(lambda: settings.HTTP_CACHE_LIST_SECONDS, kept_briefly=True)


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
