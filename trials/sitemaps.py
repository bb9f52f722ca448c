"""``/sitemap.xml``: every trial page, with the record's last update as ``lastmod``."""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import Trial


class TrialSitemap(Sitemap):
    changefreq = "weekly"
    limit = 10_000

    def items(self):
        return Trial.objects.only("nct_id", "last_update_posted_date").order_by("nct_id")

    def lastmod(self, trial: Trial):
        return trial.last_update_posted_date


class PageSitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        return ["trials:home", "trials:list", "trials:api", "trials:glossary"]

    def location(self, name: str) -> str:
        return reverse(name)
