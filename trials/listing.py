"""The list page's work, apart from HTTP: search, filter, count, facet, paginate.

``search_trials`` runs a fixed number of queries whatever the query: the
count, one page of trials and what its rows show (``list_rows``), the
snippets, and one query per facet.
"""

from __future__ import annotations

import math
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Count
from django.http import QueryDict
from django.utils.functional import cached_property
from django_filters import MultipleChoiceFilter

from . import choices, places, search, status
from .db import estimate, within_time
from .filters import STATUS_GROUPS, TrialFilter
from .list_rows import list_rows
from .models import Trial

TRIALS_PER_PAGE = 25
# Counting stops here. Past it the count shown is the database's estimate
# ("About 210,000 trials"), and the status and phase counts are left out.
COUNT_LIMIT = 2_000
# When the planner expects this many matches, counting would only confirm
# that there are more than COUNT_LIMIT: the estimate is shown without it.
CONFIDENT_ESTIMATE = 2 * COUNT_LIMIT
# Pages go through this many trials at most.
PAGE_LIMIT = 10_000
# A search that finds fewer trials than this is tried again with its misspelled words corrected.
# One: a search that found anything keeps it ("hopitaux" finds the Hôpitaux de Paris by its stem,
# and its closest condition word would hide them).
CORRECT_BELOW = 1
# Whether a text's matches are read through the index (``search_trials``).
INDEX_SCAN_FACTOR = 20
# The planner's count of the trials, for that choice, is asked again after this many seconds.
TRIALS_ESTIMATE_SECONDS = 600
_trials_estimate: tuple[float, int] = (-math.inf, 0)
UNKNOWN = object()


class CappedPaginator(Paginator):
    """Pages of ``object_list``, counted on ``matches`` (the same trials, unordered), within limits.

    Matches are counted exactly up to ``COUNT_LIMIT``; past it ``total`` is
    the planner's estimate (``estimated``), or the limit itself when there is
    none (``capped``). Pages go through ``page_limit`` trials at most; with
    an estimate the last pages may hold nothing, which ``page`` finds out.
    """

    def __init__(
        self,
        object_list,
        per_page,
        matches,
        page_limit: int = PAGE_LIMIT,
        ids_first: bool = False,
        expected: int | None | object = UNKNOWN,
        scans=nullcontext,
        counted: int | None = None,
    ):
        super().__init__(object_list, per_page)
        self.matches = matches
        # The matches counted already, up to COUNT_LIMIT + 1, when the caller did (with the facets).
        self.counted = counted
        # The planner's estimate of the matches, when the caller asked already; how their page and count are read.
        self.expected = expected
        self.scans = scans
        self.page_limit = page_limit
        self.ids_first = ids_first
        self.estimated = False
        self.capped = False
        # How many matches the page read shows there are, at least.
        self.seen = 0

    @cached_property
    def count(self) -> int:
        return min(self.total, self.page_limit)

    @cached_property
    def total(self) -> int:
        expected = estimate(self.matches.values("pk")) if self.expected is UNKNOWN else self.expected
        if expected is not None and expected >= CONFIDENT_ESTIMATE:
            self.estimated = True
            return expected
        # Without estimates (SQLite, a small database) pages need counting as far as they go.
        limit = COUNT_LIMIT if expected is not None else PAGE_LIMIT
        counted = self.counted
        if counted is None or (counted > COUNT_LIMIT and limit > COUNT_LIMIT):
            counted = within_time(self.matches.values("pk")[: limit + 1].count)
        if counted is not None and counted <= limit:
            return counted
        # Too many to count, or the count gave up (under load): the estimate, but never fewer than the
        # page read holds. "More than" the limit only when counting saw that many.
        if expected is not None and (counted is None or expected > COUNT_LIMIT):
            self.estimated = True
            return max(expected, self.seen)
        self.capped = True
        return limit + 1

    def page(self, number):
        number = _page_number(number)
        bottom = (number - 1) * self.per_page
        rows = None
        with self.scans():
            if bottom < self.page_limit:
                top = min(bottom + self.per_page, self.page_limit)
                rows = self._rows(bottom, top)
                # A full page may have more after it.
                self.seen = bottom + len(rows) + (len(rows) == top - bottom)
                if len(rows) < top - bottom and (rows or number == 1):
                    # A page that is not full is the last: the matches are those before it and on it,
                    # known without counting (a count under load may give up, and "nothing found" must not).
                    self.__dict__["total"] = bottom + len(rows)
            number = self.validate_number(number)
        top = min(bottom + self.per_page, self.count)
        object_list = rows[: max(0, top - bottom)] if rows is not None else []
        if (self.estimated or self.capped) and number > 1 and not object_list:
            raise EmptyPage("That page contains no results")
        return self._get_page(object_list, number, self)

    def _rows(self, bottom: int, top: int) -> list:
        if not self.ids_first:
            return places.page(self.object_list, bottom, top)
        # The page's ids first: the sort index holds the filtered columns
        # (migration 0014), so the rows skipped to reach a deep page are
        # read from it alone; then the page's own rows.
        ids = places.page(self.object_list.values_list("pk", flat=True), bottom, top)
        # By id alone, in that order: the ordering (a distance's join) need not run twice.
        rows = self.object_list.model.objects.for_list().filter(pk__in=ids) if ids else []
        by_id = {trial.pk: trial for trial in rows}
        return [by_id[pk] for pk in ids]


