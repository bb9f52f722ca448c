"""Public pages: the home page, the trial list and a trial's four tabs."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from . import api, choices
from .models import Trial

TRIALS_PER_PAGE = 25


def home(request: HttpRequest) -> HttpResponse:
    trials = Trial.objects.for_list()
    context = {
        "recent_trials": trials[:10],
        "trial_count": Trial.objects.count(),
        "recruiting_count": Trial.objects.recruiting().count(),
    }
    return render(request, "trials/home.html", context)


def trial_list(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(Trial.objects.for_list(), TRIALS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "trials/trial_list.html", {"page_obj": page, "paginator": paginator})


def _trial_page(request: HttpRequest, nct_id: str, tab: str, template: str) -> HttpResponse:
    canonical = nct_id.upper()
    if nct_id != canonical:
        return redirect(f"trials:{tab}", nct_id=canonical, permanent=True)
    try:
        trial = Trial.objects.for_detail().get(nct_id=canonical)
    except Trial.DoesNotExist:
        raise Http404(f"No trial {canonical} is on file.") from None
    context = {"trial": trial, "tab": tab, "plain_language": choices.PLAIN_LANGUAGE}
    if tab == "related":
        context["related_on_file"] = set(
            Trial.objects.filter(nct_id__in=[related.nct_id for related in trial.related_trials.all()]).values_list(
                "nct_id", flat=True
            )
        )
    return render(request, template, context)


def trial_summary(request: HttpRequest, nct_id: str) -> HttpResponse:
    return _trial_page(request, nct_id, "detail", "trials/trial_summary.html")


def trial_design(request: HttpRequest, nct_id: str) -> HttpResponse:
    return _trial_page(request, nct_id, "design", "trials/trial_design.html")


def trial_eligibility(request: HttpRequest, nct_id: str) -> HttpResponse:
    return _trial_page(request, nct_id, "eligibility", "trials/trial_eligibility.html")


def trial_related(request: HttpRequest, nct_id: str) -> HttpResponse:
    return _trial_page(request, nct_id, "related", "trials/trial_related.html")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception.args[0]) if exception and exception.args and isinstance(exception.args[0], str) else ""
    return render(request, "404.html", {"message": message}, status=404)


def trial_json(request: HttpRequest, nct_id: str) -> HttpResponse:
    """The trial in ClinicalTrials.gov API v2 shape."""
    canonical = nct_id.upper()
    if nct_id != canonical:
        return redirect("trials:json", nct_id=canonical, permanent=True)
    try:
        trial = Trial.objects.for_detail().get(nct_id=canonical)
    except Trial.DoesNotExist:
        raise Http404(f"No trial {canonical} is on file.") from None
    return api.study_response(trial)


def api_page(request: HttpRequest) -> HttpResponse:
    return render(request, "trials/api.html", {"base_url": request.build_absolute_uri("/api/v2")})
