"""``format=ris``: a study as a RIS record, so that citation managers import it.

The tags and what fills each are those of the registry's RIS download (an
online database record, ``TY  - DBASE``); ``fields`` names the tags to
keep. Each tag is declared once below, with the study JSON's elements it
reads, so the tags the API takes, the document and the writer agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .. import status
from ..ctgov.elements import get_path
from ..ctgov.mapping import CONTACTS, DESCRIPTION, DESIGN, ID, LARGE_DOCUMENTS, SPONSORS, STATUS
from ..exports import REGISTRY_URL

CONTENT_TYPE = "application/x-research-info-systems"
# RIS lines end with CR LF: some citation managers read a file with bare LFs as one broken record.
LINE_END = "\r\n"


@dataclass(frozen=True)
class Tag:
    tag: str
    meaning: str
    values: Callable[[dict], Iterable[str]]


def _at(path: str) -> Callable[[dict], list[str]]:
    def values(study: dict) -> list[str]:
        value = get_path(study, path)
        return [str(value)] if value not in (None, "") else []

    return values


def _short_title(study: dict) -> list[str]:
    title = get_path(study, f"{ID}.briefTitle")
    acronym = get_path(study, f"{ID}.acronym")
    if not title:
        return []
    return [f"{title} ({acronym})" if acronym else title]


def _other_ids(study: dict) -> list[str]:
    infos = [get_path(study, f"{ID}.orgStudyIdInfo") or {}, *(get_path(study, f"{ID}.secondaryIdInfos") or [])]
    return [f"{info['id']} [{info['type']}]" if info.get("type") else info["id"] for info in infos if info.get("id")]


def _collaborators(study: dict) -> list[str]:
    return [item["name"] for item in get_path(study, f"{SPONSORS}.collaborators") or [] if item.get("name")]


def _documents(study: dict) -> list[str]:
    documents = get_path(study, f"{LARGE_DOCUMENTS}.largeDocs") or []
    kinds = [
        label
        for key, label in (
            ("hasProtocol", "Study Protocol"),
            ("hasSap", "Statistical Analysis Plan"),
            ("hasIcf", "Informed Consent Form"),
        )
        if any(document.get(key) for document in documents)
    ]
    return [", ".join(kinds)] if kinds else []


def _central_contacts(study: dict) -> list[str]:
    lines = []
    for contact in get_path(study, f"{CONTACTS}.centralContacts") or []:
        phone = contact.get("phone", "")
        if phone and contact.get("phoneExt"):
            phone += f" ext. {contact['phoneExt']}"
        parts = [contact.get("name", ""), phone, contact.get("email", "")]
        if any(parts):
            lines.append(", ".join(part for part in parts if part))
    return lines


def _results(study: dict) -> list[str]:
    return ["Has Results" if study.get("hasResults") else "No Results Available"]


# In the order the registry writes them.
TAGS: tuple[Tag, ...] = (
    Tag("TY", "type of reference: an online database", lambda study: ["DBASE"]),
    Tag("DP", "database provider", lambda study: ["National Library of Medicine (US)"]),
    Tag("PP", "place published", lambda study: ["Bethesda (MD)"]),
    Tag("ID", "reference ID: the NCT number", _at(f"{ID}.nctId")),
    Tag("AN", "accession number: the NCT number", _at(f"{ID}.nctId")),
    Tag("U1", "other study IDs, each with its type", _other_ids),
    Tag("ST", "short title: the brief title and acronym", _short_title),
    Tag("TI", "title: the official title", _at(f"{ID}.officialTitle")),
    Tag("Y1", "first submitted", _at(f"{STATUS}.studyFirstSubmitDate")),
    Tag("Y2", "start date", _at(f"{STATUS}.startDateStruct.date")),
    Tag("A2", "collaborators", _collaborators),
    Tag("C1", "lead sponsor", _at(f"{SPONSORS}.leadSponsor.name")),
    Tag("C2", "overall status", _at(f"{STATUS}.overallStatus")),
    Tag("C3", "last update posted", _at(f"{STATUS}.lastUpdatePostDateStruct.date")),
    Tag("C4", "last update submitted", _at(f"{STATUS}.lastUpdateSubmitDate")),
    Tag("C5", "study type", _at(f"{DESIGN}.studyType")),
    Tag("C6", "whether results are posted", _results),
    Tag("C7", "study documents posted", _documents),
    Tag("C8", "central contacts", _central_contacts),
    Tag("AB", "abstract: the brief summary", _at(f"{DESCRIPTION}.briefSummary")),
    Tag(
        "UR",
        "the study's page on ClinicalTrials.gov",
        lambda study: [f"{REGISTRY_URL}{get_path(study, f'{ID}.nctId')}"],
    ),
    Tag("SF", "source: the registry", lambda study: ["ClinicalTrials.gov"]),
    # A copy kept in the shared cache keeps its day, for SHARED_CACHE_SECONDS at most (a day by default).
    Tag("RD", "retrieved: today", lambda study: [status.today().strftime("%Y/%m/%d")]),
)
TAG_NAMES = tuple(tag.tag for tag in TAGS)
# Always written: a record needs its type first and its end.
_REQUIRED = ("TY",)


class UnknownTags(ValueError):
    def __init__(self, names: list[str]):
        super().__init__(f"unknown RIS tag {', '.join(names)}; tags: {', '.join(TAG_NAMES)}")


def tag_selection(names: list[str]) -> list[str]:
    """The tags ``fields`` names (any case), in the record's order; UnknownTags for others."""
    wanted = {name.strip().upper() for name in names}
    unknown = [name.strip() for name in names if name.strip().upper() not in TAG_NAMES]
    if unknown:
        raise UnknownTags(unknown)
    return [name for name in TAG_NAMES if name in wanted]


def ris_record(study: dict, tags: list[str] | None = None) -> str:
    """The RIS record of one study (API v2 JSON), with every tag or only ``tags``."""
    chosen = set(tags or TAG_NAMES) | set(_REQUIRED)
    lines = [
        f"{tag.tag}  - {value}"
        for tag in TAGS
        if tag.tag in chosen
        for raw in tag.values(study)
        # One line each: a RIS value ends with its line.
        if (value := " ".join(str(raw).split()))
    ]
    return LINE_END.join([*lines, "ER  - ", ""])
