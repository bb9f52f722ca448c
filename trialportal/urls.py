from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/v2/", include("trials.api_urls")),
    path("", include("trials.urls")),
]

handler404 = "trials.views.page_not_found"