def _page_number(number) -> int:
    """``number`` as a page number (Paginator.validate_number's first checks, which need no count)."""
    try:
        if isinstance(number, float) and not number.is_integer():
            raise ValueError
        number = int(number)
    except (TypeError, ValueError):
        raise PageNotAnInteger("That page number is not an integer") from None
    if number < 1:
        raise EmptyPage("That page number is less than 1")
    return number


@dataclass
class Results:
    filterset: TrialFilter
    text: str
    errors: list[tuple[str, str]] = field(default_factory=list)
    count: int = 0
    count_capped: bool = False
    count_estimated: bool = False
    count_exact: bool = False
    pages_capped: bool = False
    page_limit: int = PAGE_LIMIT
    ranked_pages_only: bool = False
    page: Page | None = None
    snippets: dict[int, str] = field(default_factory=dict)
    # None: not counted (too many matches, or too slow), so no counts are shown.
    status_counts: dict[str, int] | None = None
    phase_counts: dict[str, int] | None = None
    suggestions: list[tuple[str, str]] = field(default_factory=list)
    close_conditions: list[str] = field(default_factory=list)
    export_trials: list[Trial] = field(default_factory=list)
    query_string: str = ""
    # What the text was read as (the words added), and the words corrected: "search instead for" the original.
    reading: search.Reading | None = None
    corrected_from: str = ""
    corrections: list[tuple[str, str]] = field(default_factory=list)
    # Near a place: where it was found and how far around; or, when ``near`` was unclear, what it might mean.
    place: places.Place | None = None
    within: str = ""
    place_choices: list[tuple[str, str]] = field(default_factory=list)
    # The place the text ended with, read as ``near`` (``text`` is then the words before it).
    text_place: search.TrailingPlace | None = None
    # ``within`` given without ``near``: left out, and said so.
    stray_within: str = ""

    @cached_property
    def countries(self) -> list[str]:
        """The country picker's names: the countries of the sites on file."""
        return places.countries_on_file()

    @property
    def exact_query_string(self) -> str:
        """This search in exact words (the original text, when words were corrected)."""
        pairs = [(key, value) for key, value in _pairs(self.query_string) if key not in ("q", "exact")]
        if self.text_place and not any(key == "near" for key, _ in pairs):
            pairs.append(("near", self.text_place.place))
        return urlencode([("q", self.corrected_from or self.text), *pairs, ("exact", "1")])

    @property
    def words_only_query_string(self) -> str:
        """This search with the place its text ended with read as words."""
        place = self.text_place.place if self.text_place else None
        pairs = [
            (key, value) for key, value in _pairs(self.query_string) if key != "q" and (key, value) != ("near", place)
        ]
        if not any(key == "near" for key, _ in pairs):
            pairs = [(key, value) for key, value in pairs if key != "within"]  # a distance from no place
        return urlencode([("q", self.text_place.as_words if self.text_place else self.text), *pairs])

    @property
    def expanded_query_string(self) -> str:
        return urlencode([(key, value) for key, value in _pairs(self.query_string) if key != "exact"])

    @property
    def status_groups(self):
        """(group label, [(code, label, count, checked)]) for the status checkboxes."""
        selected = set(self.filterset.form.data.getlist("status")) if self.filterset.form.data else set()
        return [
            (
                label,
                [
                    (
                        code,
                        choices.OverallStatus(code).label,
                        None if self.status_counts is None else self.status_counts.get(code, 0),
                        code in selected,
                    )
                    for code in codes
                ],
            )
            for label, codes in STATUS_GROUPS
        ]

    @property
    def phases(self):
        selected = set(self.filterset.form.data.getlist("phase")) if self.filterset.form.data else set()
        counts = self.phase_counts
        return [
            (code, label, None if counts is None else counts.get(code, 0), code in selected)
            for code, label in choices.Phase.choices
        ]


