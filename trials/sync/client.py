"""Talking to an API v2 server: politely, within bounds, retrying what is worth retrying.

One ``Client`` per run. Every request waits its turn under
``SYNC_MAX_REQUESTS_PER_MINUTE``, names the portal in its User-Agent, gives
up after ``SYNC_TIMEOUT_SECONDS`` and reads at most ``SYNC_MAX_PAGE_BYTES``.
Timeouts, dropped connections, 429 and 5xx are retried with exponential
backoff and jitter (at least what ``Retry-After`` asks), up to
``SYNC_MAX_ATTEMPTS``; an answer that is not a page of studies is
``SourceError`` at once, as retrying garbage gives garbage.
"""

from __future__ import annotations

import email.utils
import http.client
import random
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

import orjson
from django.conf import settings

import trialportal

RETRY_STATUSES = {429, 500, 502, 503, 504}
# The checkpoint keeps the next page's token: the registry's are a few dozen characters.
MAX_TOKEN_LENGTH = 500


class SourceError(Exception):
    """The source cannot give the page: the run stops at its checkpoint.

    ``status`` is the HTTP status of a refusal the source will not change its mind on (a 4xx other than 429).
    """

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


@dataclass
class Page:
    studies: int
    next_page_token: str
    total_count: int | None
    body: bytes


def user_agent() -> str:
    return f"TrialPortal/{trialportal.VERSION} (+{settings.PORTAL_URL})"


class Client:
    """Pages of ``/studies`` from one source; ``requests`` counts every attempt made."""

    def __init__(
        self,
        base_url: str,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.base_url = base_url.rstrip("/")
        self.sleep, self.clock = sleep, clock
        self.requests = 0
        self.retries = 0
        per_minute = settings.SYNC_MAX_REQUESTS_PER_MINUTE
        self.interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self._last_request: float | None = None

    def studies_page(self, params: dict[str, str]) -> Page:
        """One page of ``/studies`` (JSON), checked to be one."""
        url = f"{self.base_url}/studies?{urllib.parse.urlencode(params)}"
        body, content_type = self.get(url)
        return parse_page(body, content_type)

    def get(self, url: str) -> tuple[bytes, str]:
        """The body and content type of a 200 answer, after the retries it takes."""
        attempts = max(1, settings.SYNC_MAX_ATTEMPTS)
        for attempt in range(attempts):
            self._wait_turn()
            self.requests += 1
            try:
                return self._fetch(url)
            except _Transient as error:
                if attempt == attempts - 1:
                    raise SourceError(f"{error.reason}; gave up after {attempts} attempts ({url})") from None
                wait = max(error.retry_after or 0.0, self._backoff(attempt))
                if wait > settings.SYNC_MAX_WAIT_SECONDS:
                    raise SourceError(f"{error.reason}; the source asks to wait {wait:.0f} s: try later") from None
                self.retries += 1
                self.sleep(wait)
        raise AssertionError("unreachable")

    def _backoff(self, attempt: int) -> float:
        # Full jitter: spread the retries of many mirrors over the whole window.
        return random.uniform(0.5, 1.0) * settings.SYNC_BACKOFF_SECONDS * 2**attempt

    def _wait_turn(self) -> None:
        now = self.clock()
        if self._last_request is not None and self.interval:
            due = self._last_request + self.interval
            if due > now:
                self.sleep(due - now)
                now = due
        self._last_request = now

    def _fetch(self, url: str) -> tuple[bytes, str]:
        request = urllib.request.Request(url, headers={"User-Agent": user_agent(), "Accept": "application/json"})
        limit = settings.SYNC_MAX_PAGE_BYTES
        try:
            with urllib.request.urlopen(request, timeout=settings.SYNC_TIMEOUT_SECONDS) as response:
                body = response.read(limit + 1)
                content_type = response.headers.get("Content-Type", "")
                # Fewer bytes than Content-Length promised: the connection dropped mid-answer.
                dropped = len(body) <= limit and bool(response.length)
        except urllib.error.HTTPError as error:
            with error:
                if error.code in RETRY_STATUSES:
                    raise _Transient(f"HTTP {error.code}", _retry_after(error.headers.get("Retry-After"))) from None
                detail = error.read(500).decode("utf-8", "replace").strip()
            raise SourceError(f"HTTP {error.code} from {url}: {detail or error.reason}", error.code) from None
        except TimeoutError:
            raise _Transient("timed out") from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, (TimeoutError, ConnectionError)):
                raise _Transient(f"connection failed: {error.reason}") from None
            raise SourceError(f"cannot reach {url}: {error.reason}") from None
        except (ConnectionError, http.client.HTTPException) as error:
            # Dropped mid-answer (RemoteDisconnected, IncompleteRead, a reset): the next try may get it whole.
            raise _Transient(f"connection dropped: {error!r}") from None
        if dropped:
            raise _Transient(f"connection dropped after {len(body)} bytes of the answer")
        if len(body) > limit:
            raise SourceError(f"the page is larger than {limit / 2**20:g} MB (SYNC_MAX_PAGE_BYTES): not read")
        return body, content_type


class _Transient(Exception):
    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.reason, self.retry_after = reason, retry_after


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def parse_page(body: bytes, content_type: str = "application/json") -> Page:
    """A ``/studies`` answer read as a page; anything else (HTML, a truncated body) is ``SourceError``."""
    if "json" not in content_type.lower():
        kind = content_type.split(";")[0].strip() or "no content type"
        raise SourceError(f"the source answered {kind}, not JSON: {_excerpt(body)}")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise SourceError(f"the page is not valid JSON (truncated?): {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("studies"), list):
        raise SourceError(f"the answer holds no list of studies: {_excerpt(body)}")
    token = data.get("nextPageToken") or ""
    total = data.get("totalCount")
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise SourceError("the page's nextPageToken is not a token (a string of at most 500 characters)")
    if total is not None and (not isinstance(total, int) or isinstance(total, bool) or total < 0):
        raise SourceError("the page's totalCount is not a count")
    return Page(len(data["studies"]), token, total, body)


def _excerpt(body: bytes) -> str:
    text = body[:80].decode("utf-8", "replace").replace("\n", " ").strip()
    return repr(text + ("…" if len(body) > 80 else ""))
