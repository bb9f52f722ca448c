"""Reader for trial pages saved as plain text (the seed document's format).

A page starts with the title, ``NCT ID: ...`` and ``Last Updated: ...``
lines, then sections: a known heading, a one-line explanation of the section,
and the section's content, one fact or list item a line. Sections may be
empty or missing and lists may have any length; what a line means is read
from its shape (a registry code, a date, ``Role: ...``), not from its place
in one particular page.

Rooms: ``layout`` (the header and the section headings), ``shapes`` (what a
line looks like), a reader per group of sections (``study``,
``interventions``, ``eligibility``, ``people``, ``locations``,
``references``), and ``parser``, which runs them in order.
"""

from __future__ import annotations

from .layout import HEADINGS, DocumentError, looks_like_page
from .parser import PageParser, parse_page

__all__ = ["HEADINGS", "DocumentError", "PageParser", "looks_like_page", "parse_page"]
