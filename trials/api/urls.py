from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from . import views

app_name = "api"

urlpatterns = [
    path("studies", views.studies, name="studies"),
    # Before the study's path, which would take these names for NCT IDs.
    path("studies/metadata", views.studies_metadata, name="metadata"),
    path("studies/enums", views.enums, name="enums"),
    path("studies/search-areas", views.search_areas, name="search_areas"),
    path("studies/<str:nct_id>", views.study, name="study"),
    path("studies/<str:nct_id>/related", views.related, name="related"),
    path("studies/<str:nct_id>/history", views.study_history, name="history"),
    path("stats/size", views.size, name="size"),
    path("stats/field/values", views.field_values, name="field_values"),
    path("stats/field/sizes", views.field_sizes, name="field_sizes"),
    path("version", views.version, name="version"),
    path("openapi.json", views.openapi, name="openapi"),
]

# Read-only and sessionless: no CSRF check stands before a view's own 405 for POST and the like.
for _pattern in urlpatterns:
    _pattern.callback = csrf_exempt(_pattern.callback)
