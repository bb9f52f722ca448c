"""How a page is laid out: a header, then known headings each over its lines."""

from __future__ import annotations

from ...ctgov.records import TrialRecord
from ...values import PartialDate
from .shapes import LABELLED, NCT_ID


class DocumentError(Exception):
    """A page that cannot be read, naming the section and what is wrong."""

    def __init__(self, section: str, message: str):
        self.section = section
        self.message = message
        super().__init__(f"{section}: {message}")


HEADINGS = (
    "Study Results",
    "Basic Information",
    "Brief Summary",
    "Related Clinical Trials",
    "Detailed Description",
    "Conditions",
    "Study Design",
    "Study Groups",
    "Interventions",
    "Other Intervention Names",
    "Eligibility Criteria",
    "Sponsors",
    "Responsible Party",
    "Principal Investigators",
    "Locations",
    "Countries",
    "References",
    "Other Identifiers",
    "More Related Trials",
)
HEADER = "Header"
# The page's own words when no results are posted.
NO_RESULTS_MARKERS = ("not published", "no results", "not yet")


def looks_like_page(text: str) -> bool:
    lines = [line.strip() for line in text.splitlines()[:5]]
    return any(line.upper().startswith("NCT ID:") for line in lines)


def split_sections(text: str) -> tuple[list[str], dict[str, list[str]]]:
    lines = [line.strip() for line in text.split("\n")]
    header: list[str] = []
    sections: dict[str, list[str]] = {}
    current = header
    index = 0
    while index < len(lines):
        line = lines[index]
        if line in HEADINGS:
            if line in sections:
                raise DocumentError(line, "the section appears twice")
            current = sections[line] = []
            # The line after a heading explains the section; Study Results
            # has no explanation, only its message.
            while index + 1 < len(lines) and not lines[index + 1]:
                index += 1
            following = lines[index + 1] if index + 1 < len(lines) else ""
            if line != "Study Results" and following not in HEADINGS:
                index += 1
        elif line:
            current.append(line)
        index += 1
    if not sections:
        raise DocumentError(HEADER, "no known section headings (is this a trial page?)")
    return header, sections


def read_header(lines: list[str]) -> TrialRecord:
    title = ""
    values: dict[str, str] = {}
    for line in lines:
        match = LABELLED.match(line)
        if match and match.group(1).strip().lower() in {
            "nct id",
            "last updated",
            "official title",
            "acronym",
            "first posted",
        }:
            values[match.group(1).strip().lower()] = match.group(2).strip()
        elif not title:
            title = line
        else:
            raise DocumentError(HEADER, f"unexpected line {line!r}")
    if not title:
        raise DocumentError(HEADER, "the page has no title")
    nct_id = values.get("nct id", "").upper()
    if not NCT_ID.match(nct_id):
        raise DocumentError(HEADER, f"missing or malformed NCT ID {values.get('nct id', '')!r}")
    record = TrialRecord(nct_id=nct_id)
    record.fields.update(
        brief_title=title,
        official_title=values.get("official title", ""),
        acronym=values.get("acronym", ""),
    )
    for label, field in (("last updated", "last_update_posted_date"), ("first posted", "first_posted_date")):
        if label in values:
            try:
                record.fields[field] = PartialDate.parse(values[label]).date
            except ValueError as error:
                raise DocumentError(HEADER, f"{label.capitalize()}: {error}") from None
    return record


def has_results(lines: list[str]) -> bool:
    text = " ".join(lines).lower()
    return bool(text) and not any(marker in text for marker in NO_RESULTS_MARKERS)
