"""The page parser: splits a page into its sections and hands each to its reader."""

from __future__ import annotations

from collections.abc import Callable

from ... import choices
from ...ctgov.records import TrialRecord
from .eligibility import read_eligibility
from .interventions import read_interventions, read_other_names, read_study_groups
from .layout import DocumentError, has_results, read_header, split_sections
from .locations import read_locations
from .people import read_investigators, read_responsible_party, read_sponsors
from .references import read_identifiers, read_references, read_related
from .study import read_basic_information, read_brief_summary, read_conditions, read_design, read_detailed_description


class PageParser:
    def __init__(self, text: str):
        self.text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
        # What the page says that was kept but is worth a look; the import reports them.
        self.warnings: list[str] = []

    def parse(self) -> TrialRecord:
        header, sections, self.warnings = split_sections(self.text)
        record = read_header(header)
        record.fields["has_results"] = has_results(sections.get("Study Results", []))
        for heading, read in self._readers().items():
            lines = sections.get(heading, [])
            try:
                read(record, lines)
            except DocumentError:
                raise
            except ValueError as error:
                raise DocumentError(heading, str(error)) from None
        return record

    def _readers(self) -> dict[str, Callable[[TrialRecord, list[str]], None]]:
        # Interventions come before the study groups that name them.
        return {
            "Basic Information": read_basic_information,
            "Brief Summary": read_brief_summary,
            "Detailed Description": read_detailed_description,
            "Conditions": read_conditions,
            "Study Design": read_design,
            "Interventions": read_interventions,
            "Other Intervention Names": self._other_names,
            "Study Groups": read_study_groups,
            "Eligibility Criteria": read_eligibility,
            "Sponsors": read_sponsors,
            "Responsible Party": read_responsible_party,
            "Principal Investigators": read_investigators,
            "Locations": read_locations,
            "References": read_references,
            "Other Identifiers": read_identifiers,
            "Related Clinical Trials": read_related(choices.RelatedTrialKind.LISTED),
            "More Related Trials": read_related(choices.RelatedTrialKind.SIMILAR),
        }

    def _other_names(self, record: TrialRecord, lines: list[str]) -> None:
        self.warnings += read_other_names(record, lines)


def parse_page(text: str) -> TrialRecord:
    return PageParser(text).parse()
