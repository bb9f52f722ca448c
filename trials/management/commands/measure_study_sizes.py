from __future__ import annotations

from django.core.management.base import BaseCommand

from trials.api.sizes import measure


class Command(BaseCommand):
    help = "Store the API v2 JSON size of every trial not measured since it last changed (for /api/v2/stats/size)."

    def handle(self, *args, **options):
        self.stdout.write(f"{measure()} trial(s) measured")
