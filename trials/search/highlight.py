"""Snippets of a matching trial's text, with the matched words marked.

The backends mark matches with two control characters (``SNIPPET_START``,
``SNIPPET_STOP``), which no stored text holds; ``highlight`` escapes the rest
as HTML and only then turns the markers into ``<mark>``, so a trial's own
text can never open a tag.
"""

from __future__ import annotations

import re

from django.utils.html import escape

from ..criteria import unescape

SNIPPET_START, SNIPPET_STOP = "\x02", "\x03"


def highlight(text: str) -> str:
    """Undo markdown escapes, escape HTML, and turn the backend's markers into ``<mark>``."""
    return escape(unescape(text)).replace(SNIPPET_START, "<mark>").replace(SNIPPET_STOP, "</mark>")


def snippet(text: str, terms: list[str], width: int = 240) -> str:
    """About ``width`` characters of ``text`` from just before the first term, each term marked."""
    lowered = text.casefold()
    positions = [lowered.find(term.casefold()) for term in terms if term.casefold() in lowered]
    start = max(min(positions) - 60, 0) if positions else 0
    part = text[start : start + width]
    if terms:
        pattern = re.compile("|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
        part = pattern.sub(lambda found: f"{SNIPPET_START}{found.group(0)}{SNIPPET_STOP}", part)
    return ("… " if start else "") + part + (" …" if start + width < len(text) else "")
