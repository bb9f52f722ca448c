from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.http import HttpResponse
from django.urls import include, path

from trials.caching import public_list, public_page
from trials.sitemaps import PageSitemap, TrialSitemap

from . import health


def robots_txt(request):
    """Search engines may read the public pages; the admin, exports and API pages stay out."""
    lines = [
        "User-agent: *",
        f"Disallow: /{settings.ADMIN_URL}",
        "Disallow: /trials/export.",
        "Disallow: /api/v2/",
        f"Sitemap: {request.build_absolute_uri('/sitemap.xml')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


SITEMAPS = {"trials": TrialSitemap, "pages": PageSitemap}

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("robots.txt", public_page(robots_txt), name="robots"),
    path("sitemap.xml", public_list(sitemap_views.index), {"sitemaps": SITEMAPS}, name="sitemap"),
    path(
        "sitemap-<section>.xml",
        public_list(sitemap_views.sitemap),
        {"sitemaps": SITEMAPS},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/v2/", include("trials.api.urls")),
    path("", include("trials.urls")),
]

handler404 = "trials.views.page_not_found"
