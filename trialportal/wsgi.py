"""WSGI entry point, used by gunicorn in production."""

from __future__ import annotations

import os
from collections.abc import Iterable

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialportal.settings")
# Read by the settings: this process answers requests, so its statements get
# PUBLIC_STATEMENT_TIMEOUT_MS.
os.environ["TRIALPORTAL_SERVES_REQUESTS"] = "1"

django_application = get_wsgi_application()

# What a process reads once, taking seconds: the URLconf and the views it imports, the search
# vocabulary and the gazetteer. Here, as a worker starts, rather than in its first requests.
from django.template.loader import get_template  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from trials import places, search  # noqa: E402

get_resolver().url_patterns  # noqa: B018
get_template("trials/trial_list.html")
search.vocabulary.load()
places.load()


def application(environ: dict, start_response) -> Iterable[bytes]:
    """Django's application, without a body for HEAD.

    Django renders a HEAD request as a GET, headers and body, and leaves
    dropping the body to the server: runserver does, gunicorn drops it too
    but logs a warning for every HEAD. The headers (Content-Length included)
    stay those of the GET, as HTTP asks.
    """
    response = django_application(environ, start_response)
    if environ.get("REQUEST_METHOD") != "HEAD":
        return response
    # Closing ends the request as usual (request_finished: connections returned).
    response.close()
    return []
