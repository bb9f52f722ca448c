from django.urls import path

from . import views

app_name = "api"

urlpatterns = [
    path("studies", views.studies, name="studies"),
    path("studies/<str:nct_id>", views.study, name="study"),
    path("studies/<str:nct_id>/related", views.related, name="related"),
    path("version", views.version, name="version"),
    path("openapi.json", views.openapi, name="openapi"),
]
