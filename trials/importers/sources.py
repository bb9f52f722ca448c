"""Sources: where an import's documents come from, and what each one holds.

Documents are trial pages saved as text (the seed's format) and
ClinicalTrials.gov API v2 JSON: one study, a search page (``{"studies": [...]}``),
a JSON array of studies, a directory of such files, or the registry's bulk
ZIP of one JSON file per study. The format is read from the content.

A document is read whole only up to ``max_study_bytes``: a larger JSON array
or search page is read study by study, anything else larger is refused
unread, so no input (a ZIP bomb included) inflates into memory. Nothing here
touches the database.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import ijson
import orjson
from django.conf import settings

from ..ctgov import StudyError, study_to_record
from ..ctgov.records import TrialRecord
from .page import DocumentError, PageParser, looks_like_page

SEED_DOCUMENT = Path(__file__).resolve().parent.parent / "seed" / "NCT04133233.txt"
# In a directory, only these are documents; a file named outright is always read.
DOCUMENT_SUFFIXES = {".txt", ".json", ".zip"}


@dataclass
class ImportFailure:
    source: str
    nct_id: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.source} ({self.nct_id})" if self.nct_id else self.source
        return f"{where}: {self.reason}"


class UnknownFormat(Exception):
    pass


@dataclass
class Read:
    """What one document gave: records to save, or why it could not be read."""

    source: str
    records: list[TrialRecord] = field(default_factory=list)
    failures: list[ImportFailure] = field(default_factory=list)
    # Imported, but worth a look (a page's other names that name no one intervention).
    warnings: list[ImportFailure] = field(default_factory=list)
    # The input file it came from (a ZIP archive for its members), and its size.
    file: str = ""
    size: int = 0


def read_document(text: str | bytes, source: str = "") -> Read:
    """The records in one document, its format detected from its content."""
    read = Read(source)
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith(("{", "[")):
        try:
            # orjson: a bulk import spends much of its time reading JSON.
            data = orjson.loads(stripped)
        except orjson.JSONDecodeError as error:
            read.failures.append(ImportFailure(source, "", f"invalid JSON: {error}"))
            return read
        for study in _studies(data):
            try:
                read.records.append(study_to_record(study))
            except StudyError as error:
                nct_id = _nct_id(study)
                read.failures.append(ImportFailure(source, nct_id, str(error)))
        return read
    if looks_like_page(stripped):
        parser = PageParser(text)
        try:
            record = parser.parse()
        except DocumentError as error:
            read.failures.append(ImportFailure(source, "", f"section {error.section!r}: {error.message}"))
            return read
        read.records.append(record)
        read.warnings += [ImportFailure(source, record.nct_id, warning) for warning in parser.warnings]
        return read
    raise UnknownFormat("neither a trial page nor ClinicalTrials.gov JSON")


def _studies(data) -> list:
    if isinstance(data, dict) and "studies" in data:
        studies = data["studies"]
        return studies if isinstance(studies, list) else [studies]
    if isinstance(data, list):
        return data
    return [data]


def _nct_id(study) -> str:
    try:
        value = study["protocolSection"]["identificationModule"]["nctId"]
    except (KeyError, TypeError):
        return ""
    return value if isinstance(value, str) else ""


def _documents(paths: list[Path]) -> Iterator[tuple[str, str, Callable[[], BinaryIO]]]:
    """(name, file, opener) for every document under ``paths``, ZIP members included.

    ``file`` is the input file the document came from: a ZIP archive for its members.
    """
    for path in paths:
        if path.is_dir():
            children = sorted(
                child
                for child in path.rglob("*")
                if child.is_file() and child.suffix.lower() in DOCUMENT_SUFFIXES and not child.name.startswith(".")
            )
            yield from _documents(children)
        elif zipfile.is_zipfile(path):
            try:
                archive = zipfile.ZipFile(path)
            except (OSError, zipfile.BadZipFile) as error:
                yield str(path), str(path), _raiser(OSError(f"cannot open the ZIP: {error}"))
                continue
            with archive:
                for member in archive.infolist():
                    if member.is_dir() or Path(member.filename).suffix.lower() not in DOCUMENT_SUFFIXES:
                        continue
                    yield (
                        f"{path}:{member.filename}",
                        str(path),
                        lambda member=member, archive=archive: archive.open(member),
                    )
        else:
            yield str(path), str(path), lambda path=path: path.open("rb")


def _raiser(error: Exception) -> Callable[[], BinaryIO]:
    def read() -> BinaryIO:
        raise error

    return read


def count_documents(paths: list[str | Path]) -> int:
    """How many documents ``import_paths`` will read, for a progress bar."""
    total = 0
    for path in map(Path, paths):
        if path.is_dir():
            total += count_documents(
                [child for child in path.rglob("*") if child.is_file() and child.suffix.lower() in DOCUMENT_SUFFIXES]
            )
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                total += sum(
                    1
                    for member in archive.infolist()
                    if not member.is_dir() and Path(member.filename).suffix.lower() in DOCUMENT_SUFFIXES
                )
        else:
            total += 1
    return total


def max_study_bytes() -> int:
    """The largest study document an import reads (``settings.IMPORT_MAX_STUDY_BYTES``)."""
    return settings.IMPORT_MAX_STUDY_BYTES


def loaded(paths: list[Path]) -> Iterator[tuple[str, bytes, str] | Read]:
    """(name, content, file) of every document under ``paths``, or why one could not be read.

    A document is read whole only up to ``max_study_bytes``; a larger JSON
    array or search page is read study by study (``_streamed_studies``),
    anything else larger is refused unread.
    """
    limit = max_study_bytes()
    for source, file, opener in _documents(paths):
        try:
            with opener() as stream:
                head = stream.read(limit + 1)
                if len(head) <= limit:
                    yield source, head, file
                    continue
                start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
                if start not in (b"[", b"{"):
                    yield Read(source, file=file, failures=[_too_large(source, limit)])
                    continue
                yield from _streamed_studies(source, file, BoundedStream(head, stream), limit, start == b"[")
        except (OSError, zipfile.BadZipFile, zlib.error, EOFError) as error:
            yield Read(source, file=file, failures=[ImportFailure(source, "", f"cannot read the file: {error}")])


def _too_large(source: str, limit: int, what: str = "the document") -> ImportFailure:
    return ImportFailure(
        source,
        "",
        f"{what} is larger than the {limit / 2**20:g} MB a study may weigh (IMPORT_MAX_STUDY_BYTES): not read",
    )


class StudyTooLarge(Exception):
    pass


class BoundedStream:
    """A binary stream: ``head`` (already read), then the rest of ``stream``.

    Counts what it gives, and refuses to read on (``StudyTooLarge``) once
    ``limit`` bytes have passed since ``mark()``: one study of a JSON stream
    may not grow past the limit in the parser's buffers.
    """

    def __init__(self, head: bytes, stream: BinaryIO):
        self.head, self.stream = memoryview(head), stream
        self.given = self.marked = 0
        self.limit: int | None = None

    def mark(self) -> None:
        self.marked = self.given

    def read(self, size: int = -1) -> bytes:
        if self.limit is not None and self.given - self.marked > self.limit:
            raise StudyTooLarge
        if size < 0:
            size = 1 << 16
        if self.head:
            data, self.head = bytes(self.head[:size]), self.head[size:]
        else:
            data = self.stream.read(size)
        self.given += len(data)
        return data


def _streamed_studies(
    source: str, file: str, stream: BoundedStream, limit: int, array: bool
) -> Iterator[tuple[str, bytes, str] | Read]:
    """Each study of a JSON array (or of a search page's ``studies``), as a document of its own.

    Parsed incrementally (ijson's C parser), so memory holds one study at a
    time however long the input. A study past ``limit`` ends the file there:
    the parser cannot skip it, so the studies before it land and the rest
    is reported.
    """
    stream.limit = limit
    count = 0
    try:
        for study in ijson.items(stream, "item" if array else "studies.item", use_float=True):
            count += 1
            # orjson again: the workers read documents as bytes, as from any file.
            yield source, orjson.dumps(study), file
            stream.mark()
    except StudyTooLarge:
        what = f"study {count + 1}" if array or count else "the document"
        yield Read(source, file=file, failures=[_too_large(source, limit, what)])
    except (ijson.JSONError, orjson.JSONEncodeError) as error:
        failure = ImportFailure(source, "", f"invalid JSON after study {count}: {error}")
        yield Read(source, file=file, failures=[failure])
    else:
        if not count:
            yield Read(source, file=file, failures=[_too_large(source, limit)])


def named_nct_id(source: str) -> str:
    """The NCT ID a file (or ZIP member) is named for, as in the registry's bulk download, or ""."""
    match = _NCT_FILE_NAME.fullmatch(re.split(r"[/:]", source)[-1])
    return match[1].upper() if match else ""


_NCT_FILE_NAME = re.compile(r"(NCT\d{8})\.(?:json|txt)", re.IGNORECASE)