def _pairs(query_string: str) -> list[tuple[str, str]]:
    return [(key, value) for key, values in QueryDict(query_string).lists() for value in values]


def place_choices(data: QueryDict, meant: list[places.Place]) -> list[tuple[str, str]]:
    """(label, query string) for each place an ambiguous ``?near=`` may mean: the same page near that place,
    its other parameters (the distance, the filters) kept (``trials/place_choices.html``)."""
    kept = [(key, item) for key, items in data.lists() for item in items if key not in ("near", "page")]
    return [(place.label, urlencode([*kept, ("near", place.query)])) for place in meant]


def _without(data: QueryDict, name: str, value: str | None = None) -> str:
    kept = [(key, item) for key, item in data.lists() for item in item if key != "page"]
    kept = [(key, item) for key, item in kept if not (key == name and (value is None or item == value))]
    return urlencode(kept)


def search_trials(data: QueryDict, page_number: str | None, export: int = 0, correct: bool = True) -> Results:
    """The list page's results; with ``export``, the first ``export`` matches as trials (a feed) instead of a page."""
    filterset = TrialFilter(data, queryset=Trial.objects.all(), resolved={})
    results = Results(filterset=filterset, text=data.get("q", "").strip())
    results.query_string = _without(data, "page")
    if not filterset.is_valid():
        results.errors = [
            (filterset.form.fields[name].label if name in filterset.form.fields else "Filters", message)
            for name, messages in filterset.form.errors.items()
            for message in messages
        ]
        results.place_choices = place_choices(data, filterset.form.place_choices)
        return results
    queryset = filterset.qs
    results.reading = filterset.reading
    results.text_place = filterset.form.text_place
    results.stray_within = filterset.form.stray_within
    if results.text_place:
        results.text = results.text_place.words
    if filterset.circle:
        results.place = filterset.form.place
        results.within = places.parse_within(data.get("within", ""))[1]
    if export:
        ids = filterset.first_ids(export)
        by_id = {trial.pk: trial for trial in Trial.objects.filter(pk__in=ids).for_detail()}
        results.export_trials = [by_id[pk] for pk in ids]
        results.count = filterset.matches.count()
        return results

    # Relevance ranking covers the first RANK_CANDIDATES matches: page through those.
    limit = search.RANK_CANDIDATES if filterset.ranked_by_relevance else PAGE_LIMIT
    # Asked here for a text (to choose how its matches are read), else by the paginator when it counts.
    expected = estimate(filterset.matches.values("pk")) if results.text else UNKNOWN
    # Reading the table in order until a page of matches (or RANK_CANDIDATES) reads about trials / expected
    # rows; the index's bitmap of them all costs about ``expected``: it is the quicker while expected² is
    # below trials × INDEX_SCAN_FACTOR (at 600,000 trials about 3,500 matches; measured 250 ms against 65
    # for 43,000 matches, the other way round for 3,600 of 50,000).
    few = isinstance(expected, int) and expected**2 < INDEX_SCAN_FACTOR * _trials_on_file()
    scans = search.index_scans if few else nullcontext
    found = None
    facet_filtered = bool(data.getlist("status") or data.getlist("phase"))
    # The facets count the heading's trials: one grouped query counts both, where the count and then
    # the facets each matched the text again. Not where more are expected: past COUNT_LIMIT there are
    # no facets, and counting reads less than grouping.
    groups = bool(results.text) and not facet_filtered and (expected is None or expected < COUNT_LIMIT)
    grouped = None
    if correct and results.reading and search.correctable(results.reading):
        # A word the vocabulary does not know may be misspelled. Whether the text as typed finds
        # enough is asked first (by the grouped count when there is one, else in one query that
        # stops at CORRECT_BELOW), so that a misspelling's page is read once, corrected, and not
        # first as typed to find it empty. Read as its page would be: a table read in order,
        # stopping at the first match, reads it all when there is none.
        with scans():
            grouped = _counted_by(filterset.matches, FACET_FIELDS) if groups else None
            if grouped is None:  # not grouped, or the count gave up (and is not asked again)
                groups = False
                found = len(filterset.matches.values_list("pk", flat=True)[:CORRECT_BELOW])
            else:
                found = sum(grouped.values())
        if found < CORRECT_BELOW:
            corrected = _corrected(data, results, page_number, found)
            if corrected:
                return corrected
    matches = filterset.matches
    if found == 0:
        # Nothing matches, and no correction found more: no page or count to read, nor facets
        # unless one is a filter (each facet counts without its own).
        queryset, matches = queryset.none(), matches.none()
        grouped = None if facet_filtered else {}
    elif grouped is None and groups:
        with scans():
            grouped = _counted_by(matches, FACET_FIELDS)
    paginator = CappedPaginator(
        queryset.for_list(),
        TRIALS_PER_PAGE,
        matches,
        limit,
        ids_first=not filterset.ranked_by_relevance,
        expected=expected,
        scans=scans,
        counted=None if grouped is None else sum(grouped.values()),
    )
    results.ranked_pages_only = filterset.ranked_by_relevance
    try:
        page = paginator.page(page_number or 1)
    except PageNotAnInteger:
        results.errors = [("Page", f"“{page_number}” is not a page number.")]
        return results
    except EmptyPage:
        _set_count(results, paginator)
        pages = f"{paginator.num_pages} page(s)" if results.count_exact else "fewer pages"
        results.errors = [("Page", f"There is no page {page_number}: the results have {pages}.")]
        return results
    _set_count(results, paginator)
    results.pages_capped = paginator.total > paginator.page_limit
    results.page_limit = paginator.page_limit
    trials = list(page.object_list)
    if results.text and trials:
        wanted = results.reading.rank_text if results.reading else results.text
        results.snippets = search.backend().headlines([trial.pk for trial in trials], wanted)
    near = ""
    if filterset.circle:
        near = "?" + urlencode({"near": results.place.query or results.place.label, "within": results.within})
        near += "#sites-near"
    page.object_list = list_rows(trials, results.snippets, filterset.circle, near)
    results.page = page

    if results.count_exact and not results.count and not facet_filtered:
        # Nothing matches, and each facet counts the same trials: none, uncounted.
        results.status_counts, results.phase_counts = {}, {}
    elif results.count_exact and results.count <= COUNT_LIMIT and grouped is not None:
        results.status_counts, results.phase_counts = _by_status_and_phase(grouped)
    elif results.count_exact and results.count <= COUNT_LIMIT:
        with scans():
            results.status_counts, results.phase_counts = _facets(data, filterset.resolved)
    if filterset.condition_matches is not None:
        results.close_conditions = filterset.condition_matches
    if not results.count:
        results.suggestions = _loosen(data)
        if results.text:
            words = [
                term
                for terms in search.parse_query(results.text, strict=False)
                for term, negated in terms
                if not negated
            ]
            results.close_conditions = sorted(
                {name for word in words[:3] for name in search.backend().close_conditions(word)}
            )[: search.CLOSE_MATCHES]
    return results


