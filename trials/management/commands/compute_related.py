"""Compute "More related trials": ``compute_related --all``, or ``compute_related NCT...``."""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from trials import related
from trials.models import Trial


class Command(BaseCommand):
    help = "Find the trials most similar to each trial, with the reasons, for the Related tab."

    def add_arguments(self, parser):
        parser.add_argument("nct_ids", nargs="*", help="Trials to recompute (and place in others' lists).")
        parser.add_argument("--all", action="store_true", help="Rebuild every trial's list from scratch.")
        parser.add_argument("--no-progress", action="store_true", help="Never show a progress bar.")

    def handle(self, *args, nct_ids, all=False, no_progress=False, **options):
        if all == bool(nct_ids):
            raise CommandError("Name the trials to recompute, or give --all (not both).")
        if all:
            total = Trial.objects.count()
            show_bar = not no_progress and sys.stderr.isatty()
            with tqdm(total=total, unit="trial", disable=not show_bar, file=sys.stderr) as bar:
                done = related.rebuild(progress=bar.update)
            self.stdout.write(f"Computed related trials for {done} trial(s).")
            return
        wanted = {nct_id.strip().upper() for nct_id in nct_ids}
        found = dict(Trial.objects.filter(nct_id__in=wanted).values_list("nct_id", "id"))
        unknown = sorted(wanted - set(found))
        if unknown:
            raise CommandError(f"No trial {', '.join(unknown)} is on file.")
        done = related.refresh(found.values())
        self.stdout.write(f"Recomputed related trials for {done} trial(s).")
