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


# Each heading with the line the seed's format writes under it: the explanation
# tells a real heading from the same word on a line of free text (a description
# may have a paragraph titled "Interventions"). Study Results has a message instead.
EXPLANATIONS = {
    "Study Results": "",
    "Basic Information": "Get a concise snapshot of the trial, including recruitment status, study phase, "
    "enrollment targets, and key timeline milestones.",
    "Brief Summary": "Review the sponsor-provided synopsis that highlights what the study is about and why it is "
    "being conducted.",
    "Related Clinical Trials": "",
    "Detailed Description": "Dive into the extended narrative that explains the scientific background, objectives, "
    "and procedures in greater depth.",
    "Conditions": "See the medical conditions and disease areas that this research is targeting or investigating.",
    "Study Design": "Understand how the trial is structured, including allocation methods, masking strategies, "
    "primary purpose, and other design elements.",
    "Study Groups": "Review each arm or cohort in the study, along with the interventions and objectives "
    "associated with them.",
    "Interventions": "Learn about the drugs, procedures, or behavioral strategies being tested and how they are "
    "applied within this trial.",
    "Other Intervention Names": "Discover alternative or legacy names that may be used to describe the listed "
    "interventions across different sources.",
    "Eligibility Criteria": "Check the participation requirements, including inclusion and exclusion rules, age "
    "limits, and whether healthy volunteers are accepted.",
    "Sponsors": "Meet the organizations funding or collaborating on the study and learn about their roles.",
    "Responsible Party": "Identify the individual or organization who holds primary responsibility for the study "
    "information submitted to regulators.",
    "Principal Investigators": "Learn about the lead researchers overseeing the trial and their institutional "
    "affiliations.",
    "Locations": "Explore where the study is taking place and check the recruitment status at each participating site.",
    "Countries": "",
    "References": "Explore related publications, articles, or registry entries linked to this study.",
    "Other Identifiers": "Review additional registry numbers or institutional identifiers associated with this trial.",
    "More Related Trials": "",
}
HEADINGS = tuple(EXPLANATIONS)
HEADER = "Header"
# The page's own words when no results are posted.
NO_RESULTS_MARKERS = ("not published", "no results", "not yet")


def looks_like_page(text: str) -> bool:
    lines = [line.strip() for line in text.splitlines()[:5]]
    return any(line.upper().startswith("NCT ID:") for line in lines)


def split_sections(text: str) -> tuple[list[str], dict[str, list[str]], list[str]]:
    """The header's lines, each section's lines, and warnings about headings read as text."""
    lines = [line.strip() for line in text.split("\n")]
    starts, warnings = _section_starts(lines)
    header: list[str] = []
    sections: dict[str, list[str]] = {}
    current = header
    index = 0
    while index < len(lines):
        line = lines[index]
        if index in starts:
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
    return header, sections, warnings


def _section_starts(lines: list[str]) -> tuple[set[int], list[str]]:
    """Which heading lines start sections: of a heading found more than once, the one with its explanation.

    The others are lines of text. When the explanation does not tell them apart,
    the first is the section, and a warning says so: the page is still read.
    """
    found: dict[str, list[int]] = {}
    for index, line in enumerate(lines):
        if line in HEADINGS:
            found.setdefault(line, []).append(index)
    starts: set[int] = set()
    warnings: list[str] = []
    for heading, indexes in found.items():
        explained = [index for index in indexes if _next_line(lines, index) == EXPLANATIONS[heading]]
        if len(indexes) > 1 and len(explained) != 1:
            warnings.append(
                f"{heading}: the heading appears {len(indexes)} times; the first is read as the section, "
                "the others as text"
            )
        starts.add(explained[0] if len(explained) == 1 else indexes[0])
    return starts, warnings


def _next_line(lines: list[str], index: int) -> str:
    return next((line for line in lines[index + 1 :] if line), "")


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
