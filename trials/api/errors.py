"""The API's plain-text errors: what was asked, never a control character of it echoed."""

from __future__ import annotations

from django.http import HttpResponse

from .. import search


def error(message: str, status: int = 400) -> HttpResponse:
    return HttpResponse(printable(message) + "\n", status=status, content_type="text/plain; charset=utf-8")


def printable(text: str) -> str:
    """``text`` with its control characters (a NUL from ``%00``, a line break) written as escapes, never echoed."""
    return "".join(char if char.isprintable() else char.encode("unicode_escape").decode("ascii") for char in text)


def missing_study(nct_id: str) -> HttpResponse:
    """The answer for a study not on file: 400 for what is not an NCT ID (the spec's ``nctId`` pattern), else 404."""
    canonical = search.nct_id_from_token(nct_id)
    if canonical is None:
        shown = nct_id if len(nct_id) <= 40 else nct_id[:40] + "…"
        return error(f"{shown!r} is not an NCT ID: NCT followed by up to 8 digits, as in NCT04267848.")
    return error(f"No study {canonical} is on file.", status=404)
