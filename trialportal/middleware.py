"""Security headers that Django 5.2 does not set by itself, and answers for requests that cannot be served."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import OperationalError
from django.http import HttpResponse, HttpResponseBadRequest
from django.template.loader import render_to_string

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


class RejectNullCharactersMiddleware:
    """A NUL character in a parameter is never meaningful, and PostgreSQL text cannot hold it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        sources = [request.GET, request.POST] if request.method == "POST" else [request.GET]
        for data in sources:
            for key, values in data.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    return HttpResponseBadRequest(
                        "Parameters may not contain NUL characters.\n", content_type="text/plain; charset=utf-8"
                    )
        return self.get_response(request)


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
