"""Eligibility criteria: the registry's markdown text, split into items.

ClinicalTrials.gov keeps eligibility criteria as one markdown text, with
``Inclusion Criteria:`` and ``Exclusion Criteria:`` headings, ``*`` bullets
and backslash escapes (``\\>``). The text is stored as the registry wrote it;
pages and checklists use the items this module derives from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# "Inclusion Criteria:", "Key Exclusion Criteria:", "Inclusion criteria for patients:".
_HEADING = re.compile(r"^\s*(?:[\w-]+\s+){0,2}?(inclusion|exclusion)\s+criteria\b[^.*]{0,40}?:?\s*$", re.IGNORECASE)
_BULLET = re.compile(r"^(\s*)(?:[*\-•+]|\d+[.)]|[a-zA-Z][.)])\s+(.*)$")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|~=])")


def unescape(text: str) -> str:
    """Undo the registry's markdown escapes: ``\\>`` → ``>``."""
    return _ESCAPE.sub(r"\1", text)


@dataclass
class Criteria:
    inclusion: list[str] = field(default_factory=list)
    exclusion: list[str] = field(default_factory=list)
    # Text outside the two lists (a preamble, or criteria with no headings).
    other: list[str] = field(default_factory=list)


def split_criteria(text: str) -> Criteria:
    """Split criteria text into inclusion, exclusion and other items.

    A bullet starts an item; an indented or unbulleted line continues the
    previous item (sub-bullets are kept inside their parent item).
    """
    criteria = Criteria()
    current = criteria.other
    item_indent: int | None = None
    for raw_line in text.splitlines():
        if not raw_line.strip():
            continue
        heading = _HEADING.match(raw_line)
        if heading:
            current = criteria.inclusion if heading.group(1).lower() == "inclusion" else criteria.exclusion
            item_indent = None
            continue
        bullet = _BULLET.match(raw_line)
        if bullet:
            indent = len(bullet.group(1))
            content = unescape(bullet.group(2).strip())
            if item_indent is None or indent <= item_indent or not current:
                current.append(content)
                item_indent = indent
            else:
                current[-1] = f"{current[-1]}; {content}"
            continue
        content = unescape(raw_line.strip())
        if current and item_indent is not None and raw_line.startswith(" "):
            current[-1] = f"{current[-1]} {content}"
        else:
            current.append(content)
            item_indent = None
    return criteria


def join_criteria(inclusion: list[str], exclusion: list[str]) -> str:
    """Write items back as the registry's markdown (the items keep their escapes)."""
    parts = []
    if inclusion:
        parts.append("Inclusion Criteria:\n\n" + "\n".join(f"* {item}" for item in inclusion))
    if exclusion:
        parts.append("Exclusion Criteria:\n\n" + "\n".join(f"* {item}" for item in exclusion))
    return "\n\n".join(parts)
