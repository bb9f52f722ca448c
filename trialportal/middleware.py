"""Security headers that Django 5.2 does not set by itself, and answers for requests that cannot be served."""

from __future__ import annotations

import logging
import os

from django.conf import settings
from django.db import OperationalError
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed
from django.template.loader import render_to_string
from django.urls import get_resolver

from trials import characters

logger = logging.getLogger("django.request")

# Nothing by default; scripts, styles, images and fonts from our own origin
# only, never inline; no plugins, no framing.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault(
            "Content-Security-Policy", getattr(settings, "CONTENT_SECURITY_POLICY", CONTENT_SECURITY_POLICY)
        )
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


class RefuseUnservedMethodsMiddleware:
    """Methods the site does not serve answer 405 everywhere.

    Function views answer whatever method they are sent, so ``TRACE`` (or a
    made-up ``TRACK``) got the page back as if it were a ``GET``.
    """

    ALLOWED = ("GET", "HEAD", "OPTIONS", "POST")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in self.ALLOWED:
            return HttpResponseNotAllowed(
                self.ALLOWED, f"{request.method} is not served here.\n", content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)


class RejectForbiddenCharactersMiddleware:
    """Parameters holding characters XML 1.0 forbids get a 400, in one place for every page, API and feed.

    No search means anything by a control character, and the feed and the
    sitemap could not carry one. A posted form may hold them (the admin
    refuses them with a field error), but never NUL: PostgreSQL text cannot
    hold it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._holds(request.GET, characters.has_forbidden) or (
            request.method == "POST" and self._holds(request.POST, lambda text: "\x00" in text)
        ):
            return HttpResponseBadRequest(
                "Parameters may not contain NUL or other control characters (tab and line breaks excepted), "
                "nor U+FFFE or U+FFFF.\n",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)

    @staticmethod
    def _holds(data, forbidden) -> bool:
        return any(forbidden(key) or any(forbidden(value) for value in values) for key, values in data.lists())


class DatabaseUnavailableMiddleware:
    """A view that cannot reach the database answers 503 (try again later), not 500 (a bug).

    An ``OperationalError`` is the database's state, not the request's: the
    server is down or restarting, refuses more connections, or is locked.
    The page is rendered without a request, so it needs no database itself.
    """

    RETRY_AFTER_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError):
            return None
        logger.error("Database unavailable: %s", request.path, exc_info=exception)
        # query_canceled: the statement outlived PUBLIC_STATEMENT_TIMEOUT_MS.
        too_long = getattr(exception.__cause__, "sqlstate", None) == "57014"
        if request.path.startswith("/api/"):
            response = HttpResponse(
                "This request took longer than the portal allows; ask for less or try again later.\n"
                if too_long
                else "The trial database is not answering right now; try again in a minute.\n",
                content_type="text/plain; charset=utf-8",
                status=503,
            )
        else:
            response = HttpResponse(render_to_string("503.html", {"too_long": too_long}), status=503)
        response["Retry-After"] = str(self.RETRY_AFTER_SECONDS)
        return response


class PortalNotFoundMiddleware:
    """Under ``DJANGO_DEBUG=1`` too, a page that is not there is the portal's own 404 page.

    Django's debug 404 (the URL patterns it tried) helps whoever is writing a
    URL, not someone following a link under ``make run``: it is kept only with
    ``DJANGO_DEBUG_TECHNICAL_404=1``. Without DEBUG Django already answers with
    ``handler404`` and this does nothing.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    @staticmethod
    def _replaces() -> bool:
        return settings.DEBUG and os.environ.get("DJANGO_DEBUG_TECHNICAL_404") != "1"

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 404
            and self._replaces()
            and response.get("Content-Type", "").startswith("text/html")
            and not getattr(response, "portal_not_found", False)
        ):
            # An address no URL pattern matches: Django's debug page was made before any view ran.
            response = self._page(request, None)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, Http404) and self._replaces():
            return self._page(request, exception)
        return None

    @staticmethod
    def _page(request, exception):
        response = get_resolver().resolve_error_handler(404)(request, exception)
        response.portal_not_found = True
        return response
