"""Trial page documents: the parts of a trial's Summary that depend on its record alone, rendered in advance.

A first render of a Summary spent half its time in the templates and most
of the rest reading and building the children it shows. The parts that
change only with the record (the key facts, the summary, conditions, MeSH
terms, description, sponsors, documents, references, identifiers) are
rendered after each write by the very templates a live page includes
(``templates/trials/parts/``, through ``{% record_part %}``) and kept in
``TrialPage``; a page reads them in its own query, with the trial, and
renders live only what depends on the day (status, "verified 3 years
ago"), on the request (site filter, ``?near=``, its URL) or on the sites.
A Summary with no query comes whole from its ``frame``: the page rendered
at build time with gaps for the parts, the host, the day's "verified ...
ago" and the JSON-LD, filled in per request without a template.

A document counts only while it matches the trial's ``updated_at`` and the
code's release: a trial edited, imported or synced since, or a deploy, makes
its page render every part live (the same templates) until ``build`` runs
again. Building is never needed for correctness, only for speed.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import re
from collections.abc import Iterable
from types import SimpleNamespace

from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest
from django.template.loader import get_template, render_to_string
from django.urls import get_script_prefix
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from . import choices, sites, status, world_map
from .caching import release
from .models import Trial, TrialPage
from .models.queries import PAGE_RELATIONS
from .structured_data import json_ld, json_ld_text, medical_status, medical_trial
from .templatetags.trial_tags import trial_links

logger = logging.getLogger(__name__)

# The parts a Summary takes from its document, each ``templates/trials/parts/<name>.html``. "sites" (the
# contacts and locations) only when the page has no query: a site filter or ``?near=`` renders them live.
SUMMARY_PARTS = ("key_facts", "summary_head", "summary_record", "sites", "summary_tail")
SITES_PART = "sites"
# The JSON-LD is kept as the text around its URL (the request's host) and its status (the day's).
_URL, _STATUS = "TRIALPORTAL-URL-OF-THE-PAGE", "TRIALPORTAL-STATUS-OF-THE-DAY"
_LD_PIECES = ("ld_head", "ld_middle", "ld_tail")
# A document is built for the trial's status as lapsed or not (``trials.status``): its sites and JSON-LD
# say it. On the day it lapses the page is rendered live until the document is built again.
_LAPSED = "lapsed"
BATCH = 200
# The whole Summary with no query, as the text between what a page fills in: the request's host, the day's
# "verified ... ago", the JSON-LD and the parts above (kept once). Even places hold text, odd ones a name.
_FRAME = "frame"
_GAP = re.compile(r"<TRIALPORTAL ([a-z_]+)>")


def _gap(name: str) -> SafeString:
    """Where the frame leaves ``name`` to fill: markup no escaped record text can hold."""
    return mark_safe(f"<TRIALPORTAL {name}>")


def key() -> str:
    """What a document is built for: the code's release, and the URL prefixes its links were written with.

    The pages' prefix is the request's (a proxy's ``SCRIPT_NAME``); the static files' is the process's:
    Django resolves a relative ``STATIC_URL`` once, with the script prefix current when it is first read
    (as whitenoise starts, or a request). A document is read only where the same links hold.
    Hashed: a prefix is the proxy's to choose, the key a column of 200 characters.
    """
    prefixes = f"{get_script_prefix()}|{staticfiles_storage.base_url}"
    return f"{release()}-{hashlib.sha256(prefixes.encode()).hexdigest()[:16]}"


def document(with_sites: bool) -> tuple[str, tuple[str, ...]]:
    """What ``TrialQuerySet.one_with_rows`` needs to read a Summary's document with its trial: the sites
    and their contacts too when the page renders them live (``with_sites``)."""
    return key(), tuple(name for name, _ in sites.SITES_AND_CONTACTS) if with_sites else ()


def current(trial: Trial) -> dict[str, str] | None:
    """The document read with ``trial``, if it holds for the trial's status as the day shows it."""
    parts = trial.__dict__.get("page_parts")
    if parts is None or parts.get(_LAPSED) != str(trial.status_lapsed):
        return None
    return parts


def page_context(trial: Trial, tab: str, links: SimpleNamespace, origin: str, day: datetime.date | None = None) -> dict:
    """What every tab of a trial shows around its record: the status as the day shows it, the plain words."""
    day = day or status.today()
    # Worked out once for the page: the templates read them many times over.
    shown_status = status.shown_status(trial, day)
    return {
        "trial": trial,
        "tab": tab,
        "links": links,
        "origin": origin,
        "plain_language": choices.PLAIN_LANGUAGE,
        # The status shown (``trials.status``): a lapsed open status is explained as unknown.
        "status_code": shown_status,
        "status_label": status.status_label(trial, day),
        "status_shown": choices.OverallStatus(shown_status).label,
        "status_plain": choices.STATUS_PLAIN_LANGUAGE.get(shown_status, ""),
        "phase_plain": [
            (
                code,
                "No phase" if code == choices.Phase.NA else choices.Phase(code).label,
                choices.PHASE_PLAIN_LANGUAGE[code],
            )
            for code in trial.phases
            if code in choices.PHASE_PLAIN_LANGUAGE
        ],
        "verified_ago": status.verified_ago(trial.status_verified_date, day),
    }


def whole_summary(parts: dict, context: dict, structured_data: str) -> str | None:
    """The Summary with no query from its document's frame, filled in for this request and day; None without one."""
    frame = parts.get(_FRAME)
    if frame is None:
        return None
    # Filled in as the template fills them in: the host and the date escaped, the JSON-LD as it is.
    filled = {
        **parts,
        "origin": escape(context["origin"]),
        "verified_ago": escape(context["verified_ago"]),
        "structured_data": structured_data,
    }
    return "".join(piece if index % 2 == 0 else filled[piece] for index, piece in enumerate(frame))


def _frame(trial: Trial, links: SimpleNamespace) -> list[str] | None:
    """The Summary with no query rendered whole, with a gap for each of the page's parts and what a request fills."""
    request = HttpRequest()
    request.method = "GET"
    # What the page reads of its request: its own path, and which page it is (the header's links).
    request.path = links.detail
    request.resolver_match = SimpleNamespace(url_name="detail")
    context = {
        **page_context(trial, "detail", links, _gap("origin")),
        "verified_ago": _gap("verified_ago"),
        "structured_data": _gap("structured_data"),
        "page_parts": {name: _gap(name) for name in SUMMARY_PARTS},
    }
    try:
        return _GAP.split(render_to_string("trials/trial_summary.html", context, request))
    except ValueError:
        # Built where the static files' manifest is missing (no collectstatic): the page renders around its parts.
        return None


def site_context(trial: Trial, rows: list, site_filter: sites.SiteFilter, tab: str) -> dict:
    """What the contacts and locations of a Summary (or the print page) show, for ``site_filter``."""
    groups = sites.grouped_sites(rows, site_filter, show_all=tab == "print")
    return {
        "central_contacts": sites.with_contacts(groups, trial),
        "site_groups": groups,
        "site_map": world_map.site_map(groups.matching, "site-map-caption") if tab == "detail" else None,
    }


def structured_data(parts: dict[str, str], url: str, trial: Trial) -> str:
    """The page's JSON-LD from its document: the stored text around the page's URL and the day's status."""
    head, middle, tail = (parts[name] for name in _LD_PIECES)
    return mark_safe(f"{head}{json_ld_text(url)}{middle}{json_ld_text(medical_status(trial))}{tail}")


def parts(trial: Trial) -> dict[str, str | list[str]]:
    """A trial's document as a Summary with no query renders it; ``trial`` read as ``build`` reads it."""
    links = trial_links(trial.nct_id)
    rows = sites.site_rows(trial)
    context = {
        "trial": trial,
        "tab": "detail",
        "links": links,
        # What the locations' filter form reads of the request: the page's own path.
        "request": SimpleNamespace(path=links.detail),
        "site_error": "",
        **site_context(trial, rows, sites.SiteFilter(), "detail"),
    }
    built = {name: str(get_template(f"trials/parts/{name}.html").render(context)) for name in SUMMARY_PARTS}
    data = medical_trial(trial, _URL, rows)
    data["status"] = _STATUS
    text = json_ld(data)
    head, rest = text.split(f'"{_URL}"')
    middle, tail = rest.split(f'"{_STATUS}"')
    built.update(zip(_LD_PIECES, (head, middle, tail), strict=True))
    built[_LAPSED] = str(trial.status_lapsed)
    if (frame := _frame(trial, links)) is not None:
        built[_FRAME] = frame
    return built


def build(nct_ids: Iterable[str]) -> int:
    """Build (again) the page documents of these trials, as they stand now; returns how many were written.

    A trial changed between its read and the write keeps a document of its
    earlier ``updated_at``, which no page reads.
    """
    nct_ids = list(dict.fromkeys(nct_ids))
    code = key()
    written = 0
    light = {name: rows.expression() for name, rows in sites.SITES_AND_CONTACTS}
    for start in range(0, len(nct_ids), BATCH):
        trials = (
            Trial.objects.filter(nct_id__in=nct_ids[start : start + BATCH]).with_rows(*PAGE_RELATIONS).annotate(**light)
        )
        documents = []
        for trial in trials:
            try:
                rendered = parts(trial)
            except Exception:  # a document only saves time: the write that asked for it (a save, a sync) goes on
                logger.exception("No page document for %s: its pages render live", trial.nct_id)
                continue
            documents.append(
                TrialPage(trial_id=trial.pk, release=code, trial_updated_at=trial.updated_at, parts=rendered)
            )
        TrialPage.objects.bulk_create(
            documents,
            update_conflicts=True,
            unique_fields=["trial"],
            update_fields=["release", "trial_updated_at", "parts"],
        )
        written += len(documents)
    return written


def build_all() -> int:
    """Every trial's document that is missing, stale by its record or the release, or built before its status
    lapsed (run daily, so that a lapsing trial's page is soon served from its document again)."""
    stale = Trial.objects.without_page_document(key()).values_list("nct_id", flat=True)
    lapsed = Trial.objects.filter(status.lapsed(), page_document__parts__lapsed=str(False))
    return build([*stale.iterator(), *lapsed.values_list("nct_id", flat=True).iterator()])