def _trials_on_file() -> int:
    """How many trials the planner thinks are on file, asked once every ``TRIALS_ESTIMATE_SECONDS``."""
    global _trials_estimate
    asked, rows = _trials_estimate
    if time.monotonic() - asked > TRIALS_ESTIMATE_SECONDS:
        rows = estimate(Trial.objects.all()) or 0
        _trials_estimate = (time.monotonic(), rows)
    return rows


def _corrected(data: QueryDict, results: Results, page_number: str | None, typed: int) -> Results | None:
    """The same search with its misspelled words corrected, when that finds more than the ``typed`` text's trials."""
    found = search.correct(results.text, results.reading.known_words if results.reading else frozenset())
    if not found:
        return None
    text, corrections = found
    changed = data.copy()
    changed["q"] = text
    if results.text_place:
        changed["near"] = results.text_place.place
    other = search_trials(changed, page_number, correct=False)
    if other.errors or other.count <= typed:
        return None
    other.corrected_from = results.text
    other.text_place = results.text_place
    other.corrections = corrections
    return other


def _set_count(results: Results, paginator: CappedPaginator) -> None:
    # Capped: "More than" the limit counted to.
    results.count = paginator.total - 1 if paginator.capped else paginator.total
    results.count_capped = paginator.capped
    results.count_estimated = paginator.estimated
    results.count_exact = not (paginator.capped or paginator.estimated)


