"""Atom feeds: recently updated trials, the trials of any search (``/trials/feed/?q=...``), a trial's changes.

A search's feed has an entry for each trial it matches and one for each
version of those trials that changed their status, enrollment or results
(``history.diff.FOLLOWED_KINDS``); a trial's own feed, one per version.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpResponseBadRequest
from django.urls import reverse
from django.utils.cache import get_conditional_response, set_response_etag
from django.utils.feedgenerator import Atom1Feed
from django.utils.http import http_date
from django.utils.xmlutils import SimplerXMLGenerator

from . import characters, history, listing
from .models import Trial

FEED_SIZE = 50


@dataclass
class Entry:
    title: str
    description: str
    link: str
    updated: datetime.datetime | None


def _version_link(trial: Trial, number: int) -> str:
    return f"{reverse('trials:history', args=[trial.nct_id])}#version-{number}"


def _version_entry(trial: Trial, version: history.Version, changes: list[dict]) -> Entry:
    texts = [change["text"] for change in changes]
    if version.number == 1:
        headline = "first recorded here"
    else:
        headline = texts[0] if texts else "record updated (its dates only)"
    return Entry(
        title=f"{trial.nct_id}, version {version.number}: {headline}",
        description=" · ".join([*texts, f"Source: {version.source_label}."]),
        link=_version_link(trial, version.number),
        updated=version.recorded_at,
    )


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


class EntryFeed(Feed):
    """A feed of ``Entry`` items, written valid whatever a record holds."""

    feed_type = CleanAtom1Feed

    def item_title(self, entry: Entry) -> str:
        return entry.title

    def item_description(self, entry: Entry) -> str:
        return entry.description

    def item_link(self, entry: Entry) -> str:
        return entry.link

    def item_updateddate(self, entry: Entry):
        return entry.updated

    def item_pubdate(self, entry: Entry):
        return entry.updated


class TrialsFeed(EntryFeed):
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
        results = listing.search_trials(request.GET.copy(), page_number=None, export=FEED_SIZE)
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

    def items(self, results) -> list[Entry]:
        """The matching trials, and their changes of status, enrollment and results, newest first."""
        trials = results.export_trials
        entries = [
            Entry(
                title=f"{trial.brief_title} ({trial.nct_id})",
                description=f"{trial.get_overall_status_display()}. {trial.brief_summary[:500]}",
                link=trial.get_absolute_url(),
                updated=datetime.datetime.combine(trial.last_update_posted_date, datetime.time(), tzinfo=datetime.UTC)
                if trial.last_update_posted_date
                else None,
            )
            for trial in trials
        ]
        versions = history.versions_of([trial.nct_id for trial in trials])
        for trial in trials:
            for version in versions.get(trial.nct_id, ()):
                followed = [change for change in version.changes if change["kind"] in history.diff.FOLLOWED_KINDS]
                if followed:
                    entries.append(_version_entry(trial, version, followed))
        oldest = datetime.datetime.min.replace(tzinfo=datetime.UTC)
        entries.sort(key=lambda entry: (entry.updated or oldest, entry.link), reverse=True)
        return entries[:FEED_SIZE]


class TrialChangesFeed(EntryFeed):
    """One trial's versions, newest first: what each changed."""

    def get_object(self, request, nct_id: str) -> Trial:
        trial = Trial.objects.only("id", "nct_id", "brief_title", "updated_at").filter(nct_id=nct_id.upper()).first()
        if trial is None:
            raise Http404(f"No trial {nct_id.upper()} is on file.")
        return trial

    def title(self, trial: Trial) -> str:
        return f"TrialPortal: changes to {trial.nct_id}, {trial.brief_title}"

    def subtitle(self, trial: Trial) -> str:
        return "Every version of this clinical trial's record kept by TrialPortal, with what it changed."

    def link(self, trial: Trial) -> str:
        return reverse("trials:history", args=[trial.nct_id])

    def items(self, trial: Trial) -> list[Entry]:
        return [_version_entry(trial, version, version.changes) for version in history.versions(trial)[:FEED_SIZE]]
