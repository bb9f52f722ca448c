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

    @property
    def unsorted(self) -> bool:
        """Criteria with no inclusion or exclusion headings: one list, not two empty ones and a third."""
        return bool(self.other) and not self.inclusion and not self.exclusion


def _nested(parent: str, child: str) -> str:
    """``parent`` with a sub-item: after its lead-in colon (or its own semicolon), else after a semicolon."""
    return f"{parent} {child}" if parent.endswith((":", ";")) else f"{parent}; {child}"


def _paragraph_lists(lines: list[str]) -> set[int]:
    """The sections (numbered from 0, a heading starting the next) written mostly as unbulleted paragraphs."""
    counts: dict[int, list[int]] = {}
    section = 0
    for line in lines:
        # [paragraphs, bullets]; an indented unbulleted line continues an item.
        if _HEADING.match(line):
            section += 1
        elif _BULLET.match(line):
            counts.setdefault(section, [0, 0])[1] += 1
        elif not line.startswith(" "):
            counts.setdefault(section, [0, 0])[0] += 1
    return {number for number, (paragraphs, bullets) in counts.items() if paragraphs > bullets}


def split_criteria(text: str) -> Criteria:
    """Split criteria text into inclusion, exclusion and other items.

    A bullet starts an item; an indented or unbulleted line continues the
    previous item (sub-bullets are kept inside their parent item). In a list
    written mostly as unbulleted paragraphs, a paragraph ending with a colon
    after another paragraph leads in the bullets that follow: they are its
    sub-items, not items of their own. (Where bullets are most of a list, a
    paragraph before them introduces them, and each stays an item.)
    """
    criteria = Criteria()
    current = criteria.other
    item_indent: int | None = None
    lines = [line for line in text.splitlines() if line.strip()]
    paragraph_lists, section = _paragraph_lists(lines), 0
    # The last item is an unbulleted paragraph; and it leads in the bullets that follow.
    paragraph, lead_in = False, False
    for raw_line in lines:
        heading = _HEADING.match(raw_line)
        if heading:
            current = criteria.inclusion if heading.group(1).lower() == "inclusion" else criteria.exclusion
            item_indent, paragraph, lead_in = None, False, False
            section += 1
            continue
        bullet = _BULLET.match(raw_line)
        if bullet:
            indent = len(bullet.group(1))
            content = unescape(bullet.group(2).strip())
            if lead_in:
                current[-1] = _nested(current[-1], content)
                item_indent = indent if item_indent is None else item_indent
            elif item_indent is None or indent <= item_indent or not current:
                current.append(content)
                item_indent = indent
            else:
                current[-1] = _nested(current[-1], content)
            paragraph = False
            continue
        content = unescape(raw_line.strip())
        if current and item_indent is not None and raw_line.startswith(" "):
            current[-1] = f"{current[-1]} {content}"
        else:
            lead_in = paragraph and content.endswith(":") and section in paragraph_lists
            current.append(content)
            item_indent, paragraph = None, True
    return criteria


def join_criteria(inclusion: list[str], exclusion: list[str]) -> str:
    """Write items back as the registry's markdown (the items keep their escapes)."""
    parts = []
    if inclusion:
        parts.append("Inclusion Criteria:\n\n" + "\n".join(f"* {item}" for item in inclusion))
    if exclusion:
        parts.append("Exclusion Criteria:\n\n" + "\n".join(f"* {item}" for item in exclusion))
    return "\n\n".join(parts)