def _facets(data: QueryDict, resolved: dict) -> tuple[dict[str, int] | None, dict[str, int] | None]:
    """Counts per status and per phase, each for the query with every filter but its own.

    Without a status or phase filter both come from one grouped query. Only
    asked for when the matches were counted (at most ``COUNT_LIMIT``); a
    facet that takes too long, or counts too many, is left out (None).
    """
    if not (data.getlist("status") or data.getlist("phase")):
        grouped = _grouped(data, None, FACET_FIELDS, resolved)
        return (None, None) if grouped is None else _by_status_and_phase(grouped)
    by_status = _grouped(data, "status", (SHOWN_STATUS,), resolved)
    by_phases = _grouped(data, "phase", ("phases",), resolved)
    return (
        None if by_status is None else {status: count for (status,), count in by_status.items()},
        None if by_phases is None else _per_phase({phase_list: count for (phase_list,), count in by_phases.items()}),
    )


def _by_status_and_phase(grouped: dict[tuple, int]) -> tuple[dict[str, int], dict[str, int]]:
    """Counts per status and per phase from counts per (status, phases) (``FACET_FIELDS``)."""
    statuses: dict[str, int] = {}
    for (code, _), count in grouped.items():
        statuses[code] = statuses.get(code, 0) + count
    return statuses, _per_phase({phases: count for (_, phases), count in grouped.items()})


# Counted per status shown, the status filter's own rule: a lapsed open status counts as unknown.
SHOWN_STATUS = "shown_status_code"
FACET_FIELDS = (SHOWN_STATUS, "phases")


def _grouped(data: QueryDict, skip: str | None, fields: tuple[str, ...], resolved: dict) -> dict[tuple, int] | None:
    """Match counts per value of ``fields``, for the query without the ``skip`` filter; None when too many."""
    filterset = TrialFilter(data, queryset=Trial.objects.all(), skip=skip, resolved=resolved)
    filterset.qs  # noqa: B018 - runs the filters
    # Every match, not ``qs``: relevance ranking reads only the first RANK_CANDIDATES.
    counts = _counted_by(filterset.matches, fields)
    return None if counts is None or sum(counts.values()) > COUNT_LIMIT else counts


def _counted_by(matches, fields: tuple[str, ...]) -> dict[tuple, int] | None:
    """Counts per value of ``fields`` of the first COUNT_LIMIT + 1 of ``matches``; None when it took too long."""
    grouped = (
        Trial.objects.filter(pk__in=matches.values("pk")[: COUNT_LIMIT + 1])
        .annotate(**{SHOWN_STATUS: status.shown_status_expression()})
        .order_by()
        .values_list(*fields)
        .annotate(count=Count("id"))
        .values_list(*fields, "count")
    )
    counts = within_time(lambda: list(grouped))
    if counts is None:
        return None
    # Phases come as lists: tuples, to be keys.
    return {tuple(tuple(value) if isinstance(value, list) else value for value in row[:-1]): row[-1] for row in counts}


def _per_phase(counts: dict) -> dict[str, int]:
    """Counts per phase from counts per list of phases; a Phase 1/Phase 2 trial counts for both."""
    per_phase: dict[str, int] = {}
    for phases, count in counts.items():
        for phase in phases:
            per_phase[phase] = per_phase.get(phase, 0) + count
    return per_phase


def _loosen(data: QueryDict) -> list[tuple[str, str]]:
    """(what to drop, the URL without it) for each filter in use.

    Each value a filter reads, once: a single-valued filter reads the last
    of a repeated parameter, and a parameter repeated a thousand times would
    otherwise make a thousand links that each repeat it (megabytes of page).
    """
    labels = {name: field.label for name, field in TrialFilter.base_filters.items()}
    suggestions = []
    for name, values in data.lists():
        if name in ("page", "sort", "exact") or name not in labels:
            continue
        several = isinstance(TrialFilter.base_filters[name], MultipleChoiceFilter)
        filled = [value for value in values if value.strip()]
        for value in dict.fromkeys(filled) if several else filled[-1:]:
            display = value
            if name == "status" and value in choices.OverallStatus.values:
                display = choices.OverallStatus(value).label
            elif name == "phase" and value in choices.Phase.values:
                display = choices.Phase(value).label
            loosened = _without(data, name, value if several else None)
            if name == "near":
                loosened = _without(QueryDict(loosened), "within")  # a distance from no place
            suggestions.append((f"{labels[name]}: {display}", loosened))
    return suggestions
