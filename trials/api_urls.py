from django.urls import path

from . import api

app_name = "api"

urlpatterns = [
    path("studies", api.studies, name="studies"),
    path("studies/<str:nct_id>", api.study, name="study"),
    path("studies/<str:nct_id>/related", api.related, name="related"),
    path("version", api.version, name="version"),
    path("openapi.json", api.openapi, name="openapi"),
]
