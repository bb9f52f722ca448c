"""Atom feeds: recently updated trials, and the trials of any search (``/trials/feed/?q=...``)."""

from __future__ import annotations

import datetime

from django.contrib.syndication.views import Feed
from django.http import HttpResponseBadRequest
from django.urls import reverse
from django.utils.cache import get_conditional_response, set_response_etag
from django.utils.feedgenerator import Atom1Feed
from django.utils.http import http_date
from django.utils.xmlutils import SimplerXMLGenerator

from . import characters, listing
from .models import Trial

FEED_SIZE = 50


class InvalidSearch(Exception):
    pass


class _CleanXMLGenerator(SimplerXMLGenerator):
    """Drops what XML 1.0 forbids from every text and attribute written.

    Whatever a record holds (staff or an old import may have stored a control
    character), the feed stays valid XML instead of failing for every reader
    (Django refuses C0 controls with a 500, and lets U+FFFE through unparsable).
    """

    def characters(self, content):
        super().characters(characters.drop_forbidden(content) if content else content)

    def startElement(self, name, attrs):
        super().startElement(name, {key: characters.drop_forbidden(value) for key, value in (attrs or {}).items()})


class CleanAtom1Feed(Atom1Feed):
    def write(self, outfile, encoding):
        # Atom1Feed.write, with the generator above.
        handler = _CleanXMLGenerator(outfile, encoding, short_empty_elements=True)
        handler.startDocument()
        handler.startElement("feed", self.root_attributes())
        self.add_root_elements(handler)
        self.write_items(handler)
        handler.endElement("feed")


class TrialsFeed(Feed):
    feed_type = CleanAtom1Feed

    def __call__(self, request, *args, **kwargs):
        try:
            response = super().__call__(request, *args, **kwargs)
        except InvalidSearch as error:
            # As the search page says of the same parameters: the request is wrong, not missing.
            return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
        # A reader polling with If-Modified-Since (or the ETag) gets a 304 when no entry changed. The
        # registry's update dates are days, and a trial may join the search with an old one: the
        # feed changed when the last of its trials was written here.
        written = [trial.updated_at for trial in request.feed_results.export_trials]
        last_modified = int(max(written).timestamp()) if written else None
        if last_modified:
            response["Last-Modified"] = http_date(last_modified)
        set_response_etag(response)
        return get_conditional_response(request, etag=response["ETag"], last_modified=last_modified, response=response)

    def get_object(self, request):
        # The search's own parameters: a feed follows a search.
        results = listing.search_trials(request.GET.copy(), page_number=None, export=True, limit=FEED_SIZE)
        if results.errors:
            raise InvalidSearch("; ".join(f"{label}: {message}" for label, message in results.errors))
        results.query_string = request.GET.urlencode()
        request.feed_results = results
        return results

    def title(self, results) -> str:
        return f"TrialPortal: trials for “{results.text}”" if results.text else "TrialPortal: recently updated trials"

    def subtitle(self, results) -> str:
        return "Clinical trials matching a TrialPortal search, most recently updated first."

    def link(self, results) -> str:
        return reverse("trials:list") + (f"?{results.query_string}" if results.query_string else "")

    def items(self, results) -> list[Trial]:
        return sorted(
            results.export_trials,
            key=lambda trial: (trial.last_update_posted_date or datetime.date.min, trial.nct_id),
            reverse=True,
        )

    def item_title(self, trial: Trial) -> str:
        return f"{trial.brief_title} ({trial.nct_id})"

    def item_description(self, trial: Trial) -> str:
        return f"{trial.get_overall_status_display()}. {trial.brief_summary[:500]}"

    def item_updateddate(self, trial: Trial):
        if trial.last_update_posted_date:
            return datetime.datetime.combine(trial.last_update_posted_date, datetime.time(), tzinfo=datetime.UTC)
        return None

    def item_pubdate(self, trial: Trial):
        return self.item_updateddate(trial)
