from django.urls import path, register_converter

from . import export_views, views
from .caching import public_list
from .feeds import TrialChangesFeed, TrialsFeed


class NctIdConverter:
    """NCT IDs in any letter case; views redirect to the upper-case form."""

    regex = r"[Nn][Cc][Tt]\d{8}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(NctIdConverter, "nct")

app_name = "trials"

urlpatterns = [
    path("", views.home, name="home"),
    path("trials/", views.trial_list, name="list"),
    path("trials/feed/", public_list(TrialsFeed()), name="feed"),
    path("trials/export.csv", export_views.trial_export, {"output": "csv"}, name="export_csv"),
    path("trials/export.json", export_views.trial_export, {"output": "json"}, name="export_json"),
    path("api/", views.api_page, name="api"),
    path("glossary/", views.glossary_page, name="glossary"),
    path("about/data/", views.about_data, name="about_data"),
    path("trials/<nct:nct_id>.json", views.trial_json, name="json"),
    path("trials/<nct:nct_id>/", views.trial_summary, name="detail"),
    path("trials/<nct:nct_id>/design/", views.trial_design, name="design"),
    path("trials/<nct:nct_id>/eligibility/", views.trial_eligibility, name="eligibility"),
    path("trials/<nct:nct_id>/related/", views.trial_related, name="related"),
    path("trials/<nct:nct_id>/results/", views.trial_results, name="results"),
    path("trials/<nct:nct_id>/history/", views.trial_history, name="history"),
    path("trials/<nct:nct_id>/feed/", public_list(TrialChangesFeed()), name="trial_feed"),
    path("trials/<nct:nct_id>/print/", views.trial_print, name="print"),
]
