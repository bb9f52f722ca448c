"""Public pages: the home page, the trial list and a trial's four tabs."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.urls import reverse

from . import (
    export_views,
    glossary,
    history,
    list_rows,
    listing,
    pages,
    places,
    related,
    results_tab,
    search,
    sites,
    structured_data,
)
from .api.aggregations import AGG_FILTERS
from .api.views import study_response
from .caching import RECORD, RELATED, TAB, page_read, public_list, public_page, versioned
from .ctgov.results import results_json
from .exports import stored_rows
from .models import Trial
from .models.queries import PAGE_RELATIONS, PAGE_ROWS
from .sync import last_run, last_success
from .templatetags.trial_tags import trial_links


@public_list
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "recent_trials": list_rows.list_rows(list(Trial.objects.for_list()[:10])),
        "trial_count": Trial.objects.count(),
        "recruiting_count": Trial.objects.recruiting().count(),
    }
    return render(request, "trials/home.html", context)


@public_list
def trial_list(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "").strip()
    nct_id = search.nct_id_from_token(text) if text else None
    if nct_id:
        # An exact NCT ID goes straight to the trial, a former one to the trial it was merged into.
        on_file = Trial.objects.filter(nct_id=nct_id).exists()
        target = nct_id if on_file else Trial.objects.merged_into(nct_id)
        if target:
            return redirect("trials:detail", nct_id=target)
    results = listing.search_trials(request.GET, page_number=request.GET.get("page"))
    status = 400 if results.errors else 200
    context = {
        "results": results,
        "page_obj": results.page,
        "export_files": export_views.export_files(results.count, results.query_string),
        "export_page": export_views.EXPORT_PAGE,
        "exports_capped": results.count > export_views.EXPORT_PAGE * export_views.LAST_PAGE,
    }
    return render(request, "trials/trial_list.html", context, status=status)


@public_list
def _merged_or_missing(request: HttpRequest, nct_id: str, url_name: str) -> HttpResponse:
    """A former NCT ID (``nctIdAliases``) moves for good to the trial it was merged into; any other is a 404."""
    merged_into = Trial.objects.merged_into(nct_id)
    if merged_into is None:
        raise Http404(f"No trial {nct_id} is on file.")
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(reverse(url_name, args=[merged_into]) + (f"?{query}" if query else ""))


def _trial_page(request: HttpRequest, nct_id: str, tab: str, template: str) -> HttpResponse:
    canonical = nct_id.upper()
    if nct_id != canonical:
        return redirect(f"trials:{tab}", nct_id=canonical, permanent=True)
    if renamed := sites.renamed_filter(request.GET):
        # The site filter's former names (?country=, ?region=) move for good to the current ones.
        return HttpResponsePermanentRedirect(f"{request.path}?{renamed}")
    # The Results tab reads the results tables (and what its JSON-LD needs); the others, the protocol's parts.
    # Either way the sites come in the same query as light rows (``trials.sites``); the contacts, where listed.
    light = sites.SITES_AND_CONTACTS if tab in ("detail", "print") else sites.SITES
    # The Summary's record-only parts come rendered in its page document, when it is current (``trials.pages``);
    # with no query, its contacts and locations too, and then its sites are not even read.
    bare = not request.GET
    document = pages.document(with_sites=not bare) if tab == "detail" else None
    relations = PAGE_ROWS.get(tab, PAGE_RELATIONS)
    try:
        trial = Trial.objects.one_with_rows(canonical, relations, light, document)
    except Trial.DoesNotExist:
        return _merged_or_missing(request, canonical, f"trials:{tab}")
    parts = pages.current(trial) if document else None
    if document and parts is None and trial.__dict__["page_parts"] is not None:
        # Built before the status lapsed (a day's rule, ``trials.status``): read it all, rendered live.
        trial = Trial.objects.one_with_rows(canonical, relations, light)
    # The page's version is the trial's as read here (``caching.page_read``): a first render asks no other query.
    page_read(request, trial)
    site_rows = None if parts and bare else sites.site_rows(trial)
    links = trial_links(trial.nct_id)
    origin = f"{request.scheme}://{request.get_host()}"
    context = pages.page_context(trial, tab, links, origin)
    structured = (
        pages.structured_data(parts, origin + links.detail, trial)
        if parts
        else structured_data.json_ld(structured_data.medical_trial(trial, origin + links.detail, site_rows))
    )
    if parts and bare and (page := pages.whole_summary(parts, context, structured)) is not None:
        # The whole Summary from its document: the host, the day's "verified ... ago" and the JSON-LD filled in.
        return HttpResponse(page)
    context["page_parts"] = parts if parts is None or bare else {**parts, pages.SITES_PART: None}
    context["structured_data"] = structured
    status = 200
    if tab == "related":
        context["related"] = related.related_trials(trial)
    if site_rows is not None and tab in ("detail", "print"):
        # Each site once, with its contacts, grouped by country, region and city; the print page shows them all.
        try:
            site_filter = sites.SiteFilter() if tab == "print" else sites.SiteFilter.from_query(request.GET)
            context["site_error"] = ""
        except ValueError as error:
            # A filter asked for wrongly is the visitor's to correct: said on the page, with a 400.
            site_filter, context["site_error"], status = sites.SiteFilter(), str(error), 400
        context.update(pages.site_context(trial, site_rows, site_filter, tab))
        if tab == "detail" and request.GET.get("near", "").strip():
            # Reached from a search near a place: its sites there first, nearest first.
            try:
                place, circle, within = places.circle_around(request.GET["near"], request.GET.get("within", ""))
            except (places.PlaceError, places.DistanceError) as error:
                # A place asked for wrongly is said on the page, with a 400, as a wrong site filter is.
                context["near_error"], status = str(error), 400
                if isinstance(error, places.PlaceError):
                    context["place_choices"] = listing.place_choices(request.GET, error.choices)
            else:
                context["sites_near"] = sites.sites_near(site_rows, place, circle, within)
    if tab == "results":
        context["results"] = results_tab.present(trial, results_json(stored_rows(trial)))
    if tab == "history":
        context.update(_history(request, trial))
        # A comparison asked for wrongly is the visitor's to correct: said on the page, with a 400.
        status = 400 if context["compare_error"] else 200
    return render(request, template, context, status=status)


def _compared_versions(request: HttpRequest, numbers: list[int]) -> tuple[int, int] | None:
    """The two versions asked for (``?compare=A,B``, or the form's ``from`` and ``to``), oldest first.

    Raises ValueError, with what to say, when they are malformed or not versions of the trial.
    """
    if "compare" in request.GET:
        parts = request.GET["compare"].split(",")
        if len(parts) != 2:
            raise ValueError("compare takes two version numbers separated by a comma, as compare=1,2.")
    elif "from" in request.GET or "to" in request.GET:
        parts = [request.GET.get("from", ""), request.GET.get("to", "")]
    else:
        return None
    if not all(history.VERSION_NUMBER.fullmatch(part.strip()) for part in parts):
        raise ValueError("Versions are given by their numbers, as compare=1,2.")
    first, second = sorted(int(part) for part in parts)
    unknown = [number for number in (first, second) if number not in numbers]
    if unknown:
        raise ValueError(f"This trial has no version {unknown[0]}: its versions are 1 to {max(numbers)}.")
    if first == second:
        raise ValueError("Choose two different versions to compare.")
    return first, second


def _history(request: HttpRequest, trial: Trial) -> dict:
    versions = history.versions(trial)
    context = {"versions": versions, "compare_error": "", "comparison": None}
    try:
        pair = _compared_versions(request, [version.number for version in versions])
    except ValueError as error:
        context["compare_error"] = str(error)
        return context
    if pair is None:
        return context
    older, newer = (history.study_at(trial, number) for number in pair)
    old_facts, new_facts = history.diff.key_facts(older), history.diff.key_facts(newer)
    context["comparison"] = {
        "older": pair[0],
        "newer": pair[1],
        "facts": [
            (label, before, after, before != after)
            for (label, before), (_, after) in zip(old_facts, new_facts, strict=True)
        ],
        "changes": history.diff.changes(older, newer),
    }
    return context


# The summary reads the site filter; its free text is rendered each time, never kept.
SITE_CHOICE = frozenset({"site_country", "site_region", "site_status"})
NO_PARAMETERS = frozenset()


@public_page
@versioned(TAB, SITE_CHOICE)
def trial_summary(request: HttpRequest, nct_id: str) -> HttpResponse:
    return _trial_page(request, nct_id, "detail", "trials/trial_summary.html")


@public_page
@versioned(TAB)
def trial_design(request: HttpRequest, nct_id: str) -> HttpResponse:
    return _trial_page(request, nct_id, "design", "trials/trial_design.html")


# Eligibility (and the print page, which has it) links to the Related tab's trials recruiting now when it lists
# some: its version covers the related lists too.
@public_page
@versioned(RELATED)
def trial_eligibility(request: HttpRequest, nct_id: str) -> HttpResponse:
    return _trial_page(request, nct_id, "eligibility", "trials/trial_eligibility.html")


@public_page
@versioned(RELATED)
def trial_related(request: HttpRequest, nct_id: str) -> HttpResponse:
    return _trial_page(request, nct_id, "related", "trials/trial_related.html")


@public_page
@versioned(TAB)
def trial_results(request: HttpRequest, nct_id: str) -> HttpResponse:
    return _trial_page(request, nct_id, "results", "trials/trial_results.html")


# The History tab reads the two versions to compare.
COMPARED = frozenset({"compare", "from", "to"})


@public_page
@versioned(TAB, COMPARED)
def trial_history(request: HttpRequest, nct_id: str) -> HttpResponse:
    """Every version of the record, newest first, with what each changed; two of them side by side."""
    return _trial_page(request, nct_id, "history", "trials/trial_history.html")


@public_page
@versioned(RELATED)
def trial_print(request: HttpRequest, nct_id: str) -> HttpResponse:
    """Summary, design and eligibility on one page: the record to take to a doctor."""
    return _trial_page(request, nct_id, "print", "trials/trial_print.html")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception.args[0]) if exception and exception.args and isinstance(exception.args[0], str) else ""
    return render(request, "404.html", {"message": message}, status=404)


@public_page
@versioned(RECORD, NO_PARAMETERS)
def trial_json(request: HttpRequest, nct_id: str) -> HttpResponse:
    """The trial in ClinicalTrials.gov API v2 shape."""
    canonical = nct_id.upper()
    if nct_id != canonical:
        return redirect("trials:json", nct_id=canonical, permanent=True)
    try:
        trial = Trial.objects.only("id", "nct_id").get(nct_id=canonical)
    except Trial.DoesNotExist:
        return _merged_or_missing(request, canonical, "trials:json")
    return study_response(trial)


@public_page
def glossary_page(request: HttpRequest) -> HttpResponse:
    return render(request, "trials/glossary.html", {"sections": glossary.sections()})


@public_page
def about_data(request: HttpRequest) -> HttpResponse:
    """Where the records and the search vocabulary come from, how current they are, and MeSH's attribution."""
    context = {
        "lay_terms": search.vocabulary.lay_terms(),
        "mesh_descriptors": len(search.vocabulary.mesh_names()),
        "last_sync": last_run(),
        "last_success": last_success(),
    }
    return render(request, "trials/about_data.html", context)


@public_page
def api_page(request: HttpRequest) -> HttpResponse:
    return render(
        request, "trials/api.html", {"base_url": request.build_absolute_uri("/api/v2"), "agg_filters": AGG_FILTERS}
    )
